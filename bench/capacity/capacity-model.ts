/**
 * The capacity model: what one big customer's day does to a deployment, computed from what the
 * code really does per message (the cost meter's usage of a scenario, bench/cost/) scaled to the
 * day's rate. Pure arithmetic: no AWS, no clock.
 *
 * - Per DynamoDB partition key (by class: `T#<tenant>#queued`, `P#<shard>`, ...): write and read
 *   units a second on each key, against a partition's 1,000 / 3,000. A class's load is spread
 *   evenly over its keys (the shards: a SHA-1 of the message id picks one).
 * - Per service: table and index totals, SQS requests and in-flight messages, Scheduler calls,
 *   API Gateway requests, Lambda concurrency (a deliver invocation holds its batch until the due
 *   instant: concurrency = invocations a second × the measured hold).
 * - Each limit's ceiling, the messages a second the day could sustain before it throttles; the
 *   lowest throttles first.
 * - The lateness that follows (`simulateLateness`): the day's messages fall due at its rate, the far
 *   path's promote hands them to the queue at its own pace, and the deliveries go out no faster than
 *   the lowest ceiling and the SQS event source's ramp allow.
 *
 * A `Deployment` is the key layout and quotas to model: today's, or a what-if (more shards, raised
 * quotas) for the fixes in docs/CAPACITY.md.
 */
import type { PartitionLoad } from '../cost/aws-call-meter';
import { MESSAGES_SENT, OUTSIDE_INVOCATIONS, parsePartitionCounter, parseQueueCounter } from '../cost/aws-call-meter';
import type { ScenarioUsage } from '../cost/cost-report';
import type { AwsQuotas } from './aws-quotas';

/** The part of a message's life a function's work belongs to. */
export type Phase = 'create' | 'delivery' | 'metering';

/** What the model needs to know of the code and its deployment, besides the measured usage. */
export interface CodeFacts {
  /** Functions behind API Gateway (each route's, and the authorizer). */
  apiFunctions: ReadonlySet<string>;
  /** The deliver function's SQS batch size (infra/functions.ts). */
  deliverBatchSize: number;
  /** Tickets promote hands to the queue per page (TICKET_PAGE); one page in flight at a time. */
  promotePageSize: number;
  /** The metering function's SQS batch size: usage events folded per invocation at scale. */
  meteringBatchSize: number;
}

/** A key layout and the account's quotas: today's, or a what-if. */
export interface Deployment {
  name: string;
  /** Keys `T#<tenant>#<status>` is split into in the byStatus index. */
  statusShards: number;
  /**
   * Keys a tenant's per-message items (messages `M#`, idempotency claims `I#`) are split into in
   * the table (1: all under `T#<tenant>`).
   */
  messageShards: number;
  /**
   * Keys a tenant's usage id levels (`UL#`) are split into: 1, the tenant's own `T#<tenant>`; N puts
   * each of the ledger's shards under a key of its own. The day totals (`U#`, one item a day) stay.
   */
  ledgerShards: number;
  /** Shards of the pending and bucket indexes (VIGIL_INDEX_SHARDS, default 8). */
  indexShards: number;
  /** Pages promote hands to the queue at once (PROMOTE_PAGES_IN_FLIGHT). */
  promotePagesInFlight: number;
  quotas: AwsQuotas;
  /** The deliver event source mapping starts at its ceiling (provisioned mode, pre-scaled) instead of ramping. */
  deliverPollersWarm: boolean;
  /**
   * The most batches deliver's event source runs at once: its maximumConcurrency (the template's
   * deliverMaxConcurrency parameter, kept below the account's concurrency so the API keeps room),
   * beside the mapping's own maximum; Infinity for none. A day's tickets go through one of deliver's
   * two queues (single creates the gathered one, batches and promoted buckets the prompt one), so
   * one bound applies. The account's concurrency carries deliver at most at this bound.
   */
  deliverMaxConcurrency: number;
}

