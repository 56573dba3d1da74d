/**
 * The far-path timer: EventBridge Scheduler one-time schedules, one per minute bucket, kept in a
 * schedule group of their own per stage. The functions that create them pass Scheduler a role
 * that may invoke the promote function and park, in the scheduler's dead-letter queue, an
 * invocation it could not make after its retries (the schedules name the queue: they are made at
 * run time, libs/aws scheduler-bucket-timer.ts, from VIGIL_SCHEDULER_DLQ_ARN). Without it such a
 * bucket was dropped without a trace and its messages waited for the sweep; now its alarm fires.
 */
import type { CfnValue, Intrinsic, Resources } from './cloudformation';
import { arnOf, ref, serviceRole, sub } from './cloudformation';
import { stageName } from './names';
import { deadLetterQueue } from './queues';

export const SCHEDULE_GROUP = 'BucketScheduleGroup';
export const SCHEDULER_ROLE = 'SchedulerRole';
/** Promote invocations Scheduler gave up on: the bucket time is in each record's Input. */
export const SCHEDULER_DEAD_LETTER_QUEUE = 'SchedulerDeadLetterQueue';

export const scheduleGroupName: Intrinsic = ref(SCHEDULE_GROUP);
export const schedulerRoleArn: Intrinsic = arnOf(SCHEDULER_ROLE);
export const schedulerDeadLetterQueueArn: Intrinsic = arnOf(SCHEDULER_DEAD_LETTER_QUEUE);
const SCHEDULER_ARN_PREFIX = `arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}`;
/** An ARN inside this stage's schedule group, the group's name being `${Group}`. */
const groupArn = (resource: string): Intrinsic =>
  sub(`${SCHEDULER_ARN_PREFIX}:${resource}`, { Group: scheduleGroupName });
/** Every schedule in this stage's group (the bucket schedules are named at run time). */
export const bucketSchedulesArn: Intrinsic = groupArn(`schedule/\${Group}/*`);

export const schedulerResources = (target: { promoteArn: CfnValue }): Resources => ({
  [SCHEDULE_GROUP]: {
    Type: 'AWS::Scheduler::ScheduleGroup',
    Properties: { Name: stageName('buckets') },
  },
  [SCHEDULER_ROLE]: serviceRole({
    service: 'scheduler.amazonaws.com',
    // Only this stage's schedule group may use the role (confused deputy).
    trustCondition: {
      StringEquals: {
        'aws:SourceAccount': ref('AWS::AccountId'),
        'aws:SourceArn': groupArn(`schedule-group/\${Group}`),
      },
    },
    policyName: 'invoke-promote',
    statements: [
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [target.promoteArn] },
      // Scheduler delivers a dead-letter event with the schedule's own role (its docs: "Configuring a
      // schedule's dead-letter queue"); the queue is SSE-SQS, so no KMS grant goes with it.
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [schedulerDeadLetterQueueArn] },
    ],
  }),
  [SCHEDULER_DEAD_LETTER_QUEUE]: deadLetterQueue('scheduler-dlq'),
});
