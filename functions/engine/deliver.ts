/**
 * The delivery worker's Lambda: one SQS batch of tickets, each held until it is due and sent on
 * time (see DeliveryWorker). Tickets are handled concurrently; a ticket that throws, or one that is
 * malformed (see parseRecords), is reported as a partial batch failure so SQS retries only that one
 * (and, after maxReceiveCount, parks it in the dead-letter queue).
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import { METRIC, runtime } from '@vigil/aws';
import { DeliveryTicketSchema, failedRecordLogger, parseRecords, settleEach } from '@vigil/core';
import type { SQSEvent } from 'aws-lambda';

const deliverRecords = async (event: SQSEvent) => {
  const { worker, log, metrics } = runtime();
  metrics({ [METRIC.ticketsPerInvocation]: { value: event.Records.length, unit: 'Count' } });
  const tickets = parseRecords(DeliveryTicketSchema, event.Records, log, 'delivery ticket');
  return settleEach(tickets, (ticket) => worker.deliver(ticket));
};

export const handler = middy<SQSEvent>()
  .use(sqsPartialBatchFailure({ logger: failedRecordLogger(() => runtime().log, 'delivery ticket') }))
  .handler(deliverRecords);