/** One day a customer brings. */
export interface CustomerDay {
  name: string;
  /** The cost scenario whose per-message usage the day repeats. */
  scenario: ScenarioUsage;
  /** The phases of a message's life that happen during the day. */
  phases: readonly Phase[];
  /** Messages a second the day asks for, over `durationS`. */
  messagesPerSecond: number;
  durationS: number;
  /**
   * Far path only: seconds between the bucket's promote firing and the first due instant (the far
   * lead, less the Scheduler's own delay). Promote must hand the whole bucket over in that time.
   */
  promoteLeadS?: number;
  /**
   * Far path only: the distinct buckets (minutes) the day's messages fall due in. Schedules and
   * their invocations are per bucket, not per message: the model does not scale them by the rate.
   */
  buckets?: number;
  /** One line on what the day is. */
  note: string;
}

/** Assumed latencies on AWS (the bench measures the local emulators', which are slower). */
export interface AwsLatencies {
  /** One SendMessageBatch of ten tickets. */
  sqsSendBatchMs: number;
}

export interface KeyLoad {
  index: string;
  keyClass: string;
  /** How many keys the class's load spreads over. */
  keys: number;
  /** Write and read units a second on each key. */
  writeUnitsPerKey: number;
  readUnitsPerKey: number;
  /** Write units a second on each key by kind of item (table keys only). */
  writesByItemKind: Record<string, number>;
  /** The larger of writes ÷ 1,000 and reads ÷ 3,000: above 1 the key throttles. */
  utilization: number;
}

export interface Ceiling {
  /** What throttles. */
  limit: string;
  /** The load at the day's rate, and the limit, in the limit's own unit. */
  load: number;
  capacity: number;
  unit: string;
  /** Messages a second the day sustains before this limit throttles. */
  maxMessagesPerSecond: number;
  /** Which phase it slows: creates (accepted late or refused) or deliveries. */
  phase: Phase;
  /** The adjustable quota it is, if it is one (a partition's limit is not). */
  quota?: AdjustableQuota;
}

/** The quotas a support case can raise. */
export type AdjustableQuota = Exclude<
  keyof AwsQuotas,
  | 'dynamoPartitionWriteUnitsPerSecond'
  | 'dynamoPartitionReadUnitsPerSecond'
  | 'dynamoNewTableWarmWriteUnitsPerSecond'
  | 'dynamoNewTableWarmReadUnitsPerSecond'
  | 'sqsInFlightPerStandardQueue'
  | 'lambdaScalingPerTenSeconds'
  | 'sqsMappingStartBatches'
  | 'sqsMappingScalePerMinute'
>;

export interface Lateness {
  p50S: number;
  p99S: number;
  maxS: number;
  /** Seconds after the first due instant when the last message went out. */
  lastSentAfterS: number;
}

export interface DayReport {
  day: CustomerDay;
  deployment: Deployment;
  keys: KeyLoad[];
  /** Units a second on the table and on each index, summed over all their keys. */
  tableTotals: Array<{ index: string; writeUnits: number; readUnits: number }>;
  /** Requests a second per queue, and messages in flight on the delivery queue. */
  sqsRequestsPerSecond: Record<string, number>;
  deliveryInFlight: number;
  /** Concurrent executions per function, and the deliver mapping's concurrent batches. */
  concurrency: Record<string, number>;
  deliverHoldMs: number;
  ceilings: Ceiling[];
  /** Present when the day delivers. */
  lateness?: Lateness;
}

const LAMBDA = /^lambda\.(.+)\.(invocations|ms)$/;
const DELIVER = 'deliver';
const PROMOTE = 'promote';
const METERING = 'metering';
/** Table items there is one of per message (or per create request): what `messageShards` splits. */
const PER_MESSAGE_ITEMS = new Set(['M#', 'I#']);
/** The usage ledger's id levels: what `ledgerShards` splits (a day total is one item, so one key). */
const LEDGER_ITEMS = new Set(['UL#']);
/** The simulation gives up past a day of backlog; lateness at this bound means "a day or more". */
export const MAX_SIMULATED_S = 86_400;

/**
 * The metering phase's load per message at the day's scale relative to the measured one. A fold's
 * calls are per invocation (a write per ledger shard it touches, one day-total write), not per
 * event, and a short bench folds a few events per invocation where a busy day fills the batch:
 * the measured fold invocations per message, scaled to (events per message ÷ batch size).
 */
