import { describe, expect, it } from 'vitest';
import type { Outcome, Safety } from './retry-policy';
import { DEFAULT_RETRY, nextRetryDelay, retryPolicy } from './retry-policy';

const policy = { max: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalWaitMs: 5_000 };
const highest = () => 0.999_999;
const lowest = () => 0;
const status = (s: number, retryAfterMs?: number): Outcome => ({
  kind: 'response',
  status: s,
  ...(retryAfterMs !== undefined && { retryAfterMs }),
});

/** A 409 whose problem document says its type. */
const problem409 = (problem: string): Outcome => ({ kind: 'response', status: 409, problem });

describe('the retry policy', () => {
  it.each<[string, Outcome, Safety[], Safety[]]>([
    ['a network error', { kind: 'network' }, ['safe', 'keyed'], ['unsafe']],
    ['a timeout', { kind: 'timeout' }, ['safe', 'keyed'], ['unsafe']],
    ['a refused connection (nothing was sent)', { kind: 'refused' }, ['safe', 'keyed', 'unsafe'], []],
    ['429', status(429), ['safe', 'keyed', 'unsafe'], []],
    ['500', status(500), ['safe', 'keyed'], ['unsafe']],
    ['503', status(503), ['safe', 'keyed'], ['unsafe']],
    ['409 (idempotency key in use)', status(409), ['keyed'], ['safe', 'unsafe']],
    ['409 idempotency-key-in-use, so typed', problem409('idempotency-key-in-use'), ['keyed'], ['safe', 'unsafe']],
    // A keyed redeliver of a message that still waits: asking again changes nothing.
    ['409 state-conflict without Retry-After', problem409('state-conflict'), [], ['safe', 'keyed', 'unsafe']],
    ['409 with Retry-After (changed by others, nothing applied)', status(409, 1_000), ['safe', 'keyed', 'unsafe'], []],
    ['501', status(501), [], ['safe', 'keyed', 'unsafe']],
    ['400', status(400), [], ['safe', 'keyed', 'unsafe']],
    ['404', status(404), [], ['safe', 'keyed', 'unsafe']],
    ['422', status(422), [], ['safe', 'keyed', 'unsafe']],
  ])('after %s retries only what cannot do anything twice', (_, outcome, retried, notRetried) => {
    for (const safety of retried) expect(nextRetryDelay(outcome, safety, 0, 0, policy), safety).toBeGreaterThan(0);
    for (const safety of notRetried) expect(nextRetryDelay(outcome, safety, 0, 0, policy), safety).toBeUndefined();
  });

  it('waits half to all of an exponentially growing step, capped per wait', () => {
    const waits = [0, 1, 2, 3, 4, 5].map((n) => [
      nextRetryDelay({ kind: 'network' }, 'safe', n, 0, { ...policy, max: 10, maxTotalWaitMs: 1e9 }, lowest),
      nextRetryDelay({ kind: 'network' }, 'safe', n, 0, { ...policy, max: 10, maxTotalWaitMs: 1e9 }, highest),
    ]);
    expect(waits).toEqual([
      [50, 100],
      [100, 200],
      [200, 400],
      [400, 800],
      [500, 1_000],
      [500, 1_000],
    ]);
  });

  it('waits at least what Retry-After asks, even beyond the per-wait cap', () => {
    expect(nextRetryDelay(status(429, 2_000), 'keyed', 0, 0, policy, highest)).toBe(2_000);
    expect(nextRetryDelay(status(503, 10), 'safe', 2, 0, policy, highest)).toBe(400);
  });

  it('stops after the retries allowed', () => {
    expect(nextRetryDelay(status(503), 'safe', 2, 0, policy)).toBeDefined();
    expect(nextRetryDelay(status(503), 'safe', 3, 0, policy)).toBeUndefined();
    expect(nextRetryDelay(status(503), 'safe', 0, 0, { ...policy, max: 0 })).toBeUndefined();
  });

  it('keeps all the waits of one call within the total budget, and gives up at once on a Retry-After beyond it', () => {
    expect(nextRetryDelay(status(503), 'safe', 1, 4_900, policy, highest)).toBeUndefined();
    expect(nextRetryDelay(status(503), 'safe', 1, 4_700, policy, highest)).toBe(200);
    // A quota's Retry-After (until next month) is not waited for.
    expect(nextRetryDelay(status(429, 86_400_000), 'keyed', 0, 0, policy)).toBeUndefined();
  });

  it('takes a number as the retry count and fills in the rest', () => {
    expect(retryPolicy(0)).toEqual({ ...DEFAULT_RETRY, max: 0 });
    expect(retryPolicy({ maxTotalWaitMs: 1_000 })).toEqual({ ...DEFAULT_RETRY, maxTotalWaitMs: 1_000 });
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY);
  });

  it('keeps the default of a field given as undefined (a `max: undefined` retried without end)', () => {
    expect(retryPolicy({ max: undefined, baseDelayMs: undefined, maxTotalWaitMs: 1_000 })).toEqual({
      ...DEFAULT_RETRY,
      maxTotalWaitMs: 1_000,
    });
  });
});
