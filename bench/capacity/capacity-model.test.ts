import { describe, expect, it } from 'vitest';
import { MESSAGES_SENT, partitionCounter, queueCounter } from '../cost/aws-call-meter';
import type { ScenarioUsage } from '../cost/cost-report';
import type { CodeFacts, CustomerDay, Deployment } from './capacity-model';
import { UNSHARDED_LAYOUT as TODAY_LAYOUT } from './customer-days';
import { meteringScale, modelDay, quotasToRaise, shardsFor, simulateLateness } from './capacity-model';

const FACTS: CodeFacts = {
  apiFunctions: new Set(['createMessage']),
  deliverBatchSize: 10,
  promotePageSize: 100,
  meteringBatchSize: 100,
};
/** Today's layout, its deliver mapping pre-scaled (no ramp in these figures). */
const TODAY: Deployment = { ...TODAY_LAYOUT, deliverPollersWarm: true };
const LATENCIES = { sqsSendBatchMs: 20 };

const load =
  (units: 'wru' | 'rru') =>
  (functionName: string, index: string, keyClass: string, itemKind = '') =>
    partitionCounter({ units, functionName, index, keyClass, itemKind });
const wru = load('wru');
const rru = load('rru');

/**
 * Two messages, each: created (3 WRU on the tenant's key, 1 on byStatus `queued`, 1 on a pending
 * shard, one API request, 30 ms of createMessage), then delivered in one deliver invocation of
 * 2 s for both (1 WRU off `queued`, 1 on `delivering`, 0.5 RRU read of the tenant item, one SQS
 * request).
 */
const scenario: ScenarioUsage = {
  name: 'known',
  unit: 'deliveries',
  messages: 2,
  usage: {
    [wru('createMessage', 'table', 'T#<tenant>', 'M#')]: 6,
    [wru('createMessage', 'byStatus', 'T#<tenant>#queued')]: 2,
    [wru('createMessage', 'pending', 'P#<shard>')]: 2,
    [wru('deliver', 'byStatus', 'T#<tenant>#queued')]: 2,
    [wru('deliver', 'byStatus', 'T#<tenant>#delivering')]: 2,
    [rru('deliver', 'table', 'T#<tenant>', 'TENANT')]: 1,
    [queueCounter('deliver', 'vigil-delivery', 'SendMessageBatch')]: 2,
    'apigateway.requests': 2,
    'lambda.createMessage.invocations': 2,
    'lambda.createMessage.ms': 60,
    'lambda.deliver.invocations': 1,
    'lambda.deliver.ms': 2_000,
  },
};

const day = (phases: CustomerDay['phases'], messagesPerSecond = 1_000): CustomerDay => ({
  name: 'a day',
  note: '',
  scenario,
  phases,
  messagesPerSecond,
  durationS: 10,
});

