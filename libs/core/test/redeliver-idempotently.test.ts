/**
 * A redeliver with an Idempotency-Key, in memory at a fixed clock: the key binds the message and
 * the round the request starts, so a repeat starts none (however long after), a repeat of a
 * refused request redelivers once, and the key on another message is refused. A repeat that finds
 * its round waiting and due, its first request's ticket lost, hands it to a worker again.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../src';
import {
  FixedClock,
  IdempotencyKeyReusedError,
  MessageIn,
  MessageStateConflictError,
  QuotaExceededError,
  redeliverMessageIdempotently,
  scheduleMessage,
} from '../src';
import { CountingQuota, deliveryHarness, memorySchedulingDeps, type MemoryStore } from './memory-ports';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const TENANT = 'tnt_redeliver';

const setup = () => {
  const clock = new FixedClock(T0);
  const quota = new CountingQuota(100);
  const deps = memorySchedulingDeps(clock, { quota, meter: { record: async () => {} } });
  /** A message made and then finished `status`, as the worker would. */
  const finished = async (status: 'delivered' | 'failed' = 'delivered'): Promise<Message> => {
    const { message } = await scheduleMessage(deps, TENANT, MessageIn.parse({ url: 'https://e.com/h', delay: 0 }));
    return finish(deps.store, message.id, status);
  };
  return { clock, quota, deps, finished };
};

const finish = async (store: MemoryStore, id: string, status: 'delivered' | 'failed') => {
  const current = store.messages.get(id) as Message;
  const next = { ...current, status, version: current.version + 1 };
  await store.save(next, current.version);
  return next;
};

describe('a redeliver with an Idempotency-Key', () => {
  it('starts one round: a repeat answers with the message, while that round runs and after it ended', async () => {
    const { deps, quota, finished } = setup();
    const message = await finished();
    const used = quota.used;

    const first = await redeliverMessageIdempotently(deps, TENANT, message.id, 'k1');
    expect(first).toMatchObject({ created: true, message: { id: message.id, status: 'queued', round: 1 } });
    const during = await redeliverMessageIdempotently(deps, TENANT, message.id, 'k1');
    expect(during).toMatchObject({ created: false, message: { round: 1 } });
    await finish(deps.store, message.id, 'delivered');
    const after = await redeliverMessageIdempotently(deps, TENANT, message.id, 'k1');
    expect(after).toMatchObject({ created: false, message: { status: 'delivered', round: 1 } });
    expect(quota.used - used).toBe(1);

    // Another key is another redeliver; the key on another message is refused.
    expect((await redeliverMessageIdempotently(deps, TENANT, message.id, 'k2')).message.round).toBe(2);
    const other = await finished();
    await expect(redeliverMessageIdempotently(deps, TENANT, other.id, 'k1')).rejects.toThrow(IdempotencyKeyReusedError);
  });

  it('redelivers once when repeated after a refusal: at the quota, or while the message was not finished', async () => {
    const { deps, quota, finished } = setup();
    const message = await finished('failed');
    quota.limit = quota.used;
    await expect(redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).rejects.toThrow(QuotaExceededError);
    quota.limit = quota.used + 10;
    expect(await redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).toMatchObject({
      created: true,
      message: { status: 'queued', round: 1 },
    });
    expect(await redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).toMatchObject({ created: false });

    const { message: waiting } = await scheduleMessage(
      deps,
      TENANT,
      MessageIn.parse({ url: 'https://e.com/h', delay: 600 }),
    );
    await expect(redeliverMessageIdempotently(deps, TENANT, waiting.id, 'w')).rejects.toThrow(
      MessageStateConflictError,
    );
    await finish(deps.store, waiting.id, 'failed');
    expect(await redeliverMessageIdempotently(deps, TENANT, waiting.id, 'w')).toMatchObject({
      created: true,
      message: { round: 1 },
    });
  });

  it('counts the round its key asked for as started whoever started it: never two where one was asked', async () => {
    const { deps, quota, finished } = setup();
    const message = await finished();
    quota.limit = quota.used;
    await expect(redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).rejects.toThrow(QuotaExceededError);
    quota.limit = quota.used + 10;
    // Meanwhile a redeliver without a key (another tab, a bulk job) starts that round.
    expect((await redeliverMessageIdempotently(deps, TENANT, message.id, undefined)).message.round).toBe(1);
    await finish(deps.store, message.id, 'delivered');
    expect(await redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).toMatchObject({
      created: false,
      message: { round: 1 },
    });
  });
});

describe('a redeliver repeat that finds its round started, its ticket lost', () => {
  it("hands the round's due message to a worker at once, not at the sweep: its first request's enqueue failed", async () => {
    // Prepare: a message delivered, then a keyed redeliver whose ticket's enqueue throws (after its
    // write: the request answers 202 all the same, the sweep being the net).
    const { clock, deps, store, queue, sender, worker, deliverLatest } = deliveryHarness({
      t0: T0,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    const { message } = await scheduleMessage(deps, TENANT, MessageIn.parse({ url: 'https://e.com/h', delay: 1 }));
    expect(await deliverLatest()).toBe('delivered');
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async () => {
      throw new Error('SQS: service unavailable');
    };
    const first = await redeliverMessageIdempotently(deps, TENANT, message.id, 'k');
    expect(first).toMatchObject({ created: true, message: { status: 'queued', round: 1, dueAt: clock.now() } });
    queue.enqueue = enqueue;
    const sent = queue.sent.length;
    clock.advance(2_000);

    // Act: the client's repeat (its answer came too late).
    const repeat = await redeliverMessageIdempotently(deps, TENANT, message.id, 'k');

    // Assess: answered as a repeat (the message as it is, nothing written, no round started), and a
    // ticket at its version on the prompt queue at no delay, which a worker sends at once: once.
    expect(repeat).toEqual({ created: false, message: first.message });
    expect(store.messages.get(message.id)).toEqual(first.message);
    expect(queue.sent.slice(sent)).toEqual([
      {
        ticket: { tenantId: TENANT, messageId: message.id, version: first.message.version, dueAt: first.message.dueAt },
        delaySeconds: 0,
        prompt: true,
      },
    ]);
    expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('delivered');
    expect(sender.requests).toHaveLength(2);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'delivered', round: 1 });
    expect(store.messages.get(message.id)!.attempts.map((a) => a.n)).toEqual([1, 2]);
    // Its repeat once the round is over sends nothing more.
    const after = queue.sent.length;
    expect(await redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).toMatchObject({ created: false });
    expect(queue.sent).toHaveLength(after);
  });

  it("sends no ticket for a round a worker has taken already: it is that worker's", async () => {
    const { clock, deps, store, queue, deliverLatest } = deliveryHarness({
      t0: T0,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    const { message } = await scheduleMessage(deps, TENANT, MessageIn.parse({ url: 'https://e.com/h', delay: 1 }));
    expect(await deliverLatest()).toBe('delivered');
    await redeliverMessageIdempotently(deps, TENANT, message.id, 'k');
    // Taken by a worker (its own ticket arrived): a repeat leaves it to that worker.
    const { ticket } = queue.sent.at(-1)!;
    expect(await store.take(ticket, clock.now(), clock.now() + 15_000)).toMatchObject({ status: 'delivering' });
    const sent = queue.sent.length;
    expect(await redeliverMessageIdempotently(deps, TENANT, message.id, 'k')).toMatchObject({ created: false });
    expect(queue.sent).toHaveLength(sent);
  });
});
