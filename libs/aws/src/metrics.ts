/**
 * CloudWatch metrics as Embedded Metric Format log lines: Lambda's log pipeline turns each line
 * into metric data points, with no API call on the hot path and no extra permission. Names and
 * the namespace are shared with the alarms in infra/.
 */
export const METRICS_NAMESPACE = 'Vigil';

export const METRIC = {
  /** ms between a message's due instant and the moment its request went out. */
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
  canaryLateness: 'CanaryLateness',
  canarySuccess: 'CanarySuccess',
} as const;

type MetricName = (typeof METRIC)[keyof typeof METRIC];
type Unit = 'Milliseconds' | 'Count';

export type MetricsWriter = (metrics: Partial<Record<MetricName, { value: number; unit: Unit }>>) => void;

/** Writes one EMF line per call, dimensioned by stage; `write` defaults to stdout (what Lambda ships). */
export const createMetricsWriter =
  (stage: string, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): MetricsWriter =>
  (metrics) => {
    const entries = Object.entries(metrics) as Array<[MetricName, { value: number; unit: Unit }]>;
    if (entries.length === 0) return;
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
          ],
        },
        Stage: stage,
        ...Object.fromEntries(entries.map(([name, { value }]) => [name, value])),
      }),
    );
  };
