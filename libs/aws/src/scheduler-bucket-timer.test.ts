import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConflictException, ServiceQuotaExceededException } from '@aws-sdk/client-scheduler';
import { describe, expect, it } from 'vitest';
import { bucketFor, DEFAULT_ENGINE_SETTINGS, MAX_DELAY_S } from '@vigil/core';
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

    it('says when Scheduler refuses a schedule for its quota (the alarm on it), and only then', async () => {
      // Prepare
      const refusals: string[] = [];
      const refusing = (error: Error) =>
        new SchedulerBucketTimer({ send: async () => Promise.reject(error) } as unknown as SchedulerClient, {
          ...TARGET,
          onQuotaRefused: () => refusals.push(error.name),
        });
      const quota = new ServiceQuotaExceededException({
        Message: 'schedules quota (injected)',
        message: 'schedules quota (injected)',
        $metadata: {},
      });
      const conflict = new ConflictException({
        Message: 'exists (injected)',
        message: 'exists (injected)',
        $metadata: {},
      });

      // Act
      await expect(refusing(quota).ensureBucket(BUCKET_AT)).rejects.toThrow(/quota/);
      await refusing(conflict).ensureBucket(BUCKET_AT);
      await expect(refusing(new Error('throttled (injected)')).ensureBucket(BUCKET_AT)).rejects.toThrow();

      // Assess: the refusal still fails the create (the sweep promotes the bucket), and is told once.
      expect(refusals).toEqual(['ServiceQuotaExceededException']);
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

    it('is named within AWS rules for every bucket a message can wait in, from the near window to a year ahead', async () => {
      // Prepare: the nearest and farthest buckets a create can place a message in, and one a day in between.
      const now = Date.UTC(2026, 11, 7, 20, 36, 19, 123);
      const first = bucketFor(now + DEFAULT_ENGINE_SETTINGS.nearWindowMs + 1, DEFAULT_ENGINE_SETTINGS);
      const last = bucketFor(now + MAX_DELAY_S * 1000, DEFAULT_ENGINE_SETTINGS);
      const scheduler = recordingScheduler();
      const timer = new SchedulerBucketTimer(scheduler.client, TARGET);

      // Act
      for (let bucketAt = first; bucketAt <= last; bucketAt += 86_400_000) await timer.ensureBucket(bucketAt);
      await timer.ensureBucket(last);

      // Assess: Scheduler's name pattern and length, and at() in whole seconds; nothing but the bucket's time in either.
      expect(scheduler.created.length).toBeGreaterThan(365);
      for (const { Name, ScheduleExpression } of scheduler.created) {
        expect(Name).toMatch(/^vigil-bucket-\d{13}$/);
        expect(Name!.length).toBeLessThanOrEqual(64);
        expect(ScheduleExpression).toMatch(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:00\)$/);
      }
    });
  });
});
