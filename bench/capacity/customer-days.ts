/**
 * The two days a big customer will bring (issue 14, item 6), on the cost bench's scenarios, and
 * the fixes to model against them, in the order they pay off (docs/CAPACITY.md).
 */
import { DEFAULT_ENGINE_SETTINGS, PROMOTE_PAGES_IN_FLIGHT } from '@vigil/core';
import type { ScenarioUsage } from '../cost/cost-report';
import type { CustomerDay, DayReport, Deployment } from './capacity-model';
import { quotasToRaise, roundUpForRequest, shardsFor } from './capacity-model';
import { SHARDS as LEDGER_SHARDS } from '@vigil/aws/usage-ledger-layout';
import { PARAM_DEFAULTS } from '../../infra/params';
import { AWS_QUOTAS } from './aws-quotas';
import type { FlowKeyTraffic } from './flow-limiter-load';

/** Day (a): one tenant creating this many messages a second, for an hour. */
export const CREATE_RATE = 10_000;
export const CREATE_HOURS_S = 3_600;
/** Day (b): this many messages of one tenant due in the same minute. */
export const REMINDERS = 1_000_000;
export const REMINDER_MINUTE_S = 60;
/** Day (a) on the far path: its messages fall due over the next day, one bucket a minute. */
export const FAR_SPREAD_BUCKETS = 1_440;
/** EventBridge Scheduler fires an `at()` schedule up to a minute late: promote's lead is what is left. */
export const SCHEDULER_DELAY_S = 60;

const scenarioNamed = (scenarios: readonly ScenarioUsage[], prefix: string): ScenarioUsage => {
  const found = scenarios.find((s) => s.name.startsWith(prefix));
  if (!found) throw new Error(`capacity model: the cost bench ran no scenario "${prefix}…"`);
  return found;
};

export const customerDays = (scenarios: readonly ScenarioUsage[]): CustomerDay[] => {
  const batch = scenarioNamed(scenarios, 'Batch of');
  return [
    {
      name: '(a) 10,000 creates/s for an hour, near path',
      note: 'POST /v1/messages each, due within the near window: creates and deliveries both at 10,000/s',
      scenario: scenarioNamed(scenarios, 'Single create, near path'),
      phases: ['create', 'delivery', 'metering'],
      messagesPerSecond: CREATE_RATE,
      durationS: CREATE_HOURS_S,
    },
    {
      name: '(a) 10,000 creates/s for an hour, far path',
      note: `POST /v1/messages each, due over the next ${FAR_SPREAD_BUCKETS / 60} hours (${FAR_SPREAD_BUCKETS} buckets); deliveries not this hour`,
      scenario: scenarioNamed(scenarios, 'Single create, far path'),
      phases: ['create', 'metering'],
      messagesPerSecond: CREATE_RATE,
      durationS: CREATE_HOURS_S,
      buckets: FAR_SPREAD_BUCKETS,
    },
    {
      name: `(a) 10,000 creates/s for an hour, near path, in batches of ${batch.messages}`,
      note: `POST /v1/messages/batch of ${batch.messages} (the measured batch), all of a batch due at one instant`,
      scenario: batch,
      phases: ['create', 'delivery', 'metering'],
      messagesPerSecond: CREATE_RATE,
      durationS: CREATE_HOURS_S,
    },
    {
      name: '(b) 1,000,000 reminders due 09:00:00–09:00:59',
      note: 'created days before on the far path (one bucket); this minute: promote, take, send, record, usage',
      scenario: scenarioNamed(scenarios, 'Single create, far path'),
      phases: ['delivery', 'metering'],
      messagesPerSecond: REMINDERS / REMINDER_MINUTE_S,
      durationS: REMINDER_MINUTE_S,
      promoteLeadS: DEFAULT_ENGINE_SETTINGS.farLeadMs / 1000 - SCHEDULER_DELAY_S,
      buckets: 1,
    },
  ];
};

/**
 * The deployment before tenant shards: one byStatus key per tenant and status, messages, claims and
 * usage levels under `T#<tenant>`, 8 index shards, promote handing PROMOTE_PAGES_IN_FLIGHT pages to
 * the queue at once. A local stack runs so by default (VIGIL_TENANT_SHARDS=1).
 */
export const UNSHARDED_LAYOUT: Deployment = {
  name: 'one key a tenant (VIGIL_TENANT_SHARDS=1, the local default; the template before 2026-12-06)',
  statusShards: 1,
  messageShards: 1,
  ledgerShards: 1,
  indexShards: 8,
  promotePagesInFlight: PROMOTE_PAGES_IN_FLIGHT,
  quotas: AWS_QUOTAS,
  deliverPollersWarm: false,
  // No bound of its own then (the template's deliverMaxConcurrency came with 2026-12-06's hardening).
  deliverMaxConcurrency: Number.POSITIVE_INFINITY,
};

/** The shard counts and deliver's concurrency bound of a stage deployed with the template's defaults. */
const {
  tenantShards: TENANT_SHARDS,
  indexShards: INDEX_SHARDS,
  deliverMaxConcurrency: DELIVER_MAX_CONCURRENCY,
} = PARAM_DEFAULTS;

/**
 * The deployment as the template makes it (infra/params.ts `tenantShards`): a tenant's messages, claims and
 * listing entries over TENANT_SHARDS keys each, its usage levels under a key per ledger shard. The
 * bench measures on a local stack with one key a tenant: each call writes the same items, whatever
 * their keys are named, so the model places the same units on the deployment's keys.
 */
