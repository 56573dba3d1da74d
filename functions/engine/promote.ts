/** Far path: a bucket timer fired; enqueue the bucket's waiting messages with their exact delays. */
import { runtime } from '@vigil/aws';
import { PromoteInput, parseOrThrow, promoteBucket } from '@vigil/core';

export const handler = async (event: unknown): Promise<{ promoted: number }> => {
  const { bucketAt } = parseOrThrow(PromoteInput, event);
  return promoteBucket(runtime().scheduling, bucketAt);
};
