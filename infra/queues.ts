/**
 * The delivery queue: near-path tickets (delayed up to 900 s) wait here for the deliver worker.
 * A ticket the worker keeps failing on is parked in the dead-letter queue after five receives,
 * where it stays two weeks for someone to look at (the message itself is safe in the table, and
 * the sweep re-enqueues anything overdue).
 */
import type { Intrinsic, Resources } from './cloudformation';
import { arnOf, ref } from './cloudformation';
import { stageName } from './names';

export const DELIVERY_QUEUE = 'DeliveryQueue';
export const DELIVERY_DEAD_LETTER_QUEUE = 'DeliveryDeadLetterQueue';

export const deliveryQueueArn: Intrinsic = arnOf(DELIVERY_QUEUE);
export const deliveryQueueUrl: Intrinsic = ref(DELIVERY_QUEUE);
export const deliveryDeadLetterQueueUrl: Intrinsic = ref(DELIVERY_DEAD_LETTER_QUEUE);

/** Receives before a ticket is parked in the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
const FOURTEEN_DAYS_S = 14 * 24 * 3600;

export const queueResources = (consumer: { timeoutS: number }): Resources => ({
  [DELIVERY_QUEUE]: {
    Type: 'AWS::SQS::Queue',
    Properties: {
      QueueName: stageName('delivery'),
      // AWS's advice for a Lambda event source: at least six times the function's timeout.
      VisibilityTimeout: 6 * consumer.timeoutS,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: arnOf(DELIVERY_DEAD_LETTER_QUEUE),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      },
    },
  },
  [DELIVERY_DEAD_LETTER_QUEUE]: {
    Type: 'AWS::SQS::Queue',
    Properties: {
      QueueName: stageName('delivery-dlq'),
      MessageRetentionPeriod: FOURTEEN_DAYS_S,
      SqsManagedSseEnabled: true,
    },
  },
});
