/**
 * What pages someone: a record parked in any dead-letter queue (delivery tickets, usage events, bulk
 * job steps, bucket timers Scheduler could not fire), a failing sweep or promote (the far path and the net under it), a bucket
 * schedule Scheduler refused for its quota, late deliveries, and
 * the canary (missing, failing or late). Every alarm notifies one SNS topic per stage, when it fires and when it clears; the
 * topic has no subscriber unless the `alarmEmail` parameter names one (anything else subscribes
 * to the topic outside this stack). The lateness and canary metrics are the Embedded Metric
 * Format lines the functions write (libs/aws/src/metrics.ts), dimensioned by stage.
 */
import { METRIC, METRICS_NAMESPACE } from '../libs/aws/src/metrics';
import type { CfnResource, CfnValue, Conditions, Resources } from './cloudformation';
import { ref } from './cloudformation';
import { STAGE, stageName } from './names';
import { param } from './params';
import { PROMOTE, SWEEP } from './functions';
import { functionLogicalId } from './names';
import { DELIVERY_DEAD_LETTER_QUEUE, JOB_DEAD_LETTER_QUEUE, METERING_DEAD_LETTER_QUEUE } from './queues';
import { SCHEDULER_DEAD_LETTER_QUEUE } from './scheduler';

export const ALARM_TOPIC = 'AlarmTopic';
export const HAS_ALARM_EMAIL = 'HasAlarmEmail';

export const alarmConditions = (): Conditions => ({
  [HAS_ALARM_EMAIL]: { 'Fn::Not': [{ 'Fn::Equals': [param('alarmEmail'), ''] }] },
});

interface AlarmSpec {
  name: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Array<{ Name: string; Value: CfnValue }>;
  statistic: { Statistic: 'Maximum' | 'Sum' } | { ExtendedStatistic: `p${number}` };
  periodS: number;
  /** Datapoints that must breach, out of as many evaluation periods. */
  datapoints: number;
  comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
  threshold: CfnValue;
  treatMissingData: 'breaching' | 'notBreaching';
}

const alarm = (spec: AlarmSpec): CfnResource => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmName: stageName(spec.name),
    AlarmDescription: spec.description,
    Namespace: spec.namespace,
    MetricName: spec.metricName,
    Dimensions: spec.dimensions,
    ...spec.statistic,
    Period: spec.periodS,
    EvaluationPeriods: spec.datapoints,
    DatapointsToAlarm: spec.datapoints,
    ComparisonOperator: spec.comparison,
    Threshold: spec.threshold,
    TreatMissingData: spec.treatMissingData,
    AlarmActions: [ref(ALARM_TOPIC)],
    OKActions: [ref(ALARM_TOPIC)],
  },
});

const byStage = [{ Name: 'Stage', Value: STAGE }];

/** Fires as soon as one record is parked in `queue`, a dead-letter queue. */
const deadLetterAlarm = (name: string, queue: string, description: string): CfnResource =>
  alarm({
    name,
    description,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
    statistic: { Statistic: 'Maximum' },
    periodS: 60,
    datapoints: 1,
    comparison: 'GreaterThanThreshold',
    threshold: 0,
    treatMissingData: 'notBreaching',
  });

/** Fires at the first count of one of Vigil's own metrics in five minutes (none counted, nothing to say). */
const firstCountAlarm = (name: string, metricName: string, description: string): CfnResource =>
  alarm({
    name,
    description,
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensions: byStage,
    statistic: { Statistic: 'Sum' },
    periodS: 300,
    datapoints: 1,
    comparison: 'GreaterThanThreshold',
    threshold: 0,
    treatMissingData: 'notBreaching',
  });

/** Fires when the function failed in two of three minutes in a row (a failure once is retried). */
const functionErrorsAlarm = (name: string, functionKey: string, description: string): CfnResource =>
  alarm({
    name,
    description,
    namespace: 'AWS/Lambda',
    metricName: 'Errors',
    dimensions: [{ Name: 'FunctionName', Value: ref(functionLogicalId(functionKey)) }],
    statistic: { Statistic: 'Sum' },
    periodS: 60,
    datapoints: 2,
    comparison: 'GreaterThanThreshold',
    threshold: 0,
    treatMissingData: 'notBreaching',
  });

