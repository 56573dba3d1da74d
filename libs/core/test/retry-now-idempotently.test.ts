/**
 * Retry now with an Idempotency-Key, in memory at a fixed clock with the real delivery worker: the
 * key binds the message and the attempt the request makes now, so a repeat after that attempt
 * failed again makes no second one (and uses none of the retry budget), a refused request's repeat
 * retries once, and the key on another message or route is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  IdempotencyKeyReusedError,
  MessageIn,
  MessageStateConflictError,
  redeliverMessageIdempotently,
  retryMessageNowIdempotently,
  scheduleMessage,
} from '../src';
import { deliveryHarness } from './memory-ports';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const TENANT = 'tnt_retry_now';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A receiver that answers 503 until told otherwise, and a message that has failed once. */
const setup = async () => {
  const harness = deliveryHarness({ t0: T0, secret: SECRET, script: [{ statusCode: 503 }] });
  const { clock, queue, sender, worker } = harness;
  const deps = { ...harness.deps, store: harness.store };
  /** Delivers the newest ticket at its due time, as the queue would hand it over. */
  const attempt = async () => {
    const ticket = queue.sent.at(-1)!.ticket;
    clock.set(Math.max(clock.now(), ticket.dueAt));
    return worker.deliver(ticket);
  };
  const { message } = await scheduleMessage(deps, TENANT, MessageIn.parse({ url: 'https://e.com/h', delay: 1 }));
  expect(await attempt()).toBe('retrying');
  const stored = () => deps.store.messages.get(message.id)!;
  return { clock, deps, sender, attempt, id: message.id, stored, queue };
};

describe('retry now with an Idempotency-Key', () => {
  it('makes one attempt: a repeat after that attempt failed again answers with the message and moves nothing', async () => {
    const { clock, deps, sender, attempt, id, stored, queue } = await setup();
    clock.set(clock.now() + 1_000);

    const first = await retryMessageNowIdempotently(deps, TENANT, id, 'k1');
    expect(first).toMatchObject({ created: true, message: { status: 'retrying', dueAt: clock.now() } });
    // A repeat while the attempt is due, then while it is being made: nothing moves.
    expect(await retryMessageNowIdempotently(deps, TENANT, id, 'k1')).toMatchObject({ created: false });
    expect(await attempt()).toBe('retrying');
    const waiting = stored();
    expect(waiting.attempts.map((a) => a.n)).toEqual([1, 2]);
    expect(waiting.dueAt).toBeGreaterThan(clock.now());

    // The late answer's repeat: the attempt it made has failed again, and its backoff stands.
    const sent = queue.sent.length;
    const repeat = await retryMessageNowIdempotently(deps, TENANT, id, 'k1');
    expect(repeat).toMatchObject({ created: false, message: { id, status: 'retrying', dueAt: waiting.dueAt } });
    expect(stored()).toEqual(waiting);
    expect(queue.sent).toHaveLength(sent);
    expect(sender.requests).toHaveLength(2);

    // Another key is another retry now; the key on another message, or on redeliver, is refused.
    expect((await retryMessageNowIdempotently(deps, TENANT, id, 'k2')).message.dueAt).toBe(clock.now());
    const { message: other } = await scheduleMessage(
      deps,
      TENANT,
      MessageIn.parse({ url: 'https://e.com/o', delay: 600 }),
    );
    await expect(retryMessageNowIdempotently(deps, TENANT, other.id, 'k1')).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(redeliverMessageIdempotently(deps, TENANT, id, 'k1')).rejects.toThrow(IdempotencyKeyReusedError);
  });

  it('answers with the message while the attempt it made is being delivered', async () => {
    const { clock, deps, id, stored, queue } = await setup();
    clock.set(clock.now() + 1_000);
    await retryMessageNowIdempotently(deps, TENANT, id, 'k');
    // The worker has taken the attempt (delivering) and not yet recorded it.
    deps.store.messages.set(id, { ...stored(), status: 'delivering' });
    const sent = queue.sent.length;
    expect(await retryMessageNowIdempotently(deps, TENANT, id, 'k')).toMatchObject({
      created: false,
      message: { status: 'delivering' },
    });
    expect(queue.sent).toHaveLength(sent);
  });

  it('retries once when repeated after a refusal: the attempt under way then was not its own', async () => {
    const { clock, deps, attempt, id, stored } = await setup();
    // Its second attempt is on its way: retry now is refused, and the key is released.
    clock.set(stored().dueAt);
    const waiting = stored();
    deps.store.messages.set(id, { ...waiting, status: 'delivering' });
    await expect(retryMessageNowIdempotently(deps, TENANT, id, 'k')).rejects.toThrow(MessageStateConflictError);
    deps.store.messages.set(id, waiting);
    expect(await attempt()).toBe('retrying');
    expect(stored().attempts.map((a) => a.n)).toEqual([1, 2]);

    // That attempt failed, and waits its backoff: the repeat makes the next one now, once.
    clock.set(clock.now() + 1_000);
    const repeat = await retryMessageNowIdempotently(deps, TENANT, id, 'k');
    expect(repeat).toMatchObject({ created: true, message: { status: 'retrying', dueAt: clock.now() } });
    expect(await retryMessageNowIdempotently(deps, TENANT, id, 'k')).toMatchObject({ created: false });
  });

  it('without a key, retries now each time it is asked, as before keys: a repeat after the attempt failed again makes another', async () => {
    const { clock, deps, attempt, id, stored } = await setup();
    clock.set(clock.now() + 1_000);

    expect(await retryMessageNowIdempotently(deps, TENANT, id, undefined)).toMatchObject({
      created: true,
      message: { status: 'retrying', dueAt: clock.now() },
    });
    expect(await attempt()).toBe('retrying');
    clock.set(clock.now() + 1_000);
    const again = await retryMessageNowIdempotently(deps, TENANT, id, undefined);

    expect(again).toMatchObject({ created: true, message: { status: 'retrying', dueAt: clock.now() } });
    expect(await attempt()).toBe('retrying');
    expect(stored().attempts).toHaveLength(3);
  });

  it('binds nothing to a message that does not exist', async () => {
    const { deps, id } = await setup();
    await expect(retryMessageNowIdempotently(deps, TENANT, 'msg_nope', 'k')).rejects.toThrow(/msg_nope/);
    expect((await retryMessageNowIdempotently(deps, TENANT, id, 'k')).created).toBe(true);
  });
});
