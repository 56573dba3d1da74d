/**
 * The bulk job worker's Lambda: each record of the job queue is one step of a bulk job (one page of
 * messages, then the next step queued with the cursor: see runBulkJobStep), so no invocation runs
 * long. A step that throws, or a malformed record, is reported as a partial batch failure: SQS
 * retries it, and after maxReceiveCount parks it in the dead-letter queue (the sweep then queues the
 * job's step again once it has been idle for JOB_IDLE_MS, and gives it up as stalled after BULK_STALL_MS).
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import { bulkJobWiring } from '@vigil/aws/wiring/bulk-jobs';
import { BulkJobStepSchema, failedRecordLogger, parseRecords, runBulkJobStep, settleEach } from '@vigil/core';
import type { SQSEvent } from 'aws-lambda';

const runSteps = async (event: SQSEvent) => {
  const deps = bulkJobWiring();
  const steps = parseRecords(BulkJobStepSchema, event.Records, deps.log, 'bulk job step');
  return settleEach(steps, (step) => runBulkJobStep(deps, step));
};

export const handler = middy<SQSEvent>()
  .use(sqsPartialBatchFailure({ logger: failedRecordLogger(() => bulkJobWiring().log, 'bulk job step') }))
  .handler(runSteps);
