/**
 * The local stack's queues, made with the settings infra/queues.ts deploys (visibility six times
 * the consumer's timeout, parked in the dead-letter queue after the same number of receives):
 * infra/local-queues.int.test.ts checks that the two agree. The local stack meters usage through its
 * journal (usage-journal.ts); the metering queue is made only for a stack that meters as AWS does
 * (the cost bench: `metering: 'queue'` in stack.ts).
 */
import type { ConsumedQueueSettings } from '@vigil/aws/queue-settings';
import { DELIVERY_QUEUE_SETTINGS, JOB_QUEUE_SETTINGS, METERING_QUEUE_SETTINGS } from '@vigil/aws/queue-settings';

export interface LocalQueue extends ConsumedQueueSettings {
  name: string;
}

export const LOCAL_QUEUES = {
  delivery: { name: 'vigil-local-delivery', ...DELIVERY_QUEUE_SETTINGS },
  /** The prompt delivery queue (tickets not to be gathered), parking in the delivery queue's dead-letter queue. */
  prompt: { name: 'vigil-local-delivery-prompt', ...DELIVERY_QUEUE_SETTINGS },
  jobs: { name: 'vigil-local-jobs', ...JOB_QUEUE_SETTINGS },
  metering: { name: 'vigil-local-metering', ...METERING_QUEUE_SETTINGS },
} as const satisfies Record<string, LocalQueue>;

/** A consumed queue's CreateQueue attributes, given its dead-letter queue's ARN. */
export const queueAttributes = (queue: ConsumedQueueSettings, deadLetterTargetArn: string): Record<string, string> => ({
  VisibilityTimeout: String(queue.visibilityTimeoutS),
  RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount: queue.maxReceiveCount }),
});
