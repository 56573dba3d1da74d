/**
 * `npm run bench:cost` in a short form: every scenario through the real handlers on the local
 * stack, metered, and priced. Checks what each scenario must have used (one API request per
 * create, one Scheduler invocation per bucket, a failed condition per cancelled ticket, ...) and
 * that the dollars are the usage times the price table.
 */
import { memorySizeOf } from '../../infra/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePartitionCounter, parseQueueCounter } from './aws-call-meter';
import type { ScenarioUsage } from './cost-report';
import { costPerMillion } from './cost-report';
import type { CostBench } from './cost-scenarios';
import { startCostBench } from './cost-scenarios';
import { PRICES } from './prices';

describe('the cost bench, short form', () => {
  let bench: CostBench;
  let scenarios: ScenarioUsage[];
  const scenario = (prefix: string) => {
    const found = scenarios.find((s) => s.name.startsWith(prefix));
    if (!found) throw new Error(`no scenario ${prefix}`);
    return found;
  };

  beforeAll(async () => {
    // Usage folded after 1 s instead of the deployed 5 s: each of the six scenarios waits for it.
    bench = await startCostBench({ usageFoldEveryMs: 1_000 });
    scenarios = await bench.run({ single: 3, busy: 20, far: 3, batch: 6, retried: 1, cancelled: 2, large: 2 });
  }, 150_000);
  afterAll(() => bench?.stop());

  it('meters a single near-path create: one API request and one create invocation each, its ticket and usage on SQS, no schedule', () => {
    const { usage, messages } = scenario('Single create, near');
    expect(usage['apigateway.requests']).toBe(messages);
    expect(usage['lambda.createMessage.invocations']).toBe(messages);
    expect(usage['lambda.deliver.invocations']).toBeGreaterThanOrEqual(1);
    // A ticket and usage events sent, received and deleted: at least three requests per delivery.
    expect(usage['sqs.requests']).toBeGreaterThanOrEqual(3 * messages);
    expect(usage['lambda.metering.invocations']).toBeGreaterThanOrEqual(1);
    // Insert, take, record, each over 1 KB with its 1 KB body.
    expect(usage['dynamodb.wru.table']).toBeGreaterThanOrEqual(6 * messages);
    expect(usage['scheduler.invocations']).toBeUndefined();
  });

  it('bills the writes of a 16 KB JSON body by its gzip: a few KB an item, not 16', () => {
    const perDelivery = (s: ScenarioUsage) => s.usage['dynamodb.wru.table']! / s.messages;
    const large = scenario('Single create with a 16 KB body');
    // Stored as text, each of the item's three writes would be 17 units or more: 51 a delivery.
    expect(perDelivery(large)).toBeLessThan(3 * 8);
    expect(perDelivery(large)).toBeGreaterThan(perDelivery(scenario('Single create, near')));
  });

  it('meters single creates at a busy pace: tickets due the same second share deliver invocations', () => {
    const { usage, messages } = scenario('Single creates at');
    expect(usage['apigateway.requests']).toBe(messages);
    expect(usage['lambda.createMessage.invocations']).toBe(messages);
    // 20 creates within 0.4 s are due within about a second: gathered, not one invocation each.
    expect(usage['lambda.deliver.invocations']).toBeLessThanOrEqual(messages / 2);
  });

  it('meters the far path: one schedule and one Scheduler invocation for the bucket, promote reading it', () => {
    const { usage } = scenario('Single create, far');
    expect(usage['scheduler.invocations']).toBe(1);
    expect(usage['lambda.promote.invocations']).toBe(1);
    expect(usage['scheduler.api.CreateSchedule']).toBeGreaterThanOrEqual(1);
    expect(usage['dynamodb.wru.bucket']).toBeGreaterThan(0);
  });

  it('meters a batch as one API request and one create invocation for all its messages', () => {
    const { usage } = scenario('Batch of');
    expect(usage['apigateway.requests']).toBe(1);
    expect(usage['lambda.createMessageBatch.invocations']).toBe(1);
  });

  it('sends the usage of tickets delivered at one instant together: fewer metering requests than deliveries', () => {
    const { usage, messages } = scenario('Batch of');
    const deliverUsageSends = Object.entries(usage)
      .filter(([name]) => {
        const counter = parseQueueCounter(name);
        return (
          counter?.functionName === 'deliver' &&
          counter.queue.includes('metering') &&
          counter.operation === 'SendMessageBatch'
        );
      })
      .reduce((sum, [, n]) => sum + n, 0);
    expect(deliverUsageSends).toBeGreaterThan(0);
    // One request a delivery without the worker's gather window (DELIVERY_USAGE_GATHER_MS).
    expect(deliverUsageSends).toBeLessThan(messages);
  });

  it('meters each attempt of a retried delivery as its own deliver invocation', () => {
    const { usage } = scenario('Delivered after two retries');
    expect(usage['lambda.deliver.invocations']).toBe(3);
  });

  it("meters a cancel: a second API request, and the skipped ticket's failed take", () => {
    const { usage, messages } = scenario('Cancelled');
    expect(usage['apigateway.requests']).toBe(2 * messages);
    expect(usage['lambda.cancelMessage.invocations']).toBe(messages);
    expect(usage['dynamodb.conditionalCheckFailures']).toBe(messages);
  });

  it('puts every write unit on the function, index and key class it landed on (the capacity model reads these)', () => {
    const { usage, messages } = scenario('Single create, near');
    const loads = Object.entries(usage).flatMap(([name, units]) => {
      const load = parsePartitionCounter(name);
      return load ? [{ ...load, amount: units }] : [];
    });
    const writes = (fn: string, index: string, keyClass: string) =>
      loads
        .filter((l) => l.units === 'wru' && l.functionName === fn && l.index === index && l.keyClass === keyClass)
        .reduce((sum, l) => sum + l.amount, 0);
    // Create puts each message's summary on `queued`; deliver's take rewrites it there, its record moves it to `delivered`.
    expect(writes('createMessage', 'byStatus', 'T#<tenant>#queued')).toBeGreaterThanOrEqual(messages);
    expect(writes('deliver', 'byStatus', 'T#<tenant>#queued')).toBeGreaterThanOrEqual(messages);
    expect(writes('deliver', 'byStatus', 'T#<tenant>#delivered')).toBeGreaterThanOrEqual(messages);
    expect(writes('createMessage', 'pending', 'P#<shard>')).toBeGreaterThanOrEqual(messages);
    // Deliver writes each message's pending entry once, when the record takes it out: the take leaves it.
    expect(writes('deliver', 'pending', 'P#<shard>')).toBe(messages);
    expect(loads.some((l) => l.functionName === 'createMessage' && l.index === 'table' && l.itemKind === 'M#')).toBe(
      true,
    );
    // By key, the same units as by index.
    const byIndex = Object.entries(usage)
      .filter(([name]) => name.startsWith('dynamodb.wru.'))
      .reduce((sum, [, n]) => sum + n, 0);
    const byKey = loads.filter((l) => l.units === 'wru').reduce((sum, l) => sum + l.amount, 0);
    expect(byKey).toBeCloseTo(byIndex, 6);
    // The tickets: sent by create, received and deleted by the poller.
    const sent = Object.keys(usage)
      .map(parseQueueCounter)
      .filter((c) => c?.operation === 'SendMessageBatch');
    expect(sent.some((c) => c?.functionName === 'createMessage' && c.queue.includes('delivery'))).toBe(true);
  });

  it('prices every scenario as its usage times the list prices', () => {
    for (const s of scenarios) {
      const cost = costPerMillion(s, memorySizeOf);
      const per = (name: string) => (s.usage[name] ?? 0) / s.messages;
      const writeUnits = Object.entries(s.usage)
        .filter(([name]) => name.startsWith('dynamodb.wru.'))
        .reduce((sum, [, n]) => sum + n, 0);
      const functions = Object.keys(s.usage).flatMap((name) => /^lambda\.(.+)\.ms$/.exec(name)?.[1] ?? []);
      const gbSeconds = functions.reduce(
        (sum, fn) => sum + (per(`lambda.${fn}.ms`) / 1000) * (memorySizeOf(fn) / 1024),
        0,
      );
      const expected =
        (writeUnits / s.messages) * PRICES.dynamoWriteRequestUnitPerMillion +
        per('dynamodb.rru') * PRICES.dynamoReadRequestUnitPerMillion +
        per('sqs.requests') * PRICES.sqsRequestPerMillion +
        functions.reduce((sum, fn) => sum + per(`lambda.${fn}.invocations`), 0) * PRICES.lambdaRequestPerMillion +
        gbSeconds * 1_000_000 * PRICES.lambdaArmGbSecond +
        per('apigateway.requests') * PRICES.apiGatewayRestPerMillion +
        per('scheduler.invocations') * PRICES.schedulerInvocationPerMillion;
      expect(cost.total, s.name).toBeCloseTo(expected, 9);
      expect(cost.total, s.name).toBeGreaterThan(0);
    }
  });
});
