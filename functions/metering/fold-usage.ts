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

const foldRecords = async (event: SQSEvent) => {
  const { usage } = runtime();
  return Promise.allSettled(
    event.Records.map((record) => usage.fold([parseOrThrow(UsageEventSchema, JSON.parse(record.body))])),
  );
};

export const handler = middy<SQSEvent>().use(sqsPartialBatchFailure()).handler(foldRecords);
