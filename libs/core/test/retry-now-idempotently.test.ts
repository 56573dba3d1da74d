/**
 * Retry now with an Idempotency-Key, in memory at a fixed clock with the real delivery worker: the
 * key binds the message and the attempt the request makes now, so a repeat after that attempt
 * failed again makes no second one (and uses none of the retry budget), a refused request's repeat
 * retries once, and the key on another message or route is refused. An attempt that is due already,
 * its ticket lost, is handed to a worker again by every retry now, keyed or not, first or repeat,
 * not left to the sweep; the duplicate ticket when its own was not lost makes no second attempt.
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
  return { clock, deps, sender, attempt, id: message.id, stored, queue, worker };
};

/** The message after its first attempt, its backoff's ticket lost (an enqueue that failed), and the clock past its due time. */
const lostTicket = async () => {
  const setUp = await setup();
  const waiting = setUp.stored();
  expect(setUp.queue.sent.pop()!.ticket).toMatchObject({ messageId: setUp.id, version: waiting.version });
  setUp.clock.set(waiting.dueAt + 3_000);
  return { ...setUp, waiting };
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

describe('retry now of an attempt that is due already, its ticket lost', () => {
  it.each([
    ['without a key', undefined],
    ['with a key, its first request', 'k'],
  ])('%s: hands it to a worker at once, not at the sweep, moving nothing and spending nothing', async (_, key) => {
    // Prepare: the attempt is due (3 s ago), and no ticket for it is on the queue.
    const { clock, deps, sender, id, stored, queue, waiting, worker } = await lostTicket();
    const sent = queue.sent.length;

    // Act
    const answer = await retryMessageNowIdempotently(deps, TENANT, id, key);

    // Assess: answered as before (the message, due as it was), nothing written, and a ticket at its
    // version on the prompt queue at no delay, which a worker sends at once.
    expect(answer).toEqual({ created: true, message: waiting });
    expect(stored()).toEqual(waiting);
    const tickets = queue.sent.slice(sent);
    expect(tickets).toEqual([
      {
        ticket: { tenantId: TENANT, messageId: id, version: waiting.version, dueAt: waiting.dueAt },
        delaySeconds: 0,
        prompt: true,
      },
    ]);
    expect(await worker.deliver(tickets[0]!.ticket)).toBe('retrying');
    expect(sender.requests.map((r) => r.at)).toEqual([T0 + 1_000, clock.now()]);
    expect(stored().attempts.map((a) => a.n)).toEqual([1, 2]);
    // With a key, its repeat after that attempt failed again still moves nothing and sends nothing.
    if (key !== undefined) {
      const after = queue.sent.length;
      expect(await retryMessageNowIdempotently(deps, TENANT, id, key)).toMatchObject({ created: false });
      expect(queue.sent).toHaveLength(after);
    }
  });

  it("with a key, a repeat that finds its attempt due hands it to a worker again: its first request's ticket was lost", async () => {
    // Prepare: the first request moves the attempt to now, and its ticket is lost.
    const { clock, deps, sender, id, stored, queue, worker } = await setup();
    clock.set(clock.now() + 1_000);
    const first = await retryMessageNowIdempotently(deps, TENANT, id, 'k');
    expect(first).toMatchObject({ created: true, message: { dueAt: clock.now() } });
    expect(queue.sent.pop()!.ticket).toMatchObject({ version: first.message.version });
    clock.advance(2_000);

    // Act: the client's repeat (its answer came too late).
    const repeat = await retryMessageNowIdempotently(deps, TENANT, id, 'k');

    // Assess: answered as a repeat (200, the message as it is), and its attempt made once.
    expect(repeat).toEqual({ created: false, message: first.message });
    const ticket = queue.sent.at(-1)!.ticket;
    expect(ticket).toMatchObject({ messageId: id, version: first.message.version, dueAt: first.message.dueAt });
    expect(await worker.deliver(ticket)).toBe('retrying');
    expect(sender.requests).toHaveLength(2);
    expect(stored().attempts.map((a) => a.n)).toEqual([1, 2]);
  });

  it('makes one attempt where its own ticket was not lost: both tickets arrive, one takes the message and the other is skipped', async () => {
    // Prepare: the attempt is due and its backoff's ticket is still on its way; retry now is asked
    // twice (with a key, and without), each sending one more ticket at the same version.
    const { clock, deps, sender, id, stored, queue, worker } = await setup();
    const waiting = stored();
    clock.set(waiting.dueAt);
    const own = queue.sent.at(-1)!.ticket;
    await retryMessageNowIdempotently(deps, TENANT, id, 'k');
    await retryMessageNowIdempotently(deps, TENANT, id, undefined);
    const [keyed, unkeyed] = queue.sent.slice(-2).map((e) => e.ticket);
    expect([keyed, unkeyed]).toEqual([own, own]);

    // Act: its own ticket and the keyed request's arrive at once, the other once that attempt is recorded.
    const together = await Promise.all([worker.deliver(own), worker.deliver(keyed!)]);
    const late = await worker.deliver(unkeyed!);

    // Assess: one attempt sent and recorded, in the same round, and nothing of the budget spent but it.
    expect(together.sort()).toEqual(['retrying', 'skipped']);
    expect(late).toBe('skipped');
    expect(sender.requests).toHaveLength(2);
    const after = stored();
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
    expect(after).toMatchObject({ status: 'retrying', version: waiting.version + 2 });
    expect(after.takes).toBeUndefined();
    expect(after.dueAt).toBeGreaterThan(clock.now());
  });
});
