/**
 * A redeliver with an Idempotency-Key, in memory at a fixed clock: the key binds the message and
 * the round the request starts, so a repeat starts none (however long after), a repeat of a
 * refused request redelivers once, and the key on another message is refused.
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
import { CountingQuota, memorySchedulingDeps, type MemoryStore } from './memory-ports';

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