export const meteringScale = (day: CustomerDay, facts: CodeFacts): number => {
  let events = 0;
  for (const [name, sent] of Object.entries(day.scenario.usage)) {
    const counter = parseQueueCounter(name);
    if (!counter || counter.operation !== MESSAGES_SENT || !counter.queue.includes(METERING)) continue;
    if (day.phases.includes(phaseOf(facts, counter.functionName, counter.queue))) events += sent;
  }
  const measuredFolds = day.scenario.usage[`lambda.${METERING}.invocations`] ?? 0;
  if (measuredFolds === 0 || events === 0) return 1;
  return Math.min(1, events / facts.meteringBatchSize / measuredFolds);
};

export const phaseOf = (facts: CodeFacts, functionName: string, queue = ''): Phase => {
  if (facts.apiFunctions.has(functionName)) return 'create';
  if (functionName === METERING) return 'metering';
  if (functionName === OUTSIDE_INVOCATIONS) return queue.includes(METERING) ? 'metering' : 'delivery';
  return 'delivery';
};

/** The factor a phase's measured load per message takes at the day's scale (only metering's changes). */
const phaseScale = (day: CustomerDay, facts: CodeFacts): ((phase: Phase) => number) => {
  const metering = meteringScale(day, facts);
  return (phase) => (phase === 'metering' ? metering : 1);
};

/** The class and key count a partition load lands on in `deployment`'s layout. */
const placement = (load: PartitionLoad, deployment: Deployment): { keyClass: string; keys: number } => {
  if (load.index === 'table' && PER_MESSAGE_ITEMS.has(load.itemKind) && deployment.messageShards > 1) {
    return { keyClass: `${load.keyClass}#<m-shard>`, keys: deployment.messageShards };
  }
  if (load.index === 'table' && LEDGER_ITEMS.has(load.itemKind) && deployment.ledgerShards > 1) {
    return { keyClass: `${load.keyClass}#<ledger shard>`, keys: deployment.ledgerShards };
  }
  if (load.index === 'byStatus' && load.keyClass.startsWith('T#<tenant>#')) {
    return { keyClass: load.keyClass, keys: deployment.statusShards };
  }
  if (load.keyClass.includes('<shard>')) return { keyClass: load.keyClass, keys: deployment.indexShards };
  return { keyClass: load.keyClass, keys: 1 };
};

/** Per-second load on every key the day's phases touch, hottest first. */
export const keyLoads = (day: CustomerDay, deployment: Deployment, facts: CodeFacts, quotas: AwsQuotas): KeyLoad[] => {
  const rows = new Map<string, KeyLoad>();
  const perMessage = day.messagesPerSecond / day.scenario.messages;
  const scale = phaseScale(day, facts);
  for (const [name, measured] of Object.entries(day.scenario.usage)) {
    const load = parsePartitionCounter(name);
    const phase = load && phaseOf(facts, load.functionName);
    if (!load || !phase || !day.phases.includes(phase)) continue;
    const units = measured * scale(phase);
    const { keyClass, keys } = placement(load, deployment);
    const id = `${load.index} ${keyClass}`;
    const row = rows.get(id) ?? {
      index: load.index,
      keyClass,
      keys,
      writeUnitsPerKey: 0,
      readUnitsPerKey: 0,
      writesByItemKind: {},
      utilization: 0,
    };
    const perKey = (units * perMessage) / keys;
    if (load.units === 'wru') {
      row.writeUnitsPerKey += perKey;
      if (load.itemKind) row.writesByItemKind[load.itemKind] = (row.writesByItemKind[load.itemKind] ?? 0) + perKey;
    } else row.readUnitsPerKey += perKey;
    rows.set(id, row);
  }
  return [...rows.values()]
    .map((row) => ({
      ...row,
      utilization: Math.max(
        row.writeUnitsPerKey / quotas.dynamoPartitionWriteUnitsPerSecond,
        row.readUnitsPerKey / quotas.dynamoPartitionReadUnitsPerSecond,
      ),
    }))
    .sort((a, b) => b.utilization - a.utilization);
};

