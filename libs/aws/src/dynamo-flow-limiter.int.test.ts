/**
 * The flow limiter on both DynamoDB engines, shared by two limiters with clients of their own (two
 * deliver Lambdas): leases never exceed parallelism however the two race, an expired lease is
 * reclaimed once, rate slots are handed out once each on the grid, and a key busy past `latest`
 * reserves nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { FLOW_ITEM_IDLE_MS } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, dynamoClientFor, withLostAnswer } from '../../../test-support/dynamo-backends';
import { DynamoFlowLimiter } from './dynamo-flow-limiter';

const backends = dynamoBackends();

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_flow';

describe.each(backends)('DynamoFlowLimiter on $name', ({ start, available }) => {
  let services: DynamoBackend;
  const clients: DynamoDBClient[] = [];
  let workers: DynamoFlowLimiter[];

  beforeAll(async () => {
    if (!available) return;
    services = await start();
    workers = [0, 1].map(() => {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: services.endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      clients.push(client);
      return new DynamoFlowLimiter(DynamoDBDocumentClient.from(client), services.table);
    });
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await services?.stop();
  });

  it.skipIf(!available)('lets no more than parallelism hold a lease, whichever worker asks', async () => {
    // Act: 40 leases asked for at once, half through each worker, on a key of parallelism 3.
    const asks = Array.from({ length: 40 }, (_, i) =>
      workers[i % 2]!.acquireLease(TENANT, 'par', { id: `m${i}`, until: T0 + 60_000, parallelism: 3, now: T0 }),
    );
    const granted = (await Promise.all(asks)).filter(Boolean).length;

    // Assess: exactly three; one given back makes room for exactly one more.
    expect(granted).toBe(3);
    const holders = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const item = await read('par');
    const held = holders.filter((id) => `L#${id}` in item);
    expect(held).toHaveLength(3);
    expect(item.leaseCount).toBe(3);
    await workers[0]!.releaseLease(TENANT, 'par', held[0]!);
    const again = await Promise.all(
      ['n1', 'n2', 'n3'].map((id) =>
        workers[1]!.acquireLease(TENANT, 'par', { id, until: T0 + 60_000, parallelism: 3, now: T0 }),
      ),
    );
    expect(again.filter(Boolean)).toHaveLength(1);
    // Giving back a lease twice counts it out once.
    await workers[0]!.releaseLease(TENANT, 'par', held[0]!);
    expect((await read('par')).leaseCount).toBe(3);
  });

  it.skipIf(!available)('counts a lease granted whose answer was lost as held, and only that one', async () => {
    const limiter = new DynamoFlowLimiter(services.db, services.table);
    const ask = (id: string) =>
      limiter.acquireLease(TENANT, 'lost', { id, until: T0 + 60_000, parallelism: 1, now: T0 });
    expect(await withLostAnswer(services.db, 'UpdateItemCommand', () => ask('mine'))).toEqual({
      result: true,
      sends: 2,
    });
    expect((await read('lost')).leaseCount).toBe(1);
    expect(await ask('other')).toBe(false);
    await limiter.releaseLease(TENANT, 'lost', 'mine');
    expect(await ask('other')).toBe(true);
  });

  it.skipIf(!available)('reclaims the leases of holders that died once they expire, once', async () => {
    // Prepare: a key of parallelism 2 full with leases expiring at T0 + 1 s.
    for (const id of ['dead1', 'dead2']) {
      await workers[0]!.acquireLease(TENANT, 'crash', { id, until: T0 + 1_000, parallelism: 2, now: T0 });
    }
    expect(
      await workers[1]!.acquireLease(TENANT, 'crash', { id: 'x', until: T0 + 9_000, parallelism: 2, now: T0 }),
    ).toBe(false);

    // Act: both workers reclaim after the expiry, at the same time.
    // Before it, nothing is reclaimed, and the poll says the key is full.
    expect(await workers[0]!.reclaimExpiredLeases(TENANT, 'crash', T0 + 500)).toEqual({ reclaimed: 0, held: 2 });
    const reclaimed = await Promise.all(workers.map((w) => w.reclaimExpiredLeases(TENANT, 'crash', T0 + 1_000)));

    // Assess: two reclaimed in all, the count is back to zero, and the key admits again.
    expect(reclaimed[0]!.reclaimed + reclaimed[1]!.reclaimed).toBe(2);
    expect((await read('crash')).leaseCount).toBe(0);
    expect(
      await workers[1]!.acquireLease(TENANT, 'crash', { id: 'x', until: T0 + 9_000, parallelism: 2, now: T0 + 1_000 }),
    ).toBe(true);
  });

  it.skipIf(!available)(
    'holds 1,000 leases of a key on one item of under 48 KB, refuses the 1,001st, and reclaims them all once expired in a few writes',
    async () => {
      // Prepare: a key of parallelism 1,000 full, with lease ids as long as a message's (`msg_` + a
      // ULID, and a version), expiring at T0 + 1 s: 999 written at once as the limiter writes them
      // (a thousand writes on one item take dynalite seconds), the last taken through the limiter.
      const ids = Array.from({ length: 1_000 }, (_, i) => `msg_${String(i).padStart(26, '0')}.123`);
      const seeded = Object.fromEntries(ids.slice(1).map((id) => [`L#${id}`, T0 + 1_000]));
      await services.db.send(
        new PutCommand({
          TableName: services.table,
          Item: { pk: `T#${TENANT}`, sk: 'F#wide', leaseCount: 999, ...seeded },
        }),
      );
      const last = { id: ids[0]!, until: T0 + 1_000, parallelism: 1_000, now: T0 };
      expect(await workers[0]!.acquireLease(TENANT, 'wide', last)).toBe(true);
      const more = { id: 'msg_one-more.1', until: T0 + 9_000, parallelism: 1_000, now: T0 };
      expect(await workers[0]!.acquireLease(TENANT, 'wide', more)).toBe(false);
      const item = await read('wide');
      expect(item.leaseCount).toBe(1_000);
      // DynamoDB's size of an item: its names' bytes and its values' (a 13-digit number is 8).
      const size = Object.entries(item).reduce(
        (sum, [name, value]) => sum + name.length + (typeof value === 'number' ? 8 : String(value).length),
        0,
      );
      expect(size).toBeLessThan(48_000);

      // Act: every holder died; a waiter reclaims, counting its writes.
      const client = dynamoClientFor(services.endpoint);
      clients.push(client);
      const db = DynamoDBDocumentClient.from(client);
      let writes = 0;
      db.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'UpdateItemCommand') writes += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countWrites' },
      );
      const reclaimed = await new DynamoFlowLimiter(db, services.table).reclaimExpiredLeases(
        TENANT,
        'wide',
        T0 + 1_000,
      );

      // Assess: all reclaimed, in one write per 50 leases (each write costs a unit per KB of the
      // item: a thousand of them were 45,000 units on one item), and the key admits again.
      expect(reclaimed).toEqual({ reclaimed: 1_000, held: 0 });
      expect(writes).toBe(20);
      const after = await read('wide');
      expect(after.leaseCount).toBe(0);
      expect(Object.keys(after).filter((name) => name.startsWith('L#'))).toEqual([]);
      expect(await workers[1]!.acquireLease(TENANT, 'wide', { ...more, now: T0 + 1_000 })).toBe(true);
    },
  );

  it.skipIf(!available)('reclaims the other expired leases when one of them is given back meanwhile', async () => {
    // Prepare: three expired leases; one holder gives its own back between the read and the reclaim.
    for (const id of ['a', 'b', 'c']) {
      await workers[0]!.acquireLease(TENANT, 'late', { id, until: T0 + 1_000, parallelism: 5, now: T0 });
    }
    const client = dynamoClientFor(services.endpoint);
    clients.push(client);
    const db = DynamoDBDocumentClient.from(client);
    db.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'GetItemCommand') await workers[1]!.releaseLease(TENANT, 'late', 'b');
        return result;
      },
      { step: 'initialize', name: 'releaseAfterRead' },
    );

    // Act
    const reclaimed = await new DynamoFlowLimiter(db, services.table).reclaimExpiredLeases(TENANT, 'late', T0 + 2_000);

    // Assess: the two still there reclaimed, each lease counted out once, whichever ended it.
    expect(reclaimed.reclaimed).toBe(2);
    const item = await read('late');
    expect(item.leaseCount).toBe(0);
    expect(Object.keys(item).filter((name) => name.startsWith('L#'))).toEqual([]);
  });

  it.skipIf(!available)('hands out each rate slot once, on the grid, across workers', async () => {
    // Act: 30 reservations at once from both workers, all from T0, slots 210 ms apart.
    const spacingMs = 210;
    const slots = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        workers[i % 2]!.reserveSlot(TENANT, 'rate', { from: T0, spacingMs, latest: T0 + 15_000, now: T0 }),
      ),
    );

    // Assess: the first 30 slots of the grid, each once.
    const starts = slots.map((s) => ('slotAt' in s ? s.slotAt - T0 : -1)).sort((a, b) => a - b);
    expect(starts).toEqual(Array.from({ length: 30 }, (_, i) => i * spacingMs));
    expect((await read('rate')).nextSlotAt).toBe(T0 + 30 * spacingMs);
  });

  it.skipIf(!available)('reserves nothing for a key busy past latest, and says when it is free', async () => {
    const slot = { from: T0, spacingMs: 1_000, latest: T0 + 2_500, now: T0 };
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await workers[i % 2]!.reserveSlot(TENANT, 'busy', slot));
    expect(answers).toEqual([
      { slotAt: T0 },
      { slotAt: T0 + 1_000 },
      { slotAt: T0 + 2_000 },
      { freeAt: T0 + 3_000 },
      { freeAt: T0 + 3_000 },
    ]);
    // An idle key starts again from the asked instant.
    expect(await workers[0]!.reserveSlot(TENANT, 'busy', { ...slot, from: T0 + 10_000, latest: T0 + 20_000 })).toEqual({
      slotAt: T0 + 10_000,
    });
  });

  it.skipIf(!available)('keeps a key only an idle hour after its last use (TTL)', async () => {
    await workers[0]!.reserveSlot(TENANT, 'ttl', { from: T0, spacingMs: 100, latest: T0 + 1_000, now: T0 });
    const item = await read('ttl');
    expect(item.expiresAtMs).toBe(T0 + FLOW_ITEM_IDLE_MS);
    expect(item.expiresAt).toBe(Math.ceil((T0 + FLOW_ITEM_IDLE_MS) / 1000));
  });

  const read = async (key: string): Promise<Record<string, unknown>> => {
    const db = DynamoDBDocumentClient.from(clients[0]!);
    const { Item } = await db.send(
      new GetCommand({ TableName: services.table, Key: { pk: `T#${TENANT}`, sk: `F#${key}` }, ConsistentRead: true }),
    );
    return Item ?? {};
  };
});
