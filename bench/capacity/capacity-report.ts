/** The text `npm run bench:capacity` prints: one block per day, and the fixes' before and after. */
import type { DayReport, Deployment, Phase } from './capacity-model';
import { MAX_SIMULATED_S } from './capacity-model';
import { AWS_QUOTAS, HOW_TO_RAISE } from './aws-quotas';
import type { FlowKeyTraffic } from './flow-limiter-load';
import { flowLimiterLoad } from './flow-limiter-load';

const number = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '∞';
const seconds = (s: number) =>
  s >= MAX_SIMULATED_S ? 'a day or more' : s < 1 ? `${number(s * 1000)} ms` : `${number(s, 1)} s`;
const PHASE_PLURAL: Record<Phase, string> = { create: 'creates', delivery: 'deliveries', metering: 'usage folds' };
const pad = (text: string, width: number) => text.padEnd(width);
const right = (text: string, width: number) => text.padStart(width);

/** The most a listing shows of each kind of row. */
const KEY_ROWS = 12;
const CEILING_ROWS = 8;

const layoutOf = (d: Deployment) =>
  `byStatus ${d.statusShards} key(s) per tenant and status, messages under ${d.messageShards} key(s) per tenant, ` +
  `usage ledger under ${d.ledgerShards} key(s) per tenant, ` +
  `${d.indexShards} pending/bucket shards, promote ${d.promotePagesInFlight} page(s) at once, ` +
  `deliver mapping ${d.deliverPollersWarm ? 'pre-scaled' : 'ramping from 5 batches'}, ` +
  (Number.isFinite(d.deliverMaxConcurrency)
    ? `at most ${number(d.deliverMaxConcurrency)} batches (deliverMaxConcurrency)`
    : 'no maximumConcurrency');

export const formatDay = (report: DayReport): string => {
  const { day } = report;
  const lines = [
    `${day.name} — ${number(day.messagesPerSecond)} messages/s for ${number(day.durationS)} s`,
    `  ${day.note}`,
    `  measured on: "${day.scenario.name}" (${day.scenario.messages} messages); layout: ${report.deployment.name}`,
    '',
    `  ${pad('DynamoDB partition keys', 58)}${right('keys', 6)}${right('WCU/s each', 12)}${right('RCU/s each', 12)}${right('use', 8)}`,
  ];
  for (const key of report.keys.slice(0, KEY_ROWS)) {
    const kinds = Object.entries(key.writesByItemKind)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, units]) => `${kind} ${number(units)}`)
      .join(', ');
    const flag = key.utilization > 1 ? '  ← throttles' : '';
    lines.push(
      `    ${pad(`${key.index} ${key.keyClass}`, 56)}${right(number(key.keys), 6)}${right(number(key.writeUnitsPerKey), 12)}` +
        `${right(number(key.readUnitsPerKey), 12)}${right(`${number(key.utilization * 100)}%`, 8)}${flag}`,
    );
    if (kinds && key.index === 'table') lines.push(`      writes by item: ${kinds}`);
  }
  if (report.keys.length > KEY_ROWS) lines.push(`    … ${report.keys.length - KEY_ROWS} cooler keys`);
  lines.push(
    `  DynamoDB totals: ${report.tableTotals
      .map((t) => `${t.index} ${number(t.writeUnits)} WRU/s, ${number(t.readUnits)} RRU/s`)
      .join('; ')}`,
    `  Lambda concurrency: ${Object.entries(report.concurrency)
      .map(([fn, n]) => `${fn} ${number(n)}`)
      .join(
        ', ',
      )}${report.deliverHoldMs > 0 ? ` (a deliver invocation holds its batch ${number(report.deliverHoldMs)} ms)` : ''}`,
    `  SQS requests/s: ${Object.entries(report.sqsRequestsPerSecond)
      .map(([queue, n]) => `${queue} ${number(n)}`)
      .join(', ')}; in flight on the delivery queue ${number(report.deliveryInFlight)}`,
    '',
    `  What throttles first (messages/s the day sustains before each limit; it asks ${number(day.messagesPerSecond)}):`,
  );
  for (const c of report.ceilings.slice(0, CEILING_ROWS)) {
    const over = c.maxMessagesPerSecond < day.messagesPerSecond ? '  ← exceeded' : '';
    lines.push(
      `    ${right(number(c.maxMessagesPerSecond), 10)}/s  ${c.limit}: ${number(c.load)} of ${number(c.capacity)} ${c.unit}, slows ${PHASE_PLURAL[c.phase]}${over}`,
    );
  }
  if (report.lateness) {
    const l = report.lateness;
    lines.push(
      `  Lateness (fluid simulation): p50 ${seconds(l.p50S)}, p99 ${seconds(l.p99S)}, max ${seconds(l.maxS)}; ` +
        `the last message out ${seconds(l.lastSentAfterS)} after the first was due`,
    );
  } else {
    const first = report.ceilings[0];
    if (first && first.maxMessagesPerSecond < day.messagesPerSecond) {
      lines.push(
        `  Creates above ${number(first.maxMessagesPerSecond)}/s are throttled: the clients' retries carry the rest, ` +
          `${number((day.messagesPerSecond - first.maxMessagesPerSecond) * day.durationS)} creates late over the day`,
      );
    }
  }
  return lines.join('\n');
};

