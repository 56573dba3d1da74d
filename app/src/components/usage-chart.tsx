'use client';

import { Text, VisuallyHidden } from '@radix-ui/themes';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useDisplayZone } from '@/lib/display-zone';
import { count, utcDayStartIn } from '@/lib/format';
import type { UsageDay } from '@/lib/types';

const SERIES = [
  { key: 'scheduled', name: 'Scheduled', color: 'var(--indigo-9)' },
  { key: 'delivered', name: 'Delivered', color: 'var(--grass-9)' },
  { key: 'failed', name: 'Failed', color: 'var(--red-9)' },
] as const;

/**
 * Scheduled, delivered and failed per day: a bar chart with a text summary for screen readers. The
 * days are UTC days, as Vigil counts (and its month), which it says: far from UTC a bar is not the
 * viewer's day (at UTC+14 today's is still labelled yesterday), so it says when one begins there.
 */
export function UsageChart({ days }: { days: UsageDay[] }) {
  const zone = useDisplayZone();
  const dayStart = zone === undefined ? undefined : utcDayStartIn(days.at(-1)?.date ?? '', zone);
  const total = (key: (typeof SERIES)[number]['key']) => days.reduce((sum, d) => sum + d[key], 0);
  // Grouped as the figures above it say them (10,000, not 10000), read aloud and in the tooltip.
  const summary = SERIES.map((s) => `${count(total(s.key))} ${s.name.toLowerCase()}`).join(', ');
  if (days.every((d) => d.scheduled + d.delivered + d.failed === 0)) {
    return (
      <Text size="2" color="gray">
        Nothing yet in the last 30 days. Scheduled messages and deliveries will show here day by day.
      </Text>
    );
  }
  return (
    <figure style={{ margin: 0 }}>
      <div style={{ width: '100%', height: 260 }}>
        <ResponsiveContainer>
          <BarChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} accessibilityLayer>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--gray-a5)" vertical={false} />
            <XAxis
              dataKey="date"
              tickFormatter={(date: string) => date.slice(5)}
              tick={{ fill: 'var(--gray-11)', fontSize: 12 }}
              minTickGap={16}
            />
            {/* Ungrouped: its narrow column cuts "10,000" to "0,000". */}
            <YAxis allowDecimals={false} tick={{ fill: 'var(--gray-11)', fontSize: 12 }} />
            <Tooltip
              formatter={(n) => count(Number(n))}
              cursor={{ fill: 'var(--gray-a3)' }}
              contentStyle={{
                background: 'var(--color-panel-solid)',
                border: '1px solid var(--gray-a6)',
                borderRadius: 'var(--radius-3)',
                color: 'var(--gray-12)',
              }}
            />
            <Legend />
            {SERIES.map((s) => (
              <Bar
                key={s.key}
                dataKey={s.key}
                name={s.name}
                fill={s.color}
                radius={[3, 3, 0, 0]}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <Text as="p" size="1" color="gray" mt="2" data-testid="utc-days">
        Each bar is a UTC day, as Vigil counts them (and the month&apos;s figures)
        {dayStart ? `: one begins at ${dayStart}.` : '.'}
      </Text>
      <VisuallyHidden asChild>
        <figcaption>Last 30 days (UTC days): {summary}.</figcaption>
      </VisuallyHidden>
    </figure>
  );
}
