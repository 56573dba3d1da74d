/**
 * The usage ledger's bounds, on both DynamoDB engines: a busy tenant's day (18,000 events, with
 * duplicates, echoes and regrouped refolds) counted exactly in items that all stay under 1 KB;
 * concurrent folders racing for the same levels; a crash between a level write and the day
 * total; items of the earlier format (an id set per counter item) still summed and still
 * deduping; and what writes and reads cost, as the engine reports its consumed capacity.
 */
import type { UsageEvent } from '@vigil/core';
import { attemptUsage, outcomeUsage, scheduledUsage, usageDate } from '@vigil/core';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, dynamoClientFor } from '../../../test-support/dynamo-backends';
import { dynamoItemBytes } from './dynamo-item-size';
import { DynamoUsageLedger } from './dynamo-usage-ledger';
import { LEVEL_CAPACITY, SHARDS, SHARD_ENTRIES } from './usage-ledger-layout';
import { UNSHARDED } from './tenant-partitions';

const backends = dynamoBackends();

/** Every ledger item stays under this (so each write to one costs one write unit). */
const ITEM_BOUND_BYTES = 1024;
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
/** A tenant id as long as a real one (`tnt_` and a ULID), so item sizes are measured as they will be. */
const tenant = (name: string) => `tnt_${name.toUpperCase()}`.padEnd(30, '0');
const DAY = usageDate(T0);

/** A message's three events: accepted, attempted once, delivered. */
const messageEvents = (tenantId: string, i: number): UsageEvent[] => {
  const message = { id: `msg_${String(i).padStart(6, '0')}`, tenantId, createdAt: T0 + i, dueAt: T0 + 1_000 + i };
  return [scheduledUsage(message), attemptUsage(message, 1), outcomeUsage(message, 'delivered')];
};

/** A fixed shuffle (the same every run). */
const shuffled = <T>(items: readonly T[], seed: string): T[] =>
  items
    .map((item, i) => ({ item, key: createHash('sha1').update(`${seed}:${i}`).digest().readUInt32BE(0) }))
    .sort((a, b) => a.key - b.key)
    .map(({ item }) => item);

const batches = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Folds batch after batch; resolves with the total counted. */
const foldAll = async (ledger: DynamoUsageLedger, groups: readonly UsageEvent[][]): Promise<number> => {
  let counted = 0;
  for (const group of groups) counted += (await ledger.fold(group)).counted;
  return counted;
};

/**
 * A busy tenant's day: 6,000 messages (18,000 events: each of the 8 shards fills over 20 levels,
 * and a level's size never depends on the day's, so more events only take longer). Where DynamoDB
 * Local runs it gets the full day (its item sizes and conditions are DynamoDB's own) and dynalite
 * a third of it (the same code, several levels per shard still), which keeps the tier's time down.
 * (60,000 events, past the 50,000 at which the earlier design's items reached 400 KB, took two
 * minutes of CI for the same assertions.)
 */
const busyDayMessages = (engine: string) =>
  engine === 'dynalite' && backends.some((b) => b.name !== 'dynalite' && b.available) ? 2_000 : 6_000;

