/**
 * The metering function: folds usage events from the metering queue into per-tenant daily
 * counters. Each event counts once however often SQS delivers it (the ledger dedupes by event
 * id); a record that fails is reported alone as a partial batch failure.
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import { runtime } from '@vigil/aws';
import { failedRecordLogger, parseRecords, UsageEventSchema } from '@vigil/core';
import type { SQSEvent } from 'aws-lambda';

/**
 * One fold for the whole batch (events sharing a counter are written together). A malformed
 * record fails alone (see parseRecords); if the fold itself fails, every record of the batch is
 * retried, which is safe because each event counts once.
 */
const foldRecords = async (event: SQSEvent): Promise<Array<PromiseSettledResult<void>>> => {
  const { usage, log } = runtime();
  const parsed = parseRecords(UsageEventSchema, event.Records, log, 'usage event');
  let failure: unknown;
  try {
    await usage.fold(parsed.flatMap((p) => (p.ok ? [p.data] : [])));
  } catch (error) {
    failure = error;
  }
  return parsed.map((p) => {
    if (!p.ok) return { status: 'rejected', reason: p.failure };
    return failure === undefined ? { status: 'fulfilled', value: undefined } : { status: 'rejected', reason: failure };
  });
};

export const handler = middy<SQSEvent>()
  .use(sqsPartialBatchFailure({ logger: failedRecordLogger(() => runtime().log, 'usage event') }))
  .handler(foldRecords);
