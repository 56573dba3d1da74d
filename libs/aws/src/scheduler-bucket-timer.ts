/**
 * BucketTimer on EventBridge Scheduler: one one-time `at()` schedule per far-path bucket, named
 * after the bucket so that creating it twice is a harmless ConflictException. It invokes the
 * promote function with `{ bucketAt }` and deletes itself after it has fired. An invocation
 * Scheduler still could not make after its retries goes to the dead-letter queue when there is
 * one (the deployment's, infra/scheduler.ts), so a lost bucket is seen (its alarm) rather than
 * only caught up by the sweep.
 */
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConflictException, CreateScheduleCommand, ServiceQuotaExceededException } from '@aws-sdk/client-scheduler';
import type { BucketTimer } from '@vigil/core';

/** Buckets known to exist, so a busy bucket costs one CreateSchedule per process, not per message. */
const KNOWN_LIMIT = 10_000;

export const bucketScheduleName = (bucketAt: number): string => `vigil-bucket-${bucketAt}`;

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC; Scheduler has no milliseconds. */
export const atExpression = (epochMs: number): string => `at(${new Date(epochMs).toISOString().slice(0, 19)})`;

export class SchedulerBucketTimer implements BucketTimer {
  private readonly known = new Set<number>();

  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly target: {
      groupName: string;
      promoteArn: string;
      roleArn: string;
      /** The SQS queue Scheduler parks an invocation it gave up on in; none, and it drops it. */
      deadLetterArn?: string;
      /**
       * Told when Scheduler refuses a bucket's schedule for its quota (the account's schedules in
       * the region): the deployment counts it as a metric, whose alarm says to raise the quota.
       */
      onQuotaRefused?: () => void;
    },
  ) {}

  async ensureBucket(bucketAt: number): Promise<void> {
    if (this.known.has(bucketAt)) return;
    try {
      await this.scheduler.send(
        new CreateScheduleCommand({
          Name: bucketScheduleName(bucketAt),
          GroupName: this.target.groupName,
          ScheduleExpression: atExpression(bucketAt),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.target.promoteArn,
            RoleArn: this.target.roleArn,
            Input: JSON.stringify({ bucketAt }),
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 600 },
            ...(this.target.deadLetterArn && { DeadLetterConfig: { Arn: this.target.deadLetterArn } }),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ServiceQuotaExceededException) this.target.onQuotaRefused?.();
      if (!(error instanceof ConflictException)) throw error;
    }
    if (this.known.size >= KNOWN_LIMIT) this.known.clear();
    this.known.add(bucketAt);
  }
}
