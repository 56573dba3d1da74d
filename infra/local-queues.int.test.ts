/**
 * The local stack's queues behave like the deployed ones: a record that fails comes back after the
 * same visibility timeout and is parked in the dead-letter queue after the same number of receives.
 */
import { describe, expect, it } from 'vitest';
import { LOCAL_QUEUES, queueAttributes } from '../libs/local/src/local-queues';
import {
  DELIVERY_BATCHING_WINDOW_S,
  DELIVERY_QUEUE_SETTINGS,
  JOB_QUEUE_SETTINGS,
  METERING_QUEUE_SETTINGS,
} from '../libs/aws/src/queue-settings';
import { DELIVER_TIMEOUT_S, JOB_TIMEOUT_S } from './functions';
import { DELIVERY_QUEUE, JOB_QUEUE, PROMPT_DELIVERY_QUEUE, queueResources } from './queues';

const deployed = queueResources({
  delivery: DELIVERY_QUEUE_SETTINGS,
  metering: METERING_QUEUE_SETTINGS,
  jobs: JOB_QUEUE_SETTINGS,
});

const settingsOf = (id: string) => {
  const properties = deployed[id]?.Properties as {
    VisibilityTimeout: number;
    RedrivePolicy: { maxReceiveCount: number };
  };
  return {
    visibilityTimeoutS: properties.VisibilityTimeout,
    maxReceiveCount: properties.RedrivePolicy.maxReceiveCount,
  };
};

describe('local queues and deployed queues', () => {
  it('the delivery queues have the deployed visibility and receive count', () => {
    const { name: _name, ...settings } = LOCAL_QUEUES.delivery;
    expect(settings).toEqual(settingsOf(DELIVERY_QUEUE));
    const { name: _prompt, ...promptSettings } = LOCAL_QUEUES.prompt;
    expect(promptSettings).toEqual(settingsOf(PROMPT_DELIVERY_QUEUE));
    // Six times the consumer's timeout plus the batching window, as AWS advises for a Lambda event source.
    expect(settings.visibilityTimeoutS).toBe(6 * DELIVER_TIMEOUT_S + DELIVERY_BATCHING_WINDOW_S);
  });

  it('the job queue has the deployed visibility and receive count', () => {
    const { name: _name, ...settings } = LOCAL_QUEUES.jobs;
    expect(settings).toEqual(settingsOf(JOB_QUEUE));
    expect(settings.visibilityTimeoutS).toBe(6 * JOB_TIMEOUT_S);
  });

  it('creates the local queue with exactly those attributes', () => {
    const attributes = queueAttributes(LOCAL_QUEUES.delivery, 'arn:aws:sqs:local:000000000000:dlq');
    expect(attributes).toEqual({
      VisibilityTimeout: String(settingsOf(DELIVERY_QUEUE).visibilityTimeoutS),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:local:000000000000:dlq',
        maxReceiveCount: settingsOf(DELIVERY_QUEUE).maxReceiveCount,
      }),
    });
  });
});
