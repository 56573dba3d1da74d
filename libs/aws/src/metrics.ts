/**
 * CloudWatch metrics as Embedded Metric Format log lines: Lambda's log pipeline turns each line
 * into metric data points, with no API call on the hot path and no extra permission. Names and
 * the namespace are shared with the alarms in infra/.
 */
export const METRICS_NAMESPACE = 'Vigil';

export const METRIC = {
  /**
   * ms between a message's due instant and the moment its request went out; also by
   * `LatenessReason` (Stage, LatenessReason) for a delivery that gives one (openapi's latenessReason).
   */
  deliveryLateness: 'DeliveryLateness',
  delivered: 'Delivered',
  attemptFailed: 'AttemptFailed',
  /** Gave up: attempts exhausted, 410 Gone, or an unreachable target. */
  deliveryFailed: 'DeliveryFailed',
  /**
   * Tickets one deliver invocation was handed: Lambda bills each invocation's held time, so the more
   * tickets share one (gathered per second: docs/ARCHITECTURE.md §2.2), the less a delivery costs.
   */
  ticketsPerInvocation: 'TicketsPerInvocation',
  /**
   * A far-path bucket's schedule Scheduler refused for its quota (ServiceQuotaExceededException: the
   * account's schedules in the region, every stage's together). The sweep
   * promotes such a bucket all the same; the alarm on it says to raise the quota.
   */
  bucketScheduleRefused: 'BucketScheduleRefused',
  /**
   * Usage events the API or a worker gave up sending to the metering queue (SQS failing past the
   * meter's bounds: sqs-usage-meter.ts): not counted until replayed from the log line that names
   * them; the alarm on it pages.
   */
  usageEventsLost: 'UsageEventsLost',
  canaryLateness: 'CanaryLateness',
  canarySuccess: 'CanarySuccess',
} as const;

type MetricName = (typeof METRIC)[keyof typeof METRIC];
type Unit = 'Milliseconds' | 'Count';

/**
 * A breakdown of some of a line's metrics by one more dimension (`name`: `value`), beside the
 * Stage-only figures every line gives: an alarm on those holds, and the breakdown costs one custom
 * metric per value of each metric it names, the others none.
 */
export interface MetricsBreakdown {
  name: 'LatenessReason';
  value: string;
  metrics: readonly MetricName[];
}

export type MetricsWriter = (
  metrics: Partial<Record<MetricName, { value: number; unit: Unit }>>,
  breakdown?: MetricsBreakdown,
) => void;

/**
 * Writes one EMF line per call, dimensioned by stage (and, for the metrics a `breakdown` names, by
 * stage and its dimension too); `write` defaults to stdout (what Lambda ships).
 */
export const createMetricsWriter =
  (stage: string, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): MetricsWriter =>
  (metrics, breakdown) => {
    const entries = Object.entries(metrics) as Array<[MetricName, { value: number; unit: Unit }]>;
    if (entries.length === 0) return;
    const brokenDown = breakdown && entries.filter(([name]) => breakdown.metrics.includes(name));
    write(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [['Stage']],
              Metrics: entries.map(([name, { unit }]) => ({ Name: name, Unit: unit })),
            },
            ...(brokenDown && brokenDown.length > 0
              ? [
                  {
                    Namespace: METRICS_NAMESPACE,
                    Dimensions: [['Stage', breakdown.name]],
                    Metrics: brokenDown.map(([name, { unit }]) => ({ Name: name, Unit: unit })),
                  },
                ]
              : []),
          ],
        },
        Stage: stage,
        ...(brokenDown && brokenDown.length > 0 && { [breakdown.name]: breakdown.value }),
        ...Object.fromEntries(entries.map(([name, { value }]) => [name, value])),
      }),
    );
  };