export const TODAY: Deployment = {
  ...UNSHARDED_LAYOUT,
  name:
    `today: the template's tenantShards=${TENANT_SHARDS} (a tenant's messages, claims and listing entries over ` +
    `${TENANT_SHARDS} keys, usage levels under ${LEDGER_SHARDS}), indexShards=${INDEX_SHARDS} ` +
    `and deliverMaxConcurrency=${DELIVER_MAX_CONCURRENCY}`,
  statusShards: TENANT_SHARDS,
  messageShards: TENANT_SHARDS,
  ledgerShards: TENANT_SHARDS > 1 ? LEDGER_SHARDS : 1,
  indexShards: INDEX_SHARDS,
  deliverMaxConcurrency: DELIVER_MAX_CONCURRENCY,
};

/** Growth room over the model's figure in every fix (25 %). */
export const HEADROOM = 1.25;

/**
 * The fixes in the order the limits throttle, from the layout before tenant shards: first the tenant
 * shards the template now has (TODAY), then what the days still need, each on top of the ones before,
 * sized from `today` (the model of every day on TODAY): each shard count the smallest power of two
 * that brings its keys under their limit with HEADROOM (a step only where that is more than the
 * layout has); then the quotas some day still exceeds. (Promote's pace, a fix once, is the engine's
 * own now: PROMOTE_PAGES_IN_FLIGHT pages at once.) `model` runs the days on a deployment (so each
 * step is sized on the one before).
 */
export const fixLadder = (today: readonly DayReport[], model: (d: Deployment) => DayReport[]): Deployment[] => {
  const worst = (pick: (r: DayReport) => number[]) => Math.max(0, ...today.flatMap(pick));
  const limit = AWS_QUOTAS.dynamoPartitionWriteUnitsPerSecond;
  // What a class of tenant keys would carry on one key: its load on each key times its keys.
  const statusShards = shardsFor(
    HEADROOM *
      worst((r) =>
        r.keys
          .filter((k) => k.index === 'byStatus' && k.keyClass.startsWith('T#<tenant>#'))
          .map((k) => k.utilization * k.keys),
      ),
  );
  const messageShards = shardsFor(
    HEADROOM *
      worst((r) =>
        r.keys
          .filter((k) => k.index === 'table' && k.keyClass.startsWith('T#<tenant>'))
          .map((k) => (((k.writesByItemKind['M#'] ?? 0) + (k.writesByItemKind['I#'] ?? 0)) * k.keys) / limit),
      ),
  );
  // TODAY's index shards, times what its keys still need.
  const indexShards =
    TODAY.indexShards *
    shardsFor(HEADROOM * worst((r) => r.keys.filter((k) => k.keyClass.includes('<shard>')).map((k) => k.utilization)));
  const steps: Deployment[] = [UNSHARDED_LAYOUT, TODAY];
  const then = (change: Partial<Deployment> & { name: string }) => {
    const previous = steps[steps.length - 1] ?? TODAY;
    steps.push({ ...previous, ...change });
  };
  if (messageShards > TODAY.messageShards) {
    then({ name: `shard a tenant's messages and idempotency claims ${messageShards} ways`, messageShards });
  }
  if (TODAY.ledgerShards < LEDGER_SHARDS) {
    then({
      name: `the usage ledger's ${LEDGER_SHARDS} shards each under a key of its own`,
      ledgerShards: LEDGER_SHARDS,
    });
  }
  if (statusShards > TODAY.statusShards) {
    then({ name: `shard the byStatus key ${statusShards} ways`, statusShards });
  }
  if (indexShards > TODAY.indexShards) {
    then({
      name: `${indexShards} pending/bucket shards (indexShards, today ${INDEX_SHARDS}, at most 64)`,
      indexShards,
    });
  }
  const beforeQuotas = steps[steps.length - 1] ?? TODAY;
  const reports = model(beforeQuotas);
  const raised = quotasToRaise(reports, HEADROOM);
  // Deliver's own bound goes up too, and the account's concurrency holds deliver at that bound with
  // the API and the rest beside it: the bound exists to keep the API that room in a surge.
  const deliverBatches = Math.max(0, ...reports.map((r) => r.concurrency.deliver ?? 0));
  const besideDeliver = Math.max(
    0,
    ...reports.map((r) =>
      Object.entries(r.concurrency)
        .filter(([fn]) => fn !== 'deliver')
        .reduce((sum, [, n]) => sum + n, 0),
    ),
  );
  const deliverMaxConcurrency = Math.max(
    beforeQuotas.deliverMaxConcurrency,
    roundUpForRequest(deliverBatches * HEADROOM),
  );
  const lambdaConcurrentExecutions = Math.max(
    raised.lambdaConcurrentExecutions ?? beforeQuotas.quotas.lambdaConcurrentExecutions,
    roundUpForRequest(deliverMaxConcurrency + besideDeliver * HEADROOM),
  );
  then({
    name: 'raise the quotas still exceeded and deliverMaxConcurrency with them; pre-scale the deliver mapping (provisioned pollers)',
    quotas: { ...beforeQuotas.quotas, ...raised, lambdaConcurrentExecutions },
    deliverPollersWarm: true,
    deliverMaxConcurrency,
  });
  return steps;
};

/**
 * One destination behind a flow key, asked for day (a)'s 10,000 sends a second, each request
 * taking 200 ms: with a rate, and with parallelism (its limiter item holds a lease per send in flight).
 */
export const FLOW_KEY_CASES: FlowKeyTraffic[] = [
  { sendsPerSecond: CREATE_RATE, ratePerSecond: 500, requestMs: 200 },
  { sendsPerSecond: CREATE_RATE, parallelism: 10, requestMs: 200 },
  { sendsPerSecond: CREATE_RATE, parallelism: 100, requestMs: 200 },
  { sendsPerSecond: CREATE_RATE, parallelism: 1_000, requestMs: 200 },
];
