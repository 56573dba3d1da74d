/**
 * The far-path timer: EventBridge Scheduler one-time schedules, one per minute bucket, kept in a
 * schedule group of their own per stage. The functions that create them pass Scheduler a role
 * that may do one thing: invoke the promote function.
 */
import type { CfnValue, Intrinsic, Resources } from './cloudformation';
import { arnOf, ref, serviceRole, sub } from './cloudformation';
import { stageName } from './names';

export const SCHEDULE_GROUP = 'BucketScheduleGroup';
export const SCHEDULER_ROLE = 'SchedulerRole';

export const scheduleGroupName: Intrinsic = ref(SCHEDULE_GROUP);
export const schedulerRoleArn: Intrinsic = arnOf(SCHEDULER_ROLE);
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
    statements: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [target.promoteArn] }],
  }),
});