describe.each(backends)('DynamoUsageLedger bounds on $name', ({ name, start, available }) => {
  let services: DynamoBackend;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  /** What the engine reports, by operation: calls and capacity units consumed. */
  const spent = { writes: 0, writeUnits: 0, reads: 0, readUnits: 0, lostRaces: 0 };
  const resetSpent = () => Object.assign(spent, { writes: 0, writeUnits: 0, reads: 0, readUnits: 0, lostRaces: 0 });
  /** Fails the next write of a day total (a crash between a level write and the day total). */
  let failNextDayTotal = false;
  const ledger = (maxCachedIds?: number) => new DynamoUsageLedger(db, services.table, UNSHARDED, maxCachedIds);

  beforeAll(async () => {
    if (!available) return;
    services = await start();
    client = dynamoClientFor(services.endpoint);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string; Key?: { sk?: string | { S?: string } } };
        const sk = input.Key?.sk;
        const write = context.commandName === 'UpdateItemCommand';
        const read = context.commandName === 'QueryCommand';
        if (write && failNextDayTotal && (typeof sk === 'string' ? sk : sk?.S)?.startsWith('U#')) {
          failNextDayTotal = false;
          throw new Error('crashed before the day total was written');
        }
        input.ReturnConsumedCapacity = 'TOTAL';
        try {
          const result = await next(args);
          const units = Number(
            (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 0,
          );
          if (write) Object.assign(spent, { writes: spent.writes + 1, writeUnits: spent.writeUnits + units });
          if (read) Object.assign(spent, { reads: spent.reads + 1, readUnits: spent.readUnits + units });
          return result;
        } catch (error) {
          if (write && (error as Error).name === 'ConditionalCheckFailedException') spent.lostRaces += 1;
          throw error;
        }
      },
      { step: 'initialize', name: 'measureCapacity' },
    );
    db = DynamoDBDocumentClient.from(client);
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await services?.stop();
  });

  /** Every item of a tenant, as stored. */
  const itemsOf = async (tenantId: string): Promise<Array<Record<string, unknown>>> => {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await services.db.send(
        new QueryCommand({
          TableName: services.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `T#${tenantId}` },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  it.runIf(available)(
    `counts ${(busyDayMessages(name) * 3).toLocaleString('en-US')} events of one tenant in one day exactly, in items that all stay under 1 KB`,
    async () => {
      const tenantId = tenant('busy');
      const messages = busyDayMessages(name);
      const events = Array.from({ length: messages }, (_, i) => messageEvents(tenantId, i)).flat();
      // Batches of 100 as the metering queue hands them over, each with echoes of the previous
      // batch's `scheduled` events and repeats of events two batches back (a redelivered batch).
      const first = batches(events, 100).map((batch, b, all) => [
        ...batch,
        ...(all[b - 1] ?? [])
          .filter((e) => e.kind === 'scheduled')
          .slice(0, 10)
          .map((e) => ({ ...e, echo: true })),
        ...(all[b - 2] ?? []).slice(0, 5),
      ]);
      resetSpent();
      const busy = ledger();
      expect(await foldAll(busy, first)).toBe(events.length);
      const busyCost = { ...spent };
      expect(await busy.days(tenantId, DAY, DAY)).toEqual([
        { date: DAY, scheduled: messages, attempt: messages, delivered: messages, failed: 0 },
      ]);

      // Another process folds all of it again, regrouped: nothing counts twice. It reads each
      // shard's levels once, then knows every id without a write.
      resetSpent();
      expect(await foldAll(ledger(), batches(shuffled(events, 'regrouped'), 250))).toBe(0);
      expect(spent.writes).toBeLessThanOrEqual(SHARDS);

      // A process whose memory holds far fewer ids than the day re-reads the levels instead, and
      // is still exact: old events refolded with new ones (second attempts of 300 messages).
      const second = Array.from({ length: 300 }, (_, i) =>
        attemptUsage({ id: `msg_${String(i).padStart(6, '0')}`, tenantId, dueAt: T0 + 1_000 + i }, 2),
      );
      const mixed = shuffled([...events.slice(0, 1_200), ...second], 'mixed');
      expect(await foldAll(ledger(500), batches(mixed, 100))).toBe(second.length);
      expect(await busy.days(tenantId, DAY, DAY)).toEqual([
        { date: DAY, scheduled: messages, attempt: messages + second.length, delivered: messages, failed: 0 },
      ]);

      const items = await itemsOf(tenantId);
      const levels = items.filter((item) => String(item.sk).startsWith('UL#'));
      expect(levels.length).toBeGreaterThanOrEqual(Math.ceil((events.length + second.length) / LEVEL_CAPACITY));
      const largest = Math.max(...items.map((item) => dynamoItemBytes(item)));
      expect(largest).toBeLessThanOrEqual(ITEM_BOUND_BYTES);
      expect(Math.max(...levels.map((item) => (item.ids as Set<unknown>).size))).toBe(LEVEL_CAPACITY);
      console.info(
        `busy tenant: ${events.length} events in ${levels.length} id levels and 1 day total, largest item ${largest} B; ` +
          `first fold: ${busyCost.writes} writes, ${busyCost.writeUnits} write units ` +
          `(${(busyCost.writeUnits / events.length).toFixed(3)} per counted event), ${busyCost.reads} reads`,
      );
      // Batches of about 100 new events: a write per shard and one for the day total, one unit each.
      expect(busyCost.writeUnits / events.length).toBeLessThanOrEqual(0.12);
    },
    300_000,
  );

  it.runIf(available)(
    'stays exact when four folders race over overlapping batches',
    async () => {
      const tenantId = tenant('race');
      const events = Array.from({ length: 1_000 }, (_, i) => messageEvents(tenantId, i)).flat();
      // Each folder (a metering process) folds its own regrouping; together they cover every event
      // two to four times.
      const plans = [
        batches(shuffled(events, 'a'), 100),
        batches(shuffled(events, 'b').slice(0, 2_250), 37),
        batches(shuffled(events, 'c').slice(750), 150),
        batches(
          shuffled(events, 'd').filter((_, i) => i % 2 === 0),
          64,
        ),
      ];
      resetSpent();
      const counted = await Promise.all(plans.map((plan) => foldAll(ledger(), plan)));
      expect(counted.reduce((sum, n) => sum + n, 0)).toBe(events.length);
      // The folders did race: some writes found their level changed under them.
      expect(spent.lostRaces).toBeGreaterThan(0);
      expect(await ledger().days(tenantId, DAY, DAY)).toEqual([
        { date: DAY, scheduled: 1_000, attempt: 1_000, delivered: 1_000, failed: 0 },
      ]);
      const items = await itemsOf(tenantId);
      expect(Math.max(...items.map((item) => dynamoItemBytes(item)))).toBeLessThanOrEqual(ITEM_BOUND_BYTES);
    },
    180_000,
  );

  it.runIf(available)('brings the day total up to date when a crashed fold is folded again', async () => {
    const tenantId = tenant('crash');
    const events = Array.from({ length: 30 }, (_, i) => messageEvents(tenantId, i)).flat();
    failNextDayTotal = true;
    await expect(ledger().fold(events)).rejects.toThrow(/crashed/);
    // The ids are in their levels, the day total does not have them yet.
    expect(await ledger().days(tenantId, DAY, DAY)).toEqual([]);
    // The batch comes back (SQS redelivery; the journal's saved offset) to a new process.
    expect(await ledger().fold(events)).toEqual({ counted: 0, duplicates: events.length });
    expect(await ledger().days(tenantId, DAY, DAY)).toEqual([
      { date: DAY, scheduled: 30, attempt: 30, delivered: 30, failed: 0 },
    ]);
  });

  it.runIf(available)('sums earlier-format items and still counts their ids once after the switch', async () => {
    const tenantId = tenant('earlier');
    const before = Array.from({ length: 200 }, (_, i) => messageEvents(tenantId, i)).flat();
    // What the earlier ledger wrote: 16 counter items a day, each with its counts and its ids.
    for (const event of before) {
      const shard = createHash('sha1').update(event.id).digest().readUInt16BE(0) % 16;
      await services.db.send(
        new UpdateCommand({
          TableName: services.table,
          Key: { pk: `T#${tenantId}`, sk: `U#${DAY}#${String(shard).padStart(2, '0')}` },
          UpdateExpression: 'ADD #kind :one, seen :ids SET #date = :date',
          ExpressionAttributeNames: { '#kind': event.kind, '#date': 'date' },
          ExpressionAttributeValues: { ':one': 1, ':ids': new Set([event.id]), ':date': DAY },
        }),
      );
    }
    const switched = ledger();
    expect(await switched.days(tenantId, DAY, DAY)).toEqual([
      { date: DAY, scheduled: 200, attempt: 200, delivered: 200, failed: 0 },
    ]);
    // After the switch: echoes of the earlier messages' `scheduled` and a refolded batch count
    // nothing; new messages count, on the same day.
    const after = Array.from({ length: 50 }, (_, i) => messageEvents(tenantId, 1_000 + i)).flat();
    const echoes = before.filter((e) => e.kind === 'scheduled').map((e) => ({ ...e, echo: true }));
    expect(await switched.fold([...echoes.slice(0, 100), ...after])).toEqual({ counted: 150, duplicates: 100 });
    expect(await ledger().fold([...before, ...after])).toEqual({ counted: 0, duplicates: 750 });
    expect(await switched.days(tenantId, DAY, DAY)).toEqual([
      { date: DAY, scheduled: 250, attempt: 250, delivered: 250, failed: 0 },
    ]);
  });

  it.runIf(available)(
    'costs a small tenant two write units per event, and a month of usage one small item a day',
    async () => {
      const tenantId = tenant('small');
      const month = Array.from({ length: 30 }, (_, d) => T0 - (22 - d) * 86_400_000);
      const small = ledger();
      resetSpent();
      let counted = 0;
      // A few events a minute: each fold holds one event.
      for (const [d, at] of month.entries()) {
        for (let i = 0; i < 20; i++) {
          const message = { id: `msg_${d}_${i}`, tenantId, createdAt: at + i * 20_000 };
          counted += (await small.fold([scheduledUsage(message)])).counted;
        }
      }
      expect(counted).toBe(600);
      const perEvent = spent.writeUnits / counted;
      expect(spent.writes / counted).toBe(2);
      console.info(
        `small tenant: ${spent.writes} writes, ${spent.writeUnits} write units for ${counted} events (${perEvent} per event), ` +
          `${spent.reads} reads (one per day)`,
      );
      expect(perEvent).toBeLessThanOrEqual(2);

      // The quota guard's read: the month to date, one day total per day.
      resetSpent();
      const days = await small.days(tenantId, usageDate(month[0] as number), usageDate(month[29] as number));
      expect(days).toHaveLength(30);
      expect(days.reduce((sum, d) => sum + d.scheduled, 0)).toBe(600);
      const totals = (await itemsOf(tenantId)).filter((item) => /^U#[^#]+$/.test(String(item.sk)));
      const monthBytes = totals.reduce((sum, item) => sum + dynamoItemBytes(item), 0);
      console.info(`month read: ${spent.reads} query, ${spent.readUnits} read units, ${monthBytes} B of day totals`);
      expect(spent.reads).toBe(1);

      // However busy the day, its total holds one entry per shard, and a full level 96 digests: at
      // 5,000,000 events a day (625,000 a shard) as at 10^12 a shard, both stay under the bound.
      for (const perShard of [625_001, 987_654_321_987]) {
        const running = {
          n: perShard,
          scheduled: perShard - 1,
          delivered: perShard - 3,
          failed: perShard - 7,
          attempt: perShard - 11,
        };
        const pk = `T#${tenant('largest')}`;
        const dayTotal = {
          pk,
          sk: `U#${DAY}`,
          date: DAY,
          ...Object.fromEntries(SHARD_ENTRIES.map((s) => [s, running])),
        };
        const digests = Array.from({ length: LEVEL_CAPACITY }, (_, i) =>
          createHash('sha256').update(`${i}`).digest().subarray(0, 8),
        );
        const fullLevel = { pk, sk: `UL#${DAY}#7#99999999`, ids: new Set(digests), ...running };
        console.info(
          `at ${perShard} events a shard: day total ${dynamoItemBytes(dayTotal)} B, full level ${dynamoItemBytes(fullLevel)} B`,
        );
        expect(dynamoItemBytes(dayTotal)).toBeLessThanOrEqual(ITEM_BOUND_BYTES);
        expect(dynamoItemBytes(fullLevel)).toBeLessThanOrEqual(ITEM_BOUND_BYTES);
      }
    },
    120_000,
  );
});
