/**
 * The API's input side at its edges, on in-memory ports: every message of a request checked
 * before the first write, batches all-or-nothing even when a write fails part-way, idempotency
 * keys bound to one request, and redeliver counted like a create.
 */
import { describe, expect, it } from 'vitest';
import type { Message, MessageIn, ScheduleResult, SchedulingDeps, UsageEvent } from '../src';
import {
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  DeliveryWorker,
  FixedClock,
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_WAIT_MS,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  MAX_MESSAGE_BYTES,
  MessageIn as MessageInSchema,
  MessageStateConflictError,
  PayloadTooLargeError,
  patchMessage,
  QuotaExceededError,
  redeliverMessage,
  requestFingerprint,
  scheduleBatch,
  scheduleMessage,
  ticketFor,
  ValidationError,
} from '../src';
import { CountingQuota, MemoryQueue, MemoryStore, MemoryTimer, ScriptedSender, silentLog } from './memory-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';

/**
 * A store whose inserts fail from the `failFrom`-th on (1-based), as a throttled table would, each
 * after `whileFailing` (what else happens while the write is in trouble) has run; with
 * `landsAnyway`, a failing write is made all the same and only its answer lost (a timeout).
 */
class FailingStore extends MemoryStore {
  inserts = 0;
  failFrom = Number.POSITIVE_INFINITY;
  landsAnyway = false;
  whileFailing = async () => {};
  override async insert(message: Message) {
    this.inserts += 1;
    if (this.inserts >= this.failFrom) {
      await this.whileFailing();
      if (this.landsAnyway) await super.insert(message);
      throw new Error('ProvisionedThroughputExceededException (injected)');
    }
    return super.insert(message);
  }
}

const setup = (quotaLimit = 1_000) => {
  const clock = new FixedClock(T0);
  const store = new FailingStore(() => clock.now());
  const queue = new MemoryQueue();
  const timer = new MemoryTimer();
  const metered: UsageEvent[] = [];
  const quota = new CountingQuota(quotaLimit);
  const deps: SchedulingDeps = {
    store,
    queue,
    timer,
    clock,
    settings: DEFAULT_ENGINE_SETTINGS,
    log: silentLog,
    quota,
    meter: { record: async (events) => void metered.push(...events) },
  };
  return { clock, store, queue, timer, deps, metered, quota };
};

const input = (over: Partial<Record<string, unknown>> = {}): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', delay: 30, ...over });

const scheduled = (events: UsageEvent[]) => events.filter((e) => e.kind === 'scheduled').length;

/** Binds `key` at T0 to a create of `body` by the request whose first message id is `ownerId`, as its claim would. */
const claimedAtT0 = (store: MemoryStore, key: string, body: MessageIn, ownerId: string) =>
  store.claimIdempotencyKey(
    TENANT,
    key,
    {
      messageIds: [ownerId],
      fingerprint: requestFingerprint('POST /v1/messages', body),
      owner: ownerId,
      leaseUntil: T0 + IDEMPOTENCY_LEASE_MS,
    },
    T0,
    86_400_000,
  );

/** A delivery worker on `deps` whose receiver answers 200 to everything. */
const workerFor = (deps: SchedulingDeps, clock: FixedClock) => {
  const sender = new ScriptedSender([{ statusCode: 200 }], () => clock.now());
  const worker = new DeliveryWorker({
    ...deps,
    tenants: {
      forDelivery: async () => ({ signingSecrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], plan: 'free' }),
    },
    deliveryTargets: { http: sender },
    backoff: DEFAULT_BACKOFF,
    random: () => 0.5,
  });
  return { sender, worker };
};

