/**
 * The delivery queue: near-path tickets (delayed up to 900 s) wait here for the deliver worker,
 * whose event source gathers them for up to the gather window (so tickets due about the same second
 * share a held invocation). The prompt delivery queue takes the tickets not to be gathered (due too
 * soon to wait that long, or ten or more for one second that fill batches by themselves: routing.ts
 * `placeTickets`); deliver reads it as tickets come. A ticket the worker keeps failing on, from
 * either, is parked in the delivery dead-letter queue after five receives, where it stays two weeks
 * for someone to look at (the message itself is safe in the table, and the sweep re-enqueues
 * anything overdue).
 */
import type { CfnResource, Intrinsic, Resources } from './cloudformation';
import { arnOf, ref } from './cloudformation';
import { stageName } from './names';
import type { ConsumedQueueSettings } from '../libs/aws/src/queue-settings';

export const DELIVERY_QUEUE = 'DeliveryQueue';
export const PROMPT_DELIVERY_QUEUE = 'PromptDeliveryQueue';
export const DELIVERY_DEAD_LETTER_QUEUE = 'DeliveryDeadLetterQueue';
/** Usage events from the API and the engine, folded into daily counters by the metering function. */
export const METERING_QUEUE = 'MeteringQueue';
export const METERING_DEAD_LETTER_QUEUE = 'MeteringDeadLetterQueue';
/** Bulk jobs' steps (one page of messages each), read by the job worker. */
export const JOB_QUEUE = 'JobQueue';
export const JOB_DEAD_LETTER_QUEUE = 'JobDeadLetterQueue';

export const deliveryQueueArn: Intrinsic = arnOf(DELIVERY_QUEUE);
export const deliveryQueueUrl: Intrinsic = ref(DELIVERY_QUEUE);
export const promptDeliveryQueueArn: Intrinsic = arnOf(PROMPT_DELIVERY_QUEUE);
export const promptDeliveryQueueUrl: Intrinsic = ref(PROMPT_DELIVERY_QUEUE);
export const deliveryDeadLetterQueueUrl: Intrinsic = ref(DELIVERY_DEAD_LETTER_QUEUE);
export const meteringQueueArn: Intrinsic = arnOf(METERING_QUEUE);
export const meteringQueueUrl: Intrinsic = ref(METERING_QUEUE);
export const jobQueueArn: Intrinsic = arnOf(JOB_QUEUE);
export const jobQueueUrl: Intrinsic = ref(JOB_QUEUE);

/** Receives before a ticket is parked in the dead-letter queue (the local stack uses the same). */
export { MAX_RECEIVE_COUNT } from '../libs/aws/src/queue-settings';
const FOURTEEN_DAYS_S = 14 * 24 * 3600;

export const queueResources = (consumers: {
  delivery: ConsumedQueueSettings;
  metering: ConsumedQueueSettings;
  jobs: ConsumedQueueSettings;
}): Resources => ({
  ...queueWithDeadLetters(METERING_QUEUE, METERING_DEAD_LETTER_QUEUE, 'metering', consumers.metering),
  ...queueWithDeadLetters(JOB_QUEUE, JOB_DEAD_LETTER_QUEUE, 'jobs', consumers.jobs),
  // The two delivery queues park in one dead-letter queue.
  [DELIVERY_QUEUE]: consumedQueue('delivery', consumers.delivery, DELIVERY_DEAD_LETTER_QUEUE),
  [PROMPT_DELIVERY_QUEUE]: consumedQueue('delivery-prompt', consumers.delivery, DELIVERY_DEAD_LETTER_QUEUE),
  [DELIVERY_DEAD_LETTER_QUEUE]: deadLetterQueue('delivery-dlq'),
});

/**
 * A queue whose consumer is a Lambda function, parking what it keeps failing on in `dlqId`; its
 * visibility as AWS advises for an event source (libs/aws/src/queue-settings.ts).
 */
const consumedQueue = (name: string, settings: ConsumedQueueSettings, dlqId: string): CfnResource => ({
  Type: 'AWS::SQS::Queue',
  Properties: {
    QueueName: stageName(name),
    VisibilityTimeout: settings.visibilityTimeoutS,
    SqsManagedSseEnabled: true,
    RedrivePolicy: {
      deadLetterTargetArn: arnOf(dlqId),
      maxReceiveCount: settings.maxReceiveCount,
    },
  },
});

/** A dead-letter queue: what a consumer kept failing on, kept two weeks for someone to look at. */
export const deadLetterQueue = (name: string): CfnResource => ({
  Type: 'AWS::SQS::Queue',
  Properties: {
    QueueName: stageName(name),
    MessageRetentionPeriod: FOURTEEN_DAYS_S,
    SqsManagedSseEnabled: true,
  },
});

/** A queue whose consumer is a Lambda function, with its dead-letter queue. */
const queueWithDeadLetters = (id: string, dlqId: string, name: string, settings: ConsumedQueueSettings): Resources => ({
  [id]: consumedQueue(name, settings, dlqId),
  [dlqId]: deadLetterQueue(`${name}-dlq`),
});