/** One line per fix and day: what the day sustains, what limits it, and the lateness. */
export const formatLadder = (steps: ReadonlyArray<{ deployment: Deployment; reports: DayReport[] }>): string => {
  const lines = [
    'Fixes, each on top of the ones above (what each day sustains, what throttles first, p99 / max lateness):',
  ];
  steps.forEach(({ deployment, reports }, i) => {
    lines.push(`  ${i}. ${deployment.name}`);
    for (const r of reports) {
      const first = r.ceilings[0];
      const ok = !first || first.maxMessagesPerSecond >= r.day.messagesPerSecond;
      const late = r.lateness ? `; p99 ${seconds(r.lateness.p99S)}, max ${seconds(r.lateness.maxS)} late` : '';
      lines.push(
        `       ${pad(r.day.name, 62)} ${right(number(first?.maxMessagesPerSecond ?? Number.POSITIVE_INFINITY), 9)}/s ${ok ? 'ok ' : 'low'}` +
          `  first: ${first ? `${first.limit} (${number((first.load / first.capacity) * 100)}%)` : 'nothing'}${late}`,
      );
    }
  });
  const last = steps[steps.length - 1]?.deployment;
  if (last) {
    const changed = Object.entries(last.quotas).filter(
      ([name, value]) => value !== (steps[0]?.deployment.quotas as Record<string, number>)[name],
    );
    lines.push('', `Quotas to raise (each day's largest load + 25 %)${changed.length === 0 ? ': none' : ':'}`);
    for (const [name, value] of changed) {
      const how = HOW_TO_RAISE[name as keyof typeof HOW_TO_RAISE];
      lines.push(`  ${name} ${number(value)}${how ? ` — ${how}` : ''}`);
    }
    lines.push(`Layout after the fixes: ${layoutOf(last)}`);
  }
  return lines.join('\n');
};

/** The flow keys' limiter items: one item each, under `T#<tenant>`. */
export const formatFlowKeys = (cases: readonly FlowKeyTraffic[]): string => {
  const lines = [
    "Flow control: one key's limiter item (T#<tenant> / F#<key>, one item; not in the measured scenarios, from the limiter's calls):",
  ];
  for (const traffic of cases) {
    const load = flowLimiterLoad(traffic);
    const bound =
      traffic.ratePerSecond !== undefined ? `rate ${traffic.ratePerSecond}/s` : `parallelism ${traffic.parallelism}`;
    const use = load.writeUnitsPerSecond / AWS_QUOTAS.dynamoPartitionWriteUnitsPerSecond;
    lines.push(
      `  ${pad(`${bound}, ${traffic.requestMs} ms a request:`, 36)} ${right(number(load.sendsPerSecond), 6)} sends/s, ` +
        `${number(load.leasesHeld)} leases held, item ${number(load.itemBytes)} B, ${number(load.writesPerSecond)} writes/s = ` +
        `${number(load.writeUnitsPerSecond)} WCU/s (${number(use * 100)}%)${use > 1 ? '  ← throttles' : ''}`,
    );
  }
  return lines.join('\n');
};
