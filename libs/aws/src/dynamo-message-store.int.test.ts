import type { Message } from '@vigil/core';
import { MessageAlreadyExistsError, ValidationError } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoDbLocalUnavailable, startDynalite, startDynamoDbLocal } from '../../../test-support/dynamo-backends';
import { DynamoMessageStore } from './dynamo-message-store';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
let seq = 0;
const message = (over: Partial<Message> = {}): Message => {
  seq += 1;
  return {
    id: `msg_01JTEST${String(seq).padStart(19, '0')}`,
    tenantId: 'tnt_a',
    status: 'queued',
    url: 'https://example.com/hook',
    method: 'POST',
    headers: { 'x-trace': 't' },
    body: '{"a":1}',
    bodyKind: 'json',
    sendAt: T0 + 10_000,
    dueAt: T0 + 10_000,
    createdAt: T0,
    updatedAt: T0,
    maxAttempts: 8,
    timeoutMs: 10_000,
    metadata: {},
    attempts: [],
    roundStart: 0,
    version: 0,
    ...over,
  };
};

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

const unavailable = dynamoDbLocalUnavailable();
if (unavailable) console.warn(`DynamoDB Local tier skipped: ${unavailable}`);

const backends = [
  { name: 'dynalite', start: startDynalite, available: true },
  { name: 'DynamoDB Local', start: startDynamoDbLocal, available: unavailable === undefined },
];

describe.each(backends)('DynamoMessageStore on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let store: DynamoMessageStore;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoMessageStore(services.db, services.table, 4);
  }, 60_000);
  afterAll(() => services?.stop());

  it.runIf(available)(
    'stores and reads back a message exactly, and refuses a second insert of the same id',
    async () => {
      const m = message({ metadata: { order: '42' } });
      await store.insert(m);
      expect(await store.get('tnt_a', m.id)).toEqual(m);
      await expect(store.insert(m)).rejects.toThrow(MessageAlreadyExistsError);
    },
  );

  it.runIf(available)("never shows one tenant another tenant's message", async () => {
    const m = message({ tenantId: 'tnt_b' });
    await store.insert(m);
    expect(await store.get('tnt_a', m.id)).toBeUndefined();
    const page = await store.list('tnt_a', { limit: 100 });
    expect(page.items.map((x) => x.id)).not.toContain(m.id);
  });

  it.runIf(available)('takes a message once: a duplicate ticket, a stale version or a cancel loses', async () => {
    const m = message();
    await store.insert(m);
    const ticket = { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt };
    const taken = await store.take(ticket, T0 + 9_000, T0 + 50_000);
    expect(taken).toMatchObject({
      status: 'delivering',
      version: 1,
      leaseUntil: T0 + 50_000,
      body: '{"a":1}',
    });
    expect(await store.take(ticket, T0 + 9_000, T0 + 50_000)).toBeUndefined();
    expect(await store.take({ ...ticket, version: 1 }, T0 + 9_000, T0 + 50_000)).toBeUndefined(); // leased

    const c = message();
    await store.insert(c);
    expect(await store.save({ ...c, status: 'cancelled', version: 1 }, 0)).toBe(true);
    expect(
      await store.take({ tenantId: c.tenantId, messageId: c.id, version: 1, dueAt: c.dueAt }, T0, T0 + 1),
    ).toBeUndefined();
  });

  it.runIf(available)('lets a message whose lease ran out be taken again', async () => {
    const m = message();
    await store.insert(m);
    await store.take({ tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 1_000);
    const again = await store.take(
      { tenantId: m.tenantId, messageId: m.id, version: 1, dueAt: m.dueAt },
      T0 + 2_000,
      T0 + 40_000,
    );
    expect(again?.version).toBe(2);
  });

  it.runIf(available)('saves only over the expected version', async () => {
    const m = message();
    await store.insert(m);
    expect(await store.save({ ...m, url: 'https://e.com/2' }, 5)).toBe(false);
    expect(await store.save({ ...m, url: 'https://e.com/2' }, 0)).toBe(true);
    expect((await store.get(m.tenantId, m.id))?.url).toBe('https://e.com/2');
  });

  it.runIf(available)(
    'lists newest first, pages with a cursor, filters by status, and refuses a forged cursor',
    async () => {
      const tenantId = 'tnt_list';
      const made = [message({ tenantId }), message({ tenantId }), message({ tenantId, status: 'delivered' })];
      for (const m of made) await store.insert(m);
      const first = await store.list(tenantId, { limit: 2 });
      expect(first.items.map((m) => m.id)).toEqual([made[2]!.id, made[1]!.id]);
      expect(first.items[0]!.body).toBe('');
      const second = await store.list(tenantId, { limit: 2, cursor: first.nextCursor });
      expect(second.items.map((m) => m.id)).toEqual([made[0]!.id]);
      const delivered = await store.list(tenantId, { limit: 10, status: 'delivered' });
      expect(delivered.items.map((m) => m.id)).toEqual([made[2]!.id]);
      const forged = Buffer.from(JSON.stringify({ pk: 'T#tnt_a', sk: 'M#x' })).toString('base64url');
      await expect(store.list(tenantId, { limit: 2, cursor: forged })).rejects.toThrow(ValidationError);
      await expect(store.list(tenantId, { limit: 2, cursor: 'garbage!' })).rejects.toThrow(ValidationError);
    },
  );

  it.runIf(available)('finds far-path bucket members across shards and pending messages by due time', async () => {
    const bucketAt = T0 + 3_600_000;
    const members = Array.from({ length: 12 }, () =>
      message({ tenantId: 'tnt_far', status: 'scheduled', bucketAt, dueAt: bucketAt + 130_000 }),
    );
    for (const m of members) await store.insert(m);
    const found = await collect(store.bucketMembers(bucketAt));
    expect(found.map((r) => r.messageId).sort()).toEqual(members.map((m) => m.id).sort());

    const overdue = message({ tenantId: 'tnt_pending', dueAt: T0 - 120_000 });
    const done = message({ tenantId: 'tnt_pending', dueAt: T0 - 120_000, status: 'delivered' });
    await store.insert(overdue);
    await store.insert(done);
    const pending = await collect(store.pendingBefore(T0 - 60_000));
    const ids = pending.map((r) => r.messageId);
    expect(ids).toContain(overdue.id);
    expect(ids).not.toContain(done.id);
  });

  it.runIf(available)('claims an idempotency key once and points later claims at the first request', async () => {
    const first = { messageIds: ['msg_first'], fingerprint: 'sha256:1', owner: 'msg_first', leaseUntil: T0 + 60_000 };
    expect(await store.claimIdempotencyKey('tnt_a', 'k1', first, T0, 86_400_000)).toEqual({ claimed: true });
    const second = { ...first, messageIds: ['msg_second'], owner: 'msg_second' };
    expect(await store.claimIdempotencyKey('tnt_a', 'k1', second, T0 + 1, 86_400_000)).toEqual({
      claimed: false,
      record: first,
    });
    expect(await store.claimIdempotencyKey('tnt_b', 'k1', second, T0 + 1, 86_400_000)).toEqual({ claimed: true });
    expect(await store.claimIdempotencyKey('tnt_a', 'k1', second, T0 + 86_400_001, 86_400_000)).toEqual({
      claimed: true,
    });
  });
});