describe('every message is checked before anything is written', () => {
  it('refuses a batch with one message over 256 KiB (url + body + headers + metadata) with a 413 naming it', async () => {
    const { deps, store, queue } = setup();
    const body = 'x'.repeat(MAX_MESSAGE_BYTES - 2_000);
    const big = input({ body, metadata: { note: 'é'.repeat(128) }, headers: { 'x-pad': 'p'.repeat(2_000) } });
    const error = await scheduleBatch(deps, TENANT, [input(), big, input()]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).errors).toEqual([
      { path: 'messages.1', message: expect.stringMatching(/^is 262\d{3} bytes .* the limit is 262144 bytes/) },
    ]);
    expect(store.writes).toEqual([]);
    expect(queue.sent).toEqual([]);
  });

  it('reports every time and header problem of a batch at once, before sizes', async () => {
    const { deps, store } = setup();
    const inputs = [
      input({ sendAt: '2020-01-01T00:00:00Z', delay: undefined }),
      input({ body: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }),
    ];
    await expect(scheduleBatch(deps, TENANT, inputs)).rejects.toMatchObject({
      errors: [{ path: 'messages.0.sendAt' }],
    });
    expect(store.writes).toEqual([]);
  });
});

describe('a batch is all or nothing', () => {
  it('removes what it had written when a write fails part-way, and dispatches and meters nothing', async () => {
    const { deps, store, queue, timer, metered } = setup();
    store.failFrom = 28; // in the second chunk of 25
    const inputs = Array.from({ length: 40 }, (_, i) => input({ delay: i < 20 ? 30 : 3_600 }));
    await expect(scheduleBatch(deps, TENANT, inputs)).rejects.toThrow(/injected/);
    expect(store.messages.size).toBe(0);
    expect(store.writes.filter((w) => w.op === 'remove')).toHaveLength(1);
    expect(queue.sent).toEqual([]);
    expect(timer.buckets.size).toBe(0);
    expect(metered).toEqual([]);
  });

  it('removes a message whose write threw though it landed (its answer lost), with those written', async () => {
    const { deps, store, queue } = setup();
    store.failFrom = 2;
    store.landsAnyway = true;
    await expect(scheduleBatch(deps, TENANT, [input(), input(), input()])).rejects.toThrow(/injected/);
    expect(store.inserts).toBe(3);
    expect(store.messages.size).toBe(0);
    expect(queue.sent).toEqual([]);
  });

  it('keeps a message a worker took before the rollback, and its retry with the key sends it no second time', async () => {
    const { deps, store, queue, clock } = setup();
    const { sender, worker } = workerFor(deps, clock);
    const inputs = [input({ delay: 0 }), input({ delay: 0 }), input({ delay: 0 })];
    // The third write is in trouble long enough for the sweep to find the first message overdue:
    // a worker takes it and sends it before the request rolls back.
    store.failFrom = 3;
    store.whileFailing = async () => {
      const [first] = store.messages.values();
      expect(await worker.deliver(ticketFor(first!))).toBe('delivered');
    };
    await expect(scheduleBatch(deps, TENANT, inputs, 'b-taken')).rejects.toThrow(/injected/);
    const [sent] = sender.requests;
    const sentId = sent!.headers['webhook-id'];
    expect([...store.messages.values()].map((m) => [m.id, m.status])).toEqual([[sentId, 'delivered']]);

    store.failFrom = Number.POSITIVE_INFINITY;
    const retry = await scheduleBatch(deps, TENANT, inputs, 'b-taken');
    expect(retry.messages.map((m) => m.status)).toEqual(['delivered', 'queued', 'queued']);
    for (const { ticket } of queue.sent) await worker.deliver(ticket);
    expect(sender.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(retry.messages.map((m) => m.id).sort());
  });

  it('without a key, stores the rest of a batch again once a worker took one of it before the rollback, and answers with all', async () => {
    const { deps, store, queue, clock, quota, metered } = setup();
    const { sender, worker } = workerFor(deps, clock);
    const inputs = [input({ delay: 0 }), input({ delay: 0 }), input({ delay: 0 })];
    store.failFrom = 3;
    store.whileFailing = async () => {
      const [first] = store.messages.values();
      expect(await worker.deliver(ticketFor(first!))).toBe('delivered');
      store.failFrom = Number.POSITIVE_INFINITY; // the trouble passes
    };
    const { messages, created } = await scheduleBatch(deps, TENANT, inputs);
    expect([created, messages.map((m) => m.status)]).toEqual([true, ['delivered', 'queued', 'queued']]);
    expect([...store.messages.keys()].sort()).toEqual(messages.map((m) => m.id).sort());
    // Metered once each (the taken one's first attempt echoes its event, the same id).
    const meteredIds = new Set(metered.filter((e) => e.kind === 'scheduled').map((e) => e.id));
    expect([quota.used, meteredIds.size]).toEqual([3, 3]);
    for (const { ticket } of queue.sent) await worker.deliver(ticket);
    expect(sender.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(messages.map((m) => m.id).sort());
  });

  it('without a key, answers the error when the rest cannot be stored again either, keeping the taken one counted', async () => {
    const { deps, store, clock, quota } = setup();
    const { worker } = workerFor(deps, clock);
    store.failFrom = 3; // and every write after
    store.whileFailing = async () => {
      const [first] = store.messages.values();
      if (first?.status === 'queued') expect(await worker.deliver(ticketFor(first))).toBe('delivered');
    };
    await expect(scheduleBatch(deps, TENANT, [input({ delay: 0 }), input(), input()])).rejects.toThrow(/injected/);
    expect([...store.messages.values()].map((m) => m.status)).toEqual(['delivered']);
    expect(quota.used).toBe(1);
  });

  it('finishes a batch stored part-way when its retry comes after its sendAt slipped over 60 s into the past', async () => {
    const { deps, store, queue, clock } = setup();
    const { sender, worker } = workerFor(deps, clock);
    const sendAt = new Date(T0 - 30_000).toISOString(); // half a minute ago: still accepted
    const inputs = [0, 1, 2].map((i) => input({ delay: undefined, sendAt, body: `m${i}` }));
    store.failFrom = 3;
    store.whileFailing = async () => {
      const [first] = store.messages.values();
      expect(await worker.deliver(ticketFor(first!))).toBe('delivered');
    };
    await expect(scheduleBatch(deps, TENANT, inputs, 'b-late')).rejects.toThrow(/injected/);
    expect(store.messages.size).toBe(1); // kept: it was sent

    // The client retries two minutes later: its sendAt is now 150 s past, yet this is the request
    // that was judged at T0 and stored in part. Refused, it would read as none scheduled.
    store.failFrom = Number.POSITIVE_INFINITY;
    clock.advance(120_000);
    const retry = await scheduleBatch(deps, TENANT, inputs, 'b-late');
    expect(retry.created).toBe(true);
    expect(retry.messages.map((m) => m.status)).toEqual(['delivered', 'queued', 'queued']);
    expect(retry.messages.every((m) => m.sendAt === T0 - 30_000)).toBe(true);
    for (const { ticket } of queue.sent) await worker.deliver(ticket);
    expect(sender.requests).toHaveLength(3);
    // A request none of which was stored is judged now: refused.
    store.whileFailing = async () => {};
    store.failFrom = 1;
    const other = [input({ delay: undefined, sendAt: new Date(clock.now() - 30_000).toISOString() })];
    await expect(scheduleBatch(deps, TENANT, other, 'b-none')).rejects.toThrow(/injected/);
    store.failFrom = Number.POSITIVE_INFINITY;
    clock.advance(120_000);
    await expect(scheduleBatch(deps, TENANT, other, 'b-none')).rejects.toBeInstanceOf(ValidationError);
  });

  it('stores, then dispatches, then meters every message when all writes succeed', async () => {
    const { deps, store, queue, metered } = setup();
    const { messages, created } = await scheduleBatch(deps, TENANT, [input(), input()]);
    expect(created).toBe(true);
    expect(store.messages.size).toBe(2);
    expect(queue.sent.map((e) => e.ticket.messageId)).toEqual(messages.map((m) => m.id));
    expect(scheduled(metered)).toBe(2);
  });
});

describe('idempotency keys', () => {
  it('answers a different request with the same key with idempotency-key-reused, storing nothing', async () => {
    const { deps, store } = setup();
    const first = await scheduleMessage(deps, TENANT, input({ body: { order: 42 } }), 'k-1');
    // The same request written differently (key order, a default spelled out) is the same request.
    const again = await scheduleMessage(deps, TENANT, input({ method: 'POST', body: { order: 42 } }), 'k-1');
    expect(again).toEqual({ message: first.message, created: false });
    const reused = scheduleMessage(deps, TENANT, input({ body: { order: 43 } }), 'k-1');
    await expect(reused).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(reused).rejects.toMatchObject({ status: 422, type: 'idempotency-key-reused' });
    await expect(reused).rejects.toThrow(/"k-1"/);
    await expect(scheduleBatch(deps, TENANT, [input({ body: { order: 42 } })], 'k-1')).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
    expect(store.messages.size).toBe(1);
  });

  it('returns a retried batch as first created, storing, dispatching and metering nothing new', async () => {
    const { deps, store, queue, metered } = setup();
    const inputs = [input({ body: 'a' }), input({ body: 'b' })];
    const first = await scheduleBatch(deps, TENANT, inputs, 'b-1');
    const retry = await scheduleBatch(deps, TENANT, inputs, 'b-1');
    expect(retry.created).toBe(false);
    expect(retry.messages.map((m) => m.id)).toEqual(first.messages.map((m) => m.id));
    expect(store.messages.size).toBe(2);
    expect(queue.sent).toHaveLength(2);
    expect(scheduled(metered)).toBe(2);
  });

  it('replays the first result to a retry that comes after its sendAt has slipped over 60 s into the past', async () => {
    const { deps, clock, store } = setup();
    const request = input({ delay: undefined, sendAt: new Date(T0 + 5_000).toISOString() });
    const first = await scheduleMessage(deps, TENANT, request, 'late-1');
    clock.advance(120_000);

    const retry = await scheduleMessage(deps, TENANT, request, 'late-1');

    expect(retry).toEqual({ message: first.message, created: false });
    expect(store.messages.size).toBe(1);
    // Without the key, or for another request, a time that far back is still refused.
    await expect(scheduleMessage(deps, TENANT, request)).rejects.toBeInstanceOf(ValidationError);
    await expect(scheduleMessage(deps, TENANT, { ...request, body: 'other' }, 'late-1')).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('lets a batch that failed and rolled back be retried with the same key, and then succeed once', async () => {
    const { deps, store, queue, metered } = setup();
    const inputs = Array.from({ length: 5 }, (_, i) => input({ body: `m${i}` }));
    store.failFrom = 3;
    await expect(scheduleBatch(deps, TENANT, inputs, 'b-2')).rejects.toThrow(/injected/);
    expect(store.messages.size).toBe(0);
    store.failFrom = Number.POSITIVE_INFINITY;
    const retry = await scheduleBatch(deps, TENANT, inputs, 'b-2'); // no waiting for the lease: it was ended
    expect(retry.created).toBe(true);
    expect(store.messages.size).toBe(5);
    const again = await scheduleBatch(deps, TENANT, inputs, 'b-2');
    expect(again.created).toBe(false);
    expect(again.messages.map((m) => m.id)).toEqual(retry.messages.map((m) => m.id));
    expect(store.messages.size).toBe(5);
    expect(queue.sent).toHaveLength(5);
    expect(scheduled(metered)).toBe(5);
  });

  it('never deletes a message a retry answered with: a retry that finds it stored while its request fails keeps it, and the request answers it made it', async () => {
    const { deps, store } = setup();
    const body = input();
    // The write lands but its answer is lost; while the request is failing, its client's retry comes.
    store.failFrom = 1;
    store.landsAnyway = true;
    let retried: Promise<ScheduleResult> | undefined;
    const settle = store.settleIdempotentResults.bind(store);
    store.settleIdempotentResults = async (tenantId, key, owner, settlement, leaseUntil) => {
      if (settlement === 'withdrawn') {
        retried ??= scheduleMessage(deps, TENANT, body, 'k-kept');
        await retried;
      }
      return settle(tenantId, key, owner, settlement, leaseUntil);
    };

    // Kept by its retry, the message is made: the request answers so (a 503 would say it was not).
    const first = await scheduleMessage(deps, TENANT, body, 'k-kept');
    const answered = await retried!;
    expect([first.created, first.message.id]).toEqual([true, answered.message.id]);
    // The retry's answer is the message stored: the failing request left it where it was.
    expect(answered.created).toBe(false);
    expect(store.messages.get(answered.message.id)).toMatchObject({ id: answered.message.id, status: 'queued' });
    expect(store.messages.size).toBe(1);
  });

  it('has a retry that comes while its request deletes what it stored wait, then write it again with the same id', async () => {
    const { deps, store } = setup();
    const body = input();
    store.failFrom = 1;
    store.landsAnyway = true;
    const remove = store.removeUnchanged.bind(store);
    let during: unknown;
    store.removeUnchanged = async (messages) => {
      // Withdrawn already: the retry finds the message still stored, yet does not answer with it.
      during = await scheduleMessage(deps, TENANT, body, 'k-withdrawn').catch((error: unknown) => error);
      return remove(messages);
    };
    await expect(scheduleMessage(deps, TENANT, body, 'k-withdrawn')).rejects.toThrow(/injected/);
    expect(during).toBeInstanceOf(IdempotencyKeyInUseError);
    expect(store.messages.size).toBe(0);

    // The request released its key at the end of its rollback: the next retry takes over at once.
    store.failFrom = Number.POSITIVE_INFINITY;
    const finished = await scheduleMessage(deps, TENANT, body, 'k-withdrawn');
    expect(finished.created).toBe(true);
    expect(store.messages.get(finished.message.id)).toMatchObject({ status: 'queued' });
  });

  it('waits for a twin request still writing, then answers 409 idempotency-key-in-use', async () => {
    const { deps, store, clock } = setup();
    const body = input();
    await claimedAtT0(store, 'k-busy', body, 'msg_01JTWIN00000000000000000000');
    await expect(scheduleMessage(deps, TENANT, body, 'k-busy')).rejects.toThrow(IdempotencyKeyInUseError);
    expect(clock.now()).toBeGreaterThanOrEqual(T0 + IDEMPOTENCY_WAIT_MS);
    expect(store.messages.size).toBe(0);
  });

  it('finishes, with the first ids, a request that claimed its key and died before writing', async () => {
    const { deps, store, clock } = setup();
    const body = input();
    const claimedId = 'msg_01JDEAD00000000000000000000';
    await claimedAtT0(store, 'k-dead', body, claimedId);
    clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    const { message, created } = await scheduleMessage(deps, TENANT, body, 'k-dead');
    expect(created).toBe(true);
    expect(message.id).toBe(claimedId);
    expect([...store.messages.keys()]).toEqual([claimedId]);
  });

  it("finishes at once a request whose own claim was applied but its answer lost (the store client's retry found it taken)", async () => {
    const { deps, store, clock } = setup();
    const claim = store.claimIdempotencyKey.bind(store);
    // The conditional put lands, its answer is lost, the retried put finds the key bound: to us.
    store.claimIdempotencyKey = async (...args) => {
      await claim(...args);
      return claim(...args);
    };
    const { message, created } = await scheduleMessage(deps, TENANT, input(), 'k-lost-answer');
    expect(created).toBe(true);
    expect([...store.messages.keys()]).toEqual([message.id]);
    expect(clock.now()).toBe(T0); // no waiting out its own lease
  });

  it('finishes at once a take-over that was applied though the store said it was not', async () => {
    const { deps, store, clock } = setup();
    const body = input();
    const deadId = 'msg_01JDEAD00000000000000000001';
    await claimedAtT0(store, 'k-dead-lost', body, deadId);
    clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    const takeOver = store.takeOverIdempotencyKey.bind(store);
    store.takeOverIdempotencyKey = async (...args) => {
      await takeOver(...args);
      return false;
    };
    const before = clock.now();
    const { message, created } = await scheduleMessage(deps, TENANT, body, 'k-dead-lost');
    expect(created).toBe(true);
    expect(message.id).toBe(deadId);
    expect([...store.messages.keys()]).toEqual([deadId]);
    expect(clock.now()).toBe(before);
  });

  it('keeps the key for the same request when the quota refused it, so a later retry can succeed', async () => {
    const { deps, store, quota } = setup(0);
    const body = input();
    await expect(scheduleMessage(deps, TENANT, body, 'k-quota')).rejects.toThrow(QuotaExceededError);
    expect(store.messages.size).toBe(0);
    quota.limit = 1;
    const { created } = await scheduleMessage(deps, TENANT, body, 'k-quota');
    expect(created).toBe(true);
    expect(store.messages.size).toBe(1);
  });

  it('gives the quota back when a create stores nothing, so failed writes do not use it up', async () => {
    const { deps, store, quota } = setup(5);
    store.failFrom = 2; // the batch's second write fails: all or nothing, none is kept
    await expect(scheduleBatch(deps, TENANT, [input(), input(), input()])).rejects.toThrow('injected');
    expect(store.messages.size).toBe(0);
    expect(quota.used).toBe(0);
    store.failFrom = Number.POSITIVE_INFINITY;
    await scheduleBatch(deps, TENANT, [input(), input(), input(), input(), input()]);
    expect(quota.used).toBe(5);
  });

  it('counts a create retried with its Idempotency-Key after a failed write once, as its usage does', async () => {
    const { deps, store, quota, metered } = setup(3);
    const batch = [input(), input(), input()];
    store.failFrom = 3;
    await expect(scheduleBatch(deps, TENANT, batch, 'k-retried')).rejects.toThrow('injected');
    store.failFrom = Number.POSITIVE_INFINITY;
    const { created } = await scheduleBatch(deps, TENANT, batch, 'k-retried');
    expect(created).toBe(true);
    expect(store.messages.size).toBe(3);
    expect(quota.used).toBe(3);
    expect(scheduled(metered)).toBe(3);
  });
});

describe('redeliver counts like a create', () => {
  const delivered = async (deps: SchedulingDeps, store: MemoryStore) => {
    const { message } = await scheduleMessage(deps, TENANT, input());
    const done: Message = { ...message, status: 'delivered', version: message.version + 1 };
    await store.save(done, message.version);
    return done;
  };

  it('meters each redeliver as scheduled', async () => {
    const { deps, store, metered } = setup();
    const message = await delivered(deps, store);
    await redeliverMessage(deps, TENANT, message.id);
    expect(scheduled(metered)).toBe(2); // the create and the redeliver
    expect(metered.at(-1)).toMatchObject({ tenantId: TENANT, kind: 'scheduled', at: T0 });
  });

  it('refuses a redeliver past the quota with quota-exceeded and leaves the message as it was', async () => {
    const { deps, store, metered } = setup(1);
    const message = await delivered(deps, store);
    await expect(redeliverMessage(deps, TENANT, message.id)).rejects.toThrow(QuotaExceededError);
    expect(store.messages.get(message.id)?.status).toBe('delivered');
    expect(scheduled(metered)).toBe(1);
  });

  it('answers 409 for a message that cannot be redelivered, whatever the quota', async () => {
    const { deps } = setup(1);
    const { message } = await scheduleMessage(deps, TENANT, input());
    await expect(redeliverMessage(deps, TENANT, message.id)).rejects.toThrow(MessageStateConflictError);
  });
});

describe('PATCH keeps the message within the rules', () => {
  it('refuses a change that would make the message too large (413) or its headers invalid (422)', async () => {
    const { deps, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ body: 'x'.repeat(MAX_MESSAGE_BYTES - 100) }));
    const longerUrl = patchMessage(deps, TENANT, message.id, { url: `https://example.com/${'p'.repeat(200)}` });
    await expect(longerUrl).rejects.toThrow(PayloadTooLargeError);
    await expect(longerUrl).rejects.toThrow(/The message is 262\d{3} bytes/);
    await expect(
      patchMessage(deps, TENANT, message.id, { headers: { 'keep-alive': 'timeout=5' } }),
    ).rejects.toMatchObject({ errors: [{ path: 'headers.keep-alive' }] });
    await expect(patchMessage(deps, TENANT, message.id, { headers: { 'x-a': '\u0100' } })).rejects.toThrow(
      ValidationError,
    );
    expect(store.messages.get(message.id)).toEqual(message);
    // Making room works: a shorter body and the longer url together.
    const patched = await patchMessage(deps, TENANT, message.id, {
      url: `https://example.com/${'p'.repeat(200)}`,
      body: 'small',
    });
    expect(patched.body).toBe('small');
  });
});
