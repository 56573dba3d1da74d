/**
 * What all-or-nothing batches and idempotency keys need from the store, on both engines
 * (dynalite, and DynamoDB Local where Java is present): a write the engine refuses part-way
 * through a batch leaves nothing behind, and an idempotency key is claimed, taken over and
 * released by exactly one request at a time.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryTicket, Message, PendingRef, SchedulingDeps } from '@vigil/core';
import { DEFAULT_ENGINE_SETTINGS, FixedClock, MessageIn, scheduleBatch } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, withLostAnswer } from '../../../test-support/dynamo-backends';
import { DynamoMessageStore } from './dynamo-message-store';
import { incompressibleText } from '../../../test-support/messages';

const backends = dynamoBackends();

/** The real store, except that its third insert carries an item over DynamoDB's 400 KB limit. */
class ThirdWriteRefused extends DynamoMessageStore {
  inserts = 0;
  override insert(message: Message): Promise<void> {
    this.inserts += 1;
    return super.insert(this.inserts === 3 ? { ...message, body: incompressibleText(410_000) } : message);
  }
}

const collect = async <T>(items: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

let tenantSeq = 0;
const newTenant = () => `tnt_aon${String((tenantSeq += 1))}`;

describe.each(backends)('all-or-nothing writes and idempotency keys on $name', ({ start, available }) => {
  let services: DynamoBackend;
  beforeAll(async () => {
    if (available) services = await start();
  }, 60_000);
  afterAll(() => services?.stop());

  const depsWith = (store: DynamoMessageStore) => {
    const enqueued: DeliveryTicket[] = [];
    const buckets: number[] = [];
    const deps: SchedulingDeps = {
      store,
      queue: { enqueue: async (entries) => void enqueued.push(...entries.map((e) => e.ticket)) },
      timer: { ensureBucket: async (bucketAt) => void buckets.push(bucketAt) },
      clock: new FixedClock(Date.now()),
      settings: DEFAULT_ENGINE_SETTINGS,
      log: { info: () => {}, warn: () => {}, error: () => {} },
    };
    return { deps, enqueued, buckets };
  };

  /** Everything the sweep, promote and listings could ever find of a tenant. */
  const traces = async (store: DynamoMessageStore, tenantId: string) => {
    const mine = (ref: PendingRef) => ref.tenantId === tenantId;
    const pending = (await collect(store.pendingBefore(Number.MAX_SAFE_INTEGER))).filter(mine);
    const listed = (await store.list(tenantId, { limit: 100 })).items;
    return { pending, listed };
  };

  it.runIf(available)(
    'a batch whose third write the engine refuses (item over 400 KB) leaves nothing to list, sweep or promote',
    async () => {
      const store = new ThirdWriteRefused(services.db, services.table, 4);
      const { deps, enqueued, buckets } = depsWith(store);
      const tenantId = newTenant();
      // Near and far messages, in more than one chunk of parallel writes.
      const inputs = Array.from({ length: 30 }, (_, i) =>
        MessageIn.parse({ url: 'https://example.com/h', delay: i % 2 === 0 ? 5 : 7_200, body: { i } }),
      );
      await expect(scheduleBatch(deps, tenantId, inputs)).rejects.toThrow(/size/i);
      expect(store.inserts).toBeGreaterThanOrEqual(3);
      expect(await traces(store, tenantId)).toEqual({ pending: [], listed: [] });
      expect(enqueued).toEqual([]);
      expect(buckets).toEqual([]);
      // The same batch through a healthy store is stored whole.
      const healthy = new DynamoMessageStore(services.db, services.table, 4);
      const { messages } = await scheduleBatch(depsWith(healthy).deps, tenantId, inputs);
      const after = await traces(healthy, tenantId);
      expect(after.listed.map((m) => m.id).sort()).toEqual(messages.map((m) => m.id).sort());
      const farBucket = messages.find((m) => m.bucketAt !== undefined)?.bucketAt as number;
      expect((await collect(healthy.bucketMembers(farBucket))).length).toBeGreaterThan(0);
    },
  );

  it.runIf(available)(
    'removes messages from every index, skips ids that do not exist, and keeps one a worker took',
    async () => {
      const store = new DynamoMessageStore(services.db, services.table, 4);
      const tenantId = newTenant();
      const inputs = [
        MessageIn.parse({ url: 'https://example.com/h', delay: 5 }),
        MessageIn.parse({ url: 'https://example.com/h', delay: 7_200 }),
        MessageIn.parse({ url: 'https://example.com/h', delay: 5 }),
      ];
      const { messages } = await scheduleBatch(depsWith(store).deps, tenantId, inputs);
      const [, far, taken] = messages as [Message, Message, Message];
      // The sweep found the third overdue and a worker took it before the rollback came.
      const now = Date.now();
      expect(
        await store.take({ tenantId, messageId: taken.id, version: 0, dueAt: taken.dueAt }, now, now),
      ).toBeDefined();
      const gone = { tenantId, id: 'msg_01JNOTTHERE000000000000000', version: 0 };
      expect(await store.removeUnchanged([...messages, gone])).toEqual([taken.id]);
      expect(await store.get(tenantId, far.id)).toBeUndefined();
      expect((await store.get(tenantId, taken.id))?.status).toBe('delivering');
      const left = await traces(store, tenantId);
      expect(left.listed.map((m) => m.id)).toEqual([taken.id]);
      expect(left.pending.map((r) => r.messageId)).toEqual([taken.id]);
      expect((await collect(store.bucketMembers(far.bucketAt as number))).map((r) => r.messageId)).not.toContain(
        far.id,
      );
    },
  );

  it.runIf(available)(
    'throws a rollback that failed part-way only once every delete it sent has landed or failed',
    async () => {
      const store = new DynamoMessageStore(services.db, services.table, 4);
      const tenantId = newTenant();
      const inputs = [5, 5].map((delay) => MessageIn.parse({ url: 'https://example.com/h', delay }));
      const { messages } = await scheduleBatch(depsWith(store).deps, tenantId, inputs);
      const [refused, slow] = messages as [Message, Message];
      // The first delete fails at once; the second is slow (an SDK retry after a throttle, say). A
      // rollback that gave up while it was still on its way would release the key, and the delete
      // would land on the message the retry that takes the key over writes again.
      const sk = (m: Message) => `M#${m.id}`;
      let slowLanded = false;
      services.db.middlewareStack.add(
        (next) => async (args) => {
          const key = (args.input as { Key?: { sk?: string } }).Key?.sk;
          if (key === sk(refused)) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
          if (key !== sk(slow)) return next(args);
          await new Promise((resolve) => setTimeout(resolve, 300));
          const result = await next(args);
          slowLanded = true;
          return result;
        },
        { step: 'initialize', name: 'refuseOneDeleteSlowAnother', override: true },
      );
      try {
        await expect(store.removeUnchanged(messages)).rejects.toThrow(/throttled/);
        expect(slowLanded).toBe(true);
      } finally {
        services.db.middlewareStack.remove('refuseOneDeleteSlowAnother');
      }
      expect(await store.get(tenantId, slow.id)).toBeUndefined();
      expect(await store.get(tenantId, refused.id)).toBeDefined();
    },
  );

  it.runIf(available)('lets exactly one of ten concurrent requests claim a key', async () => {
    const store = new DynamoMessageStore(services.db, services.table, 4);
    const tenantId = newTenant();
    const now = Date.now();
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.claimIdempotencyKey(
          tenantId,
          'k',
          { messageIds: [`msg_${i}`], fingerprint: 'sha256:f', owner: `msg_${i}`, leaseUntil: now + 60_000 },
          now,
          86_400_000,
        ),
      ),
    );
    const winners = claims.filter((c) => c.claimed);
    expect(winners).toHaveLength(1);
    const owners = new Set(claims.flatMap((c) => (c.claimed ? [] : [c.record.owner])));
    expect(owners.size).toBe(1);
  });

  it.runIf(available)(
    'hands a key over only once its lease is over, to one request; release ends the lease and keeps the binding',
    async () => {
      const store = new DynamoMessageStore(services.db, services.table, 4);
      const tenantId = newTenant();
      const t = Date.now();
      const record = {
        messageIds: ['msg_a', 'msg_b'],
        fingerprint: 'sha256:f',
        owner: 'own_1',
        leaseUntil: t + 60_000,
      };
      await store.claimIdempotencyKey(tenantId, 'k', record, t, 86_400_000);
      expect(await store.takeOverIdempotencyKey(tenantId, 'k', 'own_1', 'own_2', t + 1_000, t + 61_000)).toBe(false);
      const later = t + 60_001;
      const tries = await Promise.all(
        ['own_2', 'own_3', 'own_4'].map((to) =>
          store.takeOverIdempotencyKey(tenantId, 'k', 'own_1', to, later, later + 60_000),
        ),
      );
      expect(tries.filter(Boolean)).toHaveLength(1);
      const taken = await store.claimIdempotencyKey(tenantId, 'k', { ...record, owner: 'x' }, later, 86_400_000);
      expect(taken.claimed).toBe(false);
      const winner = taken.claimed ? '' : taken.record.owner;
      expect(taken).toMatchObject({
        record: { messageIds: ['msg_a', 'msg_b'], fingerprint: 'sha256:f', leaseUntil: later + 60_000 },
      });

      await store.releaseIdempotencyKey(tenantId, 'k', 'own_1'); // not the owner any more: nothing happens
      const stillLeased = await store.claimIdempotencyKey(tenantId, 'k', record, later, 86_400_000);
      expect(stillLeased).toMatchObject({ record: { owner: winner, leaseUntil: later + 60_000 } });
      await store.releaseIdempotencyKey(tenantId, 'k', winner);
      const released = await store.claimIdempotencyKey(tenantId, 'k', record, later, 86_400_000);
      expect(released).toEqual({ claimed: false, record: { ...record, owner: winner, leaseUntil: 0 } });
    },
  );

  it.runIf(available)(
    "settles an owner's results once, kept or withdrawn, whichever comes first; a take-over clears it",
    async () => {
      const store = new DynamoMessageStore(services.db, services.table, 4);
      const t = Date.now();
      const record = { messageIds: ['msg_a'], fingerprint: 'sha256:f', owner: 'own_1', leaseUntil: t + 15_000 };
      const bound = async (key: string, tenantId: string) => {
        const claim = await store.claimIdempotencyKey(tenantId, key, { ...record, owner: 'x' }, t, 86_400_000);
        return claim.claimed ? undefined : claim.record;
      };

      const kept = newTenant();
      await store.claimIdempotencyKey(kept, 'k', record, t, 86_400_000);
      expect(await store.settleIdempotentResults(kept, 'k', 'own_2', 'kept', 0)).toBeUndefined(); // not its owner
      // Applied though its answer was lost: the store client's retry finds the same decision made.
      const once = await withLostAnswer(services.db, 'UpdateItemCommand', () =>
        store.settleIdempotentResults(kept, 'k', 'own_1', 'kept', 0),
      );
      expect(once).toEqual({ result: 'kept', sends: 2 });
      expect(await store.settleIdempotentResults(kept, 'k', 'own_1', 'withdrawn', t + 60_000)).toBe('kept');
      expect(await bound('k', kept)).toEqual({ ...record, settled: 'kept' });

      const withdrawn = newTenant();
      await store.claimIdempotencyKey(withdrawn, 'k', record, t, 86_400_000);
      expect(await store.settleIdempotentResults(withdrawn, 'k', 'own_1', 'withdrawn', t + 60_000)).toBe('withdrawn');
      expect(await store.settleIdempotentResults(withdrawn, 'k', 'own_1', 'kept', 0)).toBe('withdrawn');
      // A withdrawal leases the key to its owner for its deletes; released, a retry takes it over, undecided.
      expect(await bound('k', withdrawn)).toEqual({ ...record, leaseUntil: t + 60_000, settled: 'withdrawn' });
      await store.releaseIdempotencyKey(withdrawn, 'k', 'own_1');
      expect(await store.takeOverIdempotencyKey(withdrawn, 'k', 'own_1', 'own_2', t + 1, t + 15_001)).toBe(true);
      expect(await bound('k', withdrawn)).toEqual({ ...record, owner: 'own_2', leaseUntil: t + 15_001 });
    },
  );

  it.runIf(available)(
    'finds what a live key is bound to without claiming it, and nothing once it expired',
    async () => {
      const store = new DynamoMessageStore(services.db, services.table, 4);
      const tenantId = newTenant();
      const t = Date.now();
      const record = { messageIds: ['msg_a'], fingerprint: 'sha256:f', owner: 'own_1', leaseUntil: t + 60_000 };
      expect(await store.findIdempotencyKey(tenantId, 'k', t)).toBeUndefined();
      await store.claimIdempotencyKey(tenantId, 'k', record, t, 86_400_000);

      expect(await store.findIdempotencyKey(tenantId, 'k', t + 1_000)).toEqual(record);
      expect(await store.findIdempotencyKey(tenantId, 'k', t + 86_400_001)).toBeUndefined();
      // Finding claims nothing: a key never used is still free to claim.
      expect(await store.claimIdempotencyKey(tenantId, 'other', record, t, 86_400_000)).toEqual({ claimed: true });
    },
  );

  it.runIf(available)('reads a key claimed before fingerprints were kept, and lets one retry finish it', async () => {
    const store = new DynamoMessageStore(services.db, services.table, 4);
    const tenantId = newTenant();
    const t = Date.now();
    await services.db.send(
      new PutCommand({
        TableName: services.table,
        Item: {
          pk: `T#${tenantId}`,
          sk: 'I#old',
          messageId: 'msg_old',
          createdAt: t - 1_000,
          expiresAtMs: t + 86_400_000,
          expiresAt: Math.ceil((t + 86_400_000) / 1000),
        },
      }),
    );
    const claim = await store.claimIdempotencyKey(
      tenantId,
      'old',
      { messageIds: ['msg_new'], fingerprint: 'sha256:f', owner: 'msg_new', leaseUntil: t + 60_000 },
      t,
      86_400_000,
    );
    expect(claim).toEqual({ claimed: false, record: { messageIds: ['msg_old'], owner: '', leaseUntil: t - 1_000 } });
    expect(await store.takeOverIdempotencyKey(tenantId, 'old', '', 'msg_new', t, t + 60_000)).toBe(true);
    expect(await store.takeOverIdempotencyKey(tenantId, 'old', '', 'msg_other', t, t + 60_000)).toBe(false);
  });
});
