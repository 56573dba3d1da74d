/**
 * The delivery worker's Lambda: one SQS batch of tickets, each held until it is due and sent on
 * time (see DeliveryWorker). Tickets are handled concurrently; a ticket that throws is reported
 * as a partial batch failure so SQS retries only that one (and, after maxReceiveCount, parks it
 * in the dead-letter queue).
 */
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import { runtime } from '@vigil/aws';
import { DeliveryTicketSchema } from '@vigil/core';
import type { SQSEvent } from 'aws-lambda';

const deliverRecords = async (event: SQSEvent) => {
  const { worker, log } = runtime();
  return Promise.allSettled(
    event.Records.map(async (record) => {
      const parsed = DeliveryTicketSchema.safeParse(JSON.parse(record.body));
      if (!parsed.success) {
        log.error('malformed delivery ticket', { sqsMessageId: record.messageId });
        throw new Error(`malformed delivery ticket ${record.messageId}`);
      }
      return worker.deliver(parsed.data);
    }),
  );
};

export const handler = middy<SQSEvent>().use(sqsPartialBatchFailure()).handler(deliverRecords);
