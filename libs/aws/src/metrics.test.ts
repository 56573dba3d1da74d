/**
 * The Embedded Metric Format lines the engine writes: what CloudWatch makes of them is fixed by the
 * directive in `_aws`, so the directive is what is asserted.
 */
import { describe, expect, it } from 'vitest';
import { createMetricsWriter, METRIC, METRICS_NAMESPACE } from './metrics';

const written = () => {
  const lines: string[] = [];
  return { lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
};

describe('the metrics writer', () => {
  it('dimensions every metric by stage alone, the set the alarms read', () => {
    const out = written();
    createMetricsWriter('prod', (line) => out.lines.push(line))({
      [METRIC.delivered]: { value: 1, unit: 'Count' },
      [METRIC.deliveryLateness]: { value: 3, unit: 'Milliseconds' },
    });
    const [line] = out.parsed();
    expect(line).toMatchObject({ Stage: 'prod', Delivered: 1, DeliveryLateness: 3 });
    expect((line!._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['Stage']],
        Metrics: [
          { Name: 'Delivered', Unit: 'Count' },
          { Name: 'DeliveryLateness', Unit: 'Milliseconds' },
        ],
      },
    ]);
  });

  it('breaks lateness down by its reason too, keeping the stage-only figures, and adds nothing without one', () => {
    const out = written();
    const metrics = createMetricsWriter('prod', (line) => out.lines.push(line));
    const late = {
      [METRIC.delivered]: { value: 1, unit: 'Count' },
      [METRIC.deliveryLateness]: { value: 61_000, unit: 'Milliseconds' },
    } as const;
    metrics(late, { name: 'LatenessReason', value: 'recovered', metrics: [METRIC.deliveryLateness] });
    // A breakdown of a metric the line does not carry adds no dimension set.
    metrics(
      { [METRIC.delivered]: { value: 1, unit: 'Count' } },
      {
        name: 'LatenessReason',
        value: 'recovered',
        metrics: [METRIC.deliveryLateness],
      },
    );
    const [byReason, without] = out.parsed();
    expect(byReason).toMatchObject({ Stage: 'prod', LatenessReason: 'recovered', DeliveryLateness: 61_000 });
    expect((byReason!._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['Stage']],
        Metrics: [
          { Name: 'Delivered', Unit: 'Count' },
          { Name: 'DeliveryLateness', Unit: 'Milliseconds' },
        ],
      },
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['Stage', 'LatenessReason']],
        Metrics: [{ Name: 'DeliveryLateness', Unit: 'Milliseconds' }],
      },
    ]);
    expect(without).not.toHaveProperty('LatenessReason');
    expect((without!._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics).toHaveLength(1);
  });
});
