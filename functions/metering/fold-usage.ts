/**
 * The metering function: folds usage events from the metering queue into per-tenant daily
 * counters. Each event counts once however often SQS delivers it (the ledger dedupes by event
 * id); a record that fails is reported alone as a partial batch failure.
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import { runtime } from '@vigil/aws';
import { parseOrThrow, USAGE_KINDS } from '@vigil/core';
import type { SQSEvent } from 'aws-lambda';
import { z } from 'zod';

const UsageEventSchema = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  kind: z.enum(USAGE_KINDS),
  at: z.int(),
});

/**
 * One fold for the whole batch (events sharing a counter are written together). A malformed
 * record fails alone; if the fold itself fails, every record of the batch is retried, which is
 * safe because each event counts once.
 */
const foldRecords = async (event: SQSEvent) => {
  const parsed = event.Records.map((record) => {
    try {
      return parseOrThrow(UsageEventSchema, JSON.parse(record.body));
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const events = parsed.filter((p): p is z.infer<typeof UsageEventSchema> => !(p instanceof Error));
  const folded = runtime()
    .usage.fold(events)
    .then(() => undefined);
  const settled = await Promise.allSettled([folded]);
  const failure = settled[0]?.status === 'rejected' ? settled[0] : undefined;
  return parsed.map((p): PromiseSettledResult<void> =>
    p instanceof Error ? { status: 'rejected', reason: p } : (failure ?? { status: 'fulfilled', value: undefined }),
  );
};

export const handler = middy<SQSEvent>().use(sqsPartialBatchFailure()).handler(foldRecords);