/** Per function of the day's phases: invocations and milliseconds per message. */
const functionsOf = (day: CustomerDay, facts: CodeFacts) => {
  const functions = new Map<string, { invocations: number; ms: number }>();
  const scale = phaseScale(day, facts);
  for (const [name, value] of Object.entries(day.scenario.usage)) {
    const [, fn = '', what] = LAMBDA.exec(name) ?? [];
    const phase = phaseOf(facts, fn);
    if (!what || !day.phases.includes(phase)) continue;
    const entry = functions.get(fn) ?? { invocations: 0, ms: 0 };
    entry[what as 'invocations' | 'ms'] += (scale(phase) * value) / day.scenario.messages;
    functions.set(fn, entry);
  }
  return functions;
};

/** The model of one day on one deployment. */
export const modelDay = (
  day: CustomerDay,
  deployment: Deployment,
  facts: CodeFacts,
  latencies: AwsLatencies,
): DayReport => {
  const { quotas } = deployment;
  const rate = day.messagesPerSecond;
  const per = (name: string) => ((day.scenario.usage[name] ?? 0) / day.scenario.messages) * rate;
  const keys = keyLoads(day, deployment, facts, quotas);
  const delivers = day.phases.includes('delivery');
  const creates = day.phases.includes('create');

  const totals = new Map<string, { index: string; writeUnits: number; readUnits: number }>();
  for (const key of keys) {
    const total = totals.get(key.index) ?? { index: key.index, writeUnits: 0, readUnits: 0 };
    total.writeUnits += key.writeUnitsPerKey * key.keys;
    total.readUnits += key.readUnitsPerKey * key.keys;
    totals.set(key.index, total);
  }

  const sqsRequestsPerSecond: Record<string, number> = {};
  const scale = phaseScale(day, facts);
  for (const [name, requests] of Object.entries(day.scenario.usage)) {
    const counter = parseQueueCounter(name);
    const phase = counter && phaseOf(facts, counter.functionName, counter.queue);
    if (!counter || !phase || counter.operation === MESSAGES_SENT || !day.phases.includes(phase)) continue;
    sqsRequestsPerSecond[counter.queue] =
      (sqsRequestsPerSecond[counter.queue] ?? 0) + ((scale(phase) * requests) / day.scenario.messages) * rate;
  }

  const functions = functionsOf(day, facts);
  const deliver = functions.get(DELIVER);
  // A deliver invocation holds its batch until the due instant: the measured mean per invocation.
  const deliverHoldMs = deliver && deliver.invocations > 0 ? deliver.ms / deliver.invocations : 0;
  const promoteRate = (facts.promotePageSize * deployment.promotePagesInFlight * 1000) / latencies.sqsSendBatchMs;
  const concurrency: Record<string, number> = {};
  for (const [fn, { ms }] of functions) {
    // At the day's rate the deliver batches are full; promote hands a bucket over at its own pace
    // (one invocation per bucket for as long as that takes); elsewhere, the measured time per message.
    if (fn === DELIVER) concurrency[fn] = (rate / facts.deliverBatchSize) * (deliverHoldMs / 1000);
    else if (fn === PROMOTE) concurrency[fn] = Math.max(1, rate / promoteRate);
    else concurrency[fn] = (rate * ms) / 1000;
  }
  const createConcurrency = [...functions.keys()]
    .filter((fn) => phaseOf(facts, fn) === 'create')
    .reduce((sum, fn) => sum + (concurrency[fn] ?? 0), 0);
  // Schedules are per bucket: each create process calls CreateSchedule once per bucket it meets.
  const createSchedules =
    day.buckets === undefined ? 0 : Math.min(rate, (createConcurrency * day.buckets) / day.durationS);
  const bucketsFired = day.buckets === undefined ? 0 : day.buckets / day.durationS;
  const deliverBatches = concurrency[DELIVER] ?? 0;
  const totalConcurrency = Object.values(concurrency).reduce((sum, n) => sum + n, 0);
  const deliveryInFlight = delivers ? rate * (deliverHoldMs / 1000) : 0;

  const ceilings: Ceiling[] = [];
  const ceiling = (
    limit: string,
    load: number,
    capacity: number,
    unit: string,
    phase: Phase,
    quota?: AdjustableQuota,
  ) => {
    if (load > 0) {
      ceilings.push({ limit, load, capacity, unit, phase, quota, maxMessagesPerSecond: (rate * capacity) / load });
    }
  };
  const keyPhase: Phase = delivers && !creates ? 'delivery' : 'create';
  for (const key of keys) {
    const label = `DynamoDB ${key.index} key ${key.keyClass}${key.keys > 1 ? ` (each of ${key.keys})` : ''}`;
    ceiling(`${label}, writes`, key.writeUnitsPerKey, quotas.dynamoPartitionWriteUnitsPerSecond, 'WCU/s', keyPhase);
    ceiling(`${label}, reads`, key.readUnitsPerKey, quotas.dynamoPartitionReadUnitsPerSecond, 'RCU/s', keyPhase);
  }
  for (const total of totals.values()) {
    const where = total.index === 'table' ? 'table' : `index ${total.index}`;
    const on = `DynamoDB ${where} on-demand quota`;
    ceiling(
      `${on}, writes`,
      total.writeUnits,
      quotas.dynamoTableWriteUnitsPerSecond,
      'WRU/s',
      keyPhase,
      'dynamoTableWriteUnitsPerSecond',
    );
    ceiling(
      `${on}, reads`,
      total.readUnits,
      quotas.dynamoTableReadUnitsPerSecond,
      'RRU/s',
      keyPhase,
      'dynamoTableReadUnitsPerSecond',
    );
  }
  // Deliver runs no more batches than its bound, whatever the day asks: the account carries those.
  const accountConcurrency =
    totalConcurrency - deliverBatches + Math.min(deliverBatches, deployment.deliverMaxConcurrency);
  const lambda = 'Lambda concurrent executions (account)';
  ceiling(
    lambda,
    accountConcurrency,
    quotas.lambdaConcurrentExecutions,
    'concurrent',
    keyPhase,
    'lambdaConcurrentExecutions',
  );
  const mapping = 'Lambda SQS mapping of deliver, concurrent batches';
  ceiling(
    mapping,
    deliverBatches,
    quotas.sqsMappingMaxConcurrentBatches,
    'batches',
    'delivery',
    'sqsMappingMaxConcurrentBatches',
  );
  // Not a quota: the deployment's own bound (a parameter), raised with the account's concurrency.
  if (Number.isFinite(deployment.deliverMaxConcurrency)) {
    ceiling(
      "deliver's maximumConcurrency (deliverMaxConcurrency)",
      deliverBatches,
      deployment.deliverMaxConcurrency,
      'batches',
      'delivery',
    );
  }
  ceiling(
    'SQS in-flight messages, delivery queue',
    deliveryInFlight,
    quotas.sqsInFlightPerStandardQueue,
    'messages',
    'delivery',
  );
  if (creates) {
    const api = per('apigateway.requests');
    ceiling(
      'API Gateway requests (account)',
      api,
      quotas.apiGatewayRequestsPerSecond,
      'requests/s',
      'create',
      'apiGatewayRequestsPerSecond',
    );
    const quota = 'schedulerCreateSchedulePerSecond';
    ceiling('Scheduler CreateSchedule', createSchedules, quotas[quota], 'requests/s', 'create', quota);
  }
  if (delivers) {
    const quota = 'schedulerInvocationsPerSecond';
    ceiling('Scheduler invocations', bucketsFired, quotas[quota], 'invocations/s', 'delivery', quota);
  }
  ceilings.sort((a, b) => a.maxMessagesPerSecond - b.maxMessagesPerSecond);

  const report: DayReport = {
    day,
    deployment,
    keys,
    tableTotals: [...totals.values()],
    sqsRequestsPerSecond,
    deliveryInFlight,
    concurrency,
    deliverHoldMs,
    ceilings,
  };
  if (!delivers) return report;
  const steady = Math.min(...ceilings.map((c) => c.maxMessagesPerSecond), Number.POSITIVE_INFINITY);
  const promotes = functions.has(PROMOTE) && day.promoteLeadS !== undefined;
  const mappingRate = (batches: number) =>
    deliverHoldMs > 0 ? (batches * facts.deliverBatchSize * 1000) / deliverHoldMs : Number.POSITIVE_INFINITY;
  report.lateness = simulateLateness({
    messagesPerSecond: rate,
    durationS: day.durationS,
    promote: promotes ? { leadS: day.promoteLeadS ?? 0, ticketsPerSecond: promoteRate } : undefined,
    sendCapacity: (sinceFirstReadyS) =>
      Math.min(
        steady,
        mappingRate(
          Math.min(
            deployment.deliverMaxConcurrency,
            deployment.deliverPollersWarm
              ? quotas.sqsMappingMaxConcurrentBatches
              : Math.min(
                  quotas.sqsMappingMaxConcurrentBatches,
                  quotas.sqsMappingStartBatches + (quotas.sqsMappingScalePerMinute * sinceFirstReadyS) / 60,
                ),
          ),
        ),
      ),
  });
  return report;
};