describe('the capacity model', () => {
  describe('partition keys', () => {
    it('scales each key class by the rate and spreads a sharded class over its shards', () => {
      const report = modelDay(day(['create', 'delivery']), TODAY, FACTS, LATENCIES);
      const key = (index: string, keyClass: string) =>
        report.keys.find((k) => k.index === index && k.keyClass === keyClass);
      // 1,000 messages/s × 3 WRU on one key; create's 1 and deliver's 1 on `queued`.
      expect(key('table', 'T#<tenant>')).toMatchObject({ keys: 1, writeUnitsPerKey: 3_000, readUnitsPerKey: 500 });
      expect(key('table', 'T#<tenant>')?.writesByItemKind).toEqual({ 'M#': 3_000 });
      expect(key('byStatus', 'T#<tenant>#queued')).toMatchObject({ keys: 1, writeUnitsPerKey: 2_000, utilization: 2 });
      expect(key('pending', 'P#<shard>')).toMatchObject({ keys: 8, writeUnitsPerKey: 125 });
      // Hottest first.
      expect(report.keys[0]?.keyClass).toBe('T#<tenant>');
    });

    it('leaves out the phases the day does not run', () => {
      const report = modelDay(day(['delivery']), TODAY, FACTS, LATENCIES);
      expect(report.keys.find((k) => k.keyClass === 'T#<tenant>#queued')?.writeUnitsPerKey).toBe(1_000);
      expect(report.keys.some((k) => k.index === 'pending')).toBe(false);
      // The creates (and their API requests) happened on another day.
      expect(report.ceilings.some((c) => c.quota === 'apiGatewayRequestsPerSecond')).toBe(false);
      expect(report.concurrency.createMessage).toBeUndefined();
    });

    it('models a sharded status key and sharded message items as a what-if', () => {
      const sharded = { ...TODAY, statusShards: 4, messageShards: 8 };
      const report = modelDay(day(['create', 'delivery']), sharded, FACTS, LATENCIES);
      expect(report.keys.find((k) => k.keyClass === 'T#<tenant>#queued')).toMatchObject({
        keys: 4,
        writeUnitsPerKey: 500,
      });
      expect(report.keys.find((k) => k.keyClass === 'T#<tenant>#<m-shard>')).toMatchObject({
        keys: 8,
        writeUnitsPerKey: 375,
      });
    });
  });

  describe('services', () => {
    it('holds a deliver batch for its measured hold: concurrency = deliveries/s × hold ÷ batch size', () => {
      const report = modelDay(day(['create', 'delivery'], 10_000), TODAY, FACTS, LATENCIES);
      expect(report.deliverHoldMs).toBe(2_000);
      expect(report.concurrency.deliver).toBe(2_000);
      // 10,000/s × 30 ms.
      expect(report.concurrency.createMessage).toBe(300);
      expect(report.deliveryInFlight).toBe(20_000);
      expect(report.sqsRequestsPerSecond).toEqual({ 'vigil-delivery': 10_000 });
    });

    it('holds deliver to its maximumConcurrency: bound × batch size ÷ hold deliveries a second, the rest late', () => {
      // Keys sharded enough that deliver's bound is what holds the day.
      const bounded: Deployment = { ...TODAY, statusShards: 16, messageShards: 16, deliverMaxConcurrency: 300 };
      const report = modelDay(day(['delivery'], 10_000), bounded, FACTS, LATENCIES);
      const bound = report.ceilings.find((c) => c.limit.startsWith("deliver's maximumConcurrency"));
      // 2,000 batches wanted, 300 allowed: 300 × 10 ÷ 2 s = 1,500 deliveries a second.
      expect(bound).toMatchObject({ load: 2_000, capacity: 300, phase: 'delivery', quota: undefined });
      expect(bound?.maxMessagesPerSecond).toBeCloseTo(1_500, 6);
      expect(report.ceilings[0]).toBe(bound);
      // 100,000 due over 10 s go out at 1,500 a second: the last about 67 s after the first was due.
      expect(report.lateness?.lastSentAfterS).toBeCloseTo(100_000 / 1_500, 0);
      // The account carries deliver at its bound, not at what the day asks.
      expect(report.ceilings.find((c) => c.quota === 'lambdaConcurrentExecutions')?.load).toBe(300);
      // A parameter, not an AWS quota: nothing asks Service Quotas for it.
      expect(quotasToRaise([report], 1.25)).not.toHaveProperty('deliverMaxConcurrency');
    });

    it('names the limit that throttles first and the rate the day sustains under it', () => {
      const report = modelDay(day(['create', 'delivery'], 10_000), TODAY, FACTS, LATENCIES);
      const [first] = report.ceilings;
      // T#<tenant> carries 3 WRU per message: 1,000 ÷ 3 messages/s.
      expect(first?.limit).toBe('DynamoDB table key T#<tenant>, writes');
      expect(first?.maxMessagesPerSecond).toBeCloseTo(333.33, 2);
      const lambda = report.ceilings.find((c) => c.quota === 'lambdaConcurrentExecutions');
      expect(lambda).toMatchObject({ load: 2_300, capacity: 1_000 });
      expect(lambda?.maxMessagesPerSecond).toBeCloseTo(4_347.8, 1);
    });

    it('asks for each exceeded quota at the largest load plus headroom, rounded up to two digits', () => {
      const report = modelDay(day(['create', 'delivery'], 10_000), TODAY, FACTS, LATENCIES);
      const raised = quotasToRaise([report], 1.25);
      // Lambda: 2,300 × 1.25 = 2,875 → 2,900; the mapping: 2,000 × 1.25 = 2,500.
      expect(raised).toMatchObject({ lambdaConcurrentExecutions: 2_900, sqsMappingMaxConcurrentBatches: 2_500 });
      expect(raised.apiGatewayRequestsPerSecond).toBe(13_000);
    });

    it('counts schedules per bucket, not per message', () => {
      const far: CustomerDay = { ...day(['create', 'delivery'], 10_000), durationS: 60, buckets: 3 };
      const report = modelDay(far, TODAY, FACTS, LATENCIES);
      // Three buckets fire in the minute; each of the 300 create processes creates each bucket once.
      expect(report.ceilings.find((c) => c.limit === 'Scheduler invocations')?.load).toBeCloseTo(0.05, 6);
      expect(report.ceilings.find((c) => c.limit === 'Scheduler CreateSchedule')?.load).toBeCloseTo(15, 6);
    });

    it('sizes shard counts as powers of two', () => {
      expect([shardsFor(0.5), shardsFor(1), shardsFor(3), shardsFor(33.4)]).toEqual([1, 1, 4, 64]);
    });
  });

  describe('usage folds', () => {
    /** Each message: 3 usage events sent, one fold invocation of 40 ms writing 2 WRU on the ledger. */
    const folded: ScenarioUsage = {
      ...scenario,
      usage: {
        ...scenario.usage,
        [queueCounter('createMessage', 'vigil-metering', MESSAGES_SENT)]: 2,
        [queueCounter('deliver', 'vigil-metering', MESSAGES_SENT)]: 4,
        [wru('metering', 'table', 'T#<tenant>', 'UL#')]: 4,
        'lambda.metering.invocations': 2,
        'lambda.metering.ms': 80,
      },
    };

    it('scales a fold’s calls to full batches: 3 events a message in batches of 100 is 0.03 folds a message', () => {
      const busy: CustomerDay = { ...day(['create', 'delivery', 'metering'], 10_000), scenario: folded };
      expect(meteringScale(busy, FACTS)).toBeCloseTo(0.03, 9);
      const report = modelDay(busy, TODAY, FACTS, LATENCIES);
      expect(report.keys.find((k) => k.index === 'table')?.writesByItemKind['UL#']).toBeCloseTo(600, 6);
      expect(report.concurrency.metering).toBeCloseTo(12, 6);
    });

    it('counts only the events of the day’s phases', () => {
      const createOnly: CustomerDay = { ...day(['create', 'metering'], 10_000), scenario: folded };
      expect(meteringScale(createOnly, FACTS)).toBeCloseTo(0.01, 9);
    });
  });

  describe('lateness', () => {
    it('is nothing when the capacity exceeds the rate', () => {
      const late = simulateLateness({ messagesPerSecond: 100, durationS: 10, sendCapacity: () => 1_000 });
      expect(late).toMatchObject({ p50S: 0, p99S: 0, maxS: 0 });
      expect(late.lastSentAfterS).toBeCloseTo(10, 6);
    });

    it('grows with the backlog when the capacity is half the rate: a message due at t goes at 2t', () => {
      const late = simulateLateness({ messagesPerSecond: 100, durationS: 10, sendCapacity: () => 50 });
      expect(late.maxS).toBeCloseTo(10, 1);
      expect(late.p50S).toBeCloseTo(5, 1);
      expect(late.p99S).toBeCloseTo(9.9, 1);
      expect(late.lastSentAfterS).toBeCloseTo(20, 1);
    });

    it('makes a far-path message wait for promote to hand its ticket over', () => {
      // 1,000 due over 1 s; promote starts 0.5 s ahead at 500 tickets/s: the last is handed over at 1.5 s.
      const late = simulateLateness({
        messagesPerSecond: 1_000,
        durationS: 1,
        promote: { leadS: 0.5, ticketsPerSecond: 500 },
        sendCapacity: () => 1_000_000,
      });
      expect(late.maxS).toBeCloseTo(0.5, 1);
      expect(late.lastSentAfterS).toBeCloseTo(1.5, 1);
    });
  });
});