export const alarmResources = (): Resources => ({
  [ALARM_TOPIC]: {
    Type: 'AWS::SNS::Topic',
    Properties: { TopicName: stageName('alarms'), DisplayName: `Vigil ${STAGE} alarms` },
  },
  AlarmEmailSubscription: {
    Type: 'AWS::SNS::Subscription',
    Condition: HAS_ALARM_EMAIL,
    Properties: { TopicArn: ref(ALARM_TOPIC), Protocol: 'email', Endpoint: param('alarmEmail') },
  },
  DeliveryDeadLetterAlarm: deadLetterAlarm(
    'delivery-dlq',
    DELIVERY_DEAD_LETTER_QUEUE,
    'Delivery tickets were parked in the dead-letter queue: the deliver worker keeps failing on them.',
  ),
  MeteringDeadLetterAlarm: deadLetterAlarm(
    'metering-dlq',
    METERING_DEAD_LETTER_QUEUE,
    'Usage events were parked in the dead-letter queue: they are not counted (usage, quotas) until redriven.',
  ),
  JobDeadLetterAlarm: deadLetterAlarm(
    'jobs-dlq',
    JOB_DEAD_LETTER_QUEUE,
    'Bulk job steps were parked in the dead-letter queue: the sweep resumes their jobs, or gives them up as stalled.',
  ),
  SchedulerDeadLetterAlarm: deadLetterAlarm(
    'scheduler-dlq',
    SCHEDULER_DEAD_LETTER_QUEUE,
    "Scheduler could not invoke promote for a far-path bucket after its retries: the bucket's messages wait for the sweep, a minute or more late (the record names the bucket).",
  ),
  SweepErrorsAlarm: functionErrorsAlarm(
    'sweep-errors',
    SWEEP,
    'The sweep keeps failing: overdue messages (lost tickets, a failed bucket timer) are not re-enqueued.',
  ),
  PromoteErrorsAlarm: functionErrorsAlarm(
    'promote-errors',
    PROMOTE,
    'Far-path buckets keep failing to promote: their messages wait for the sweep, a minute or more late.',
  ),
  SchedulerQuotaAlarm: firstCountAlarm(
    'scheduler-quota',
    METRIC.bucketScheduleRefused,
    "Scheduler refused a far-path bucket's schedule for its quota (schedules per account and region, every stage's together): the sweep promotes such buckets a minute after their time, still before their messages are due; raise the quota (README, When the far path's timer misbehaves).",
  ),
  UsageLostAlarm: firstCountAlarm(
    'usage-lost',
    METRIC.usageEventsLost,
    "Usage events could not be sent to the metering queue (SQS failing past the meter's retries): they are not counted (usage, quotas) until replayed from the 'usage events not recorded' log lines, which name them (README, Usage and quotas).",
  ),
  DeliveryLatenessAlarm: alarm({
    name: 'delivery-lateness-p99',
    description: 'p99 delivery lateness has been above the threshold for 15 minutes.',
    namespace: METRICS_NAMESPACE,
    metricName: METRIC.deliveryLateness,
    dimensions: byStage,
    statistic: { ExtendedStatistic: 'p99' },
    periodS: 300,
    datapoints: 3,
    comparison: 'GreaterThanThreshold',
    threshold: param('latenessAlarmMs'),
    // No deliveries, no lateness.
    treatMissingData: 'notBreaching',
  }),
  CanaryMissingAlarm: alarm({
    name: 'canary-missing',
    description: 'No canary probe arrived (or every one was refused) in 15 minutes.',
    namespace: METRICS_NAMESPACE,
    metricName: METRIC.canarySuccess,
    dimensions: byStage,
    statistic: { Statistic: 'Sum' },
    periodS: 900,
    datapoints: 1,
    comparison: 'LessThanThreshold',
    threshold: 1,
    // Silence is the failure this alarm is for.
    treatMissingData: 'breaching',
  }),
  CanaryLatenessAlarm: alarm({
    name: 'canary-lateness-p99',
    description: 'p99 canary probe lateness was above the threshold over 15 minutes.',
    namespace: METRICS_NAMESPACE,
    metricName: METRIC.canaryLateness,
    dimensions: byStage,
    statistic: { ExtendedStatistic: 'p99' },
    periodS: 900,
    datapoints: 1,
    comparison: 'GreaterThanThreshold',
    threshold: param('latenessAlarmMs'),
    // A missing canary is CanaryMissingAlarm's business.
    treatMissingData: 'notBreaching',
  }),
});