export interface LatenessInput {
  /** Messages fall due evenly at this rate from t = 0 for `durationS`. */
  messagesPerSecond: number;
  durationS: number;
  /**
   * Far path: promote starts `leadS` before t = 0 and hands tickets over at `ticketsPerSecond`,
   * earliest due first; a ticket cannot go out before it was handed over.
   */
  promote?: { leadS: number; ticketsPerSecond: number };
  /** Deliveries a second the deployment can make, by seconds since the first ticket was ready. */
  sendCapacity: (sinceFirstReadyS: number) => number;
}

/** Steps per second of the simulation. */
const STEPS_PER_SECOND = 10;

/**
 * A fluid simulation of one day's deliveries: in steps of 100 ms, the messages due in each step
 * become ready when due (and handed over by promote), and go out first come first served as the
 * step's capacity allows. Each step's cohort is late by when its last message went out less when
 * it was due.
 */
export const simulateLateness = (input: LatenessInput): Lateness => {
  const dt = 1 / STEPS_PER_SECOND;
  const steps = Math.round(input.durationS * STEPS_PER_SECOND);
  const cohort = input.messagesPerSecond * dt;
  // When each cohort is ready: its due instant, or when promote handed its last ticket over.
  const ready = Array.from({ length: steps }, (_, i) => {
    const due = i * dt;
    const handedOver = input.promote ? -input.promote.leadS + ((i + 1) * cohort) / input.promote.ticketsPerSecond : due;
    return Math.max(due, handedOver);
  });
  const lateness: number[] = [];
  const firstReady = ready[0] ?? 0;
  let next = 0;
  let left = cohort;
  let lastSent = 0;
  for (let step = 0; next < steps && step < MAX_SIMULATED_S * STEPS_PER_SECOND; step += 1) {
    const t = firstReady + step * dt;
    let budget = input.sendCapacity(t - firstReady) * dt;
    while (next < steps && (ready[next] ?? 0) < t + dt && budget > 0) {
      const sent = Math.min(left, budget);
      budget -= sent;
      left -= sent;
      if (left > 1e-9) break;
      lastSent = t + dt;
      // To the millisecond: the steps' sums carry float noise.
      lateness.push(Math.max(0, Math.round((lastSent - (next + 1) * dt) * 1000) / 1000));
      next += 1;
      left = cohort;
    }
  }
  // Cohorts the simulation did not reach count as a day late.
  while (lateness.length < steps) lateness.push(MAX_SIMULATED_S);
  const sorted = [...lateness].sort((a, b) => a - b);
  const quantile = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  return {
    p50S: quantile(0.5),
    p99S: quantile(0.99),
    maxS: sorted[sorted.length - 1] ?? 0,
    lastSentAfterS: lastSent,
  };
};

/** Rounds a raised quota up to a number a support case asks for: two significant digits. */
export const roundUpForRequest = (n: number): number => {
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.ceil(n / unit) * unit;
};

/**
 * The quotas to ask for so no adjustable quota limits any of `reports` (with `headroom`, e.g. 1.25):
 * for each quota some day exceeds, its largest load times the headroom, rounded up.
 */
export const quotasToRaise = (
  reports: readonly DayReport[],
  headroom: number,
): Partial<Record<AdjustableQuota, number>> => {
  const raised: Partial<Record<AdjustableQuota, number>> = {};
  for (const { ceilings } of reports) {
    for (const c of ceilings) {
      if (!c.quota || c.load * headroom <= c.capacity) continue;
      raised[c.quota] = Math.max(raised[c.quota] ?? 0, roundUpForRequest(c.load * headroom));
    }
  }
  return raised;
};

/** The smallest power of two at least `n` (a shard count). */
export const shardsFor = (n: number): number => 2 ** Math.max(0, Math.ceil(Math.log2(Math.max(1, n))));
