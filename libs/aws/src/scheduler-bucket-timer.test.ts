import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { SchedulerBucketTimer } from './scheduler-bucket-timer';

const TARGET = {
  groupName: 'vigil-ci-buckets',
  promoteArn: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-ci-promote',
  roleArn: 'arn:aws:iam::000000000000:role/vigil-ci-scheduler',
};
const DEAD_LETTER_ARN = 'arn:aws:sqs:us-east-1:000000000000:vigil-ci-scheduler-dlq';
const BUCKET_AT = Date.UTC(2027, 0, 15, 9, 0, 0);

/** A Scheduler client that records what it is asked to create. */
const recordingScheduler = () => {
  const created: CreateScheduleCommandInput[] = [];
  const client = {
    send: async (command: { input: CreateScheduleCommandInput }) => {
      created.push(command.input);
      return {};
    },
  } as unknown as SchedulerClient;
  return { client, created };
};

describe('SchedulerBucketTimer', () => {
  describe("a bucket's schedule", () => {
    it('parks a promote invocation Scheduler gave up on in the dead-letter queue, after retrying it', async () => {
      // Prepare
      const scheduler = recordingScheduler();
      const timer = new SchedulerBucketTimer(scheduler.client, { ...TARGET, deadLetterArn: DEAD_LETTER_ARN });

      // Act
      await timer.ensureBucket(BUCKET_AT);

      // Assess
      expect(scheduler.created).toHaveLength(1);
      expect(scheduler.created[0]?.Target).toEqual({
        Arn: TARGET.promoteArn,
        RoleArn: TARGET.roleArn,
        Input: JSON.stringify({ bucketAt: BUCKET_AT }),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: DEAD_LETTER_ARN },
      });
    });

    it('names no dead-letter queue where none is configured', async () => {
      // Prepare
      const scheduler = recordingScheduler();
      const timer = new SchedulerBucketTimer(scheduler.client, TARGET);

      // Act
      await timer.ensureBucket(BUCKET_AT);

      // Assess
      expect(scheduler.created[0]?.Target).not.toHaveProperty('DeadLetterConfig');
      expect(scheduler.created[0]?.Target?.RetryPolicy).toEqual({
        MaximumRetryAttempts: 10,
        MaximumEventAgeInSeconds: 600,
      });
    });
  });
});
