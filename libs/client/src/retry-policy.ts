/**
 * When the client tries a request again, and after how long: pure, so every rule is unit-tested
 * without a network. A request is retried only when repeating it cannot do anything twice:
 *
 * - `safe` (reads, cancel, key revoke, a PATCH that sets absolute values): a network error, a
 *   timeout, 429 or 5xx.
 * - `keyed` (create, batch, retry now, redeliver, the bulk jobs, and the account's key create,
 *   secret rotation, endpoint add and test, which always carry an Idempotency-Key): the same, plus
 *   409 `idempotency-key-in-use` (the first request with the key is still running): the API answers
 *   a repeat with the first result, so a retry after a lost answer never makes a second message,
 *   attempt now, redelivery round, key, rotation, endpoint or test event.
 * - `unsafe` (a PATCH by `in` or `delay`): only answers that say nothing was done: 429, and a
 *   refused connection.
 *
 * Whatever the request, a 409 that carries `Retry-After` is retried too: the API sends one only when
 * others' changes kept winning and nothing of this request was applied (`state-conflict`, "Changed
 * by another request": a PATCH, a cancel or a bulk job's start), so sending it again as it was is
 * what it asks for.
 *
 * Waits grow exponentially with jitter (half to all of `baseDelayMs * 2^n`, at most `maxDelayMs`);
 * a `Retry-After` is honoured (waited at least); the sum of the waits stays within
 * `maxTotalWaitMs`, and a Retry-After beyond that ends the retries at once.
 */

export type Safety = 'safe' | 'keyed' | 'unsafe';

export interface RetryOptions {
  /** Retries after the first try (default 3; 0 turns retries off). */
  max?: number | undefined;
  /** The first wait's upper bound, doubling after each retry (default 250 ms). */
  baseDelayMs?: number | undefined;
  /** The most one wait may be, unless a Retry-After asks for more (default 10 s). */
  maxDelayMs?: number | undefined;
  /** The most all the waits of one call may add up to (default 30 s). */
  maxTotalWaitMs?: number | undefined;
}

/** A policy with every field set. */
export type RetryPolicy = { [K in keyof RetryOptions]-?: NonNullable<RetryOptions[K]> };

export const DEFAULT_RETRY: RetryPolicy = {
  max: 3,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxTotalWaitMs: 30_000,
};

/** The policy for `retries`: a number is `max`; a field left out or undefined keeps its default. */
export const retryPolicy = (retries: number | RetryOptions | undefined): RetryPolicy => {
  if (typeof retries === 'number') return { ...DEFAULT_RETRY, max: retries };
  const given = Object.entries(retries ?? {}).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_RETRY, ...Object.fromEntries(given) };
};

/** What one try ended with. */
export type Outcome =
  /** `problem`: a 409's problem type (`idempotency-key-in-use`), when its body said. */
  | { kind: 'response'; status: number; retryAfterMs?: number; problem?: string }
  | { kind: 'timeout' }
  | { kind: 'network' }
  /** The connection was refused: the request was never sent. */
  | { kind: 'refused' };

const isRetryable = (outcome: Outcome, safety: Safety): boolean => {
  if (outcome.kind === 'refused') return true;
  if (outcome.kind === 'response') {
    if (outcome.status === 429) return true;
    if (outcome.status === 409 && outcome.retryAfterMs !== undefined) return true;
    if (safety === 'unsafe') return false;
    // Keyed: the first request with the key still runs. Not a 409 that says the message's state does
    // not allow it (a redeliver of one that waits): asking again changes nothing.
    if (outcome.status === 409)
      return safety === 'keyed' && (outcome.problem === undefined || outcome.problem === 'idempotency-key-in-use');
    return outcome.status >= 500 && outcome.status !== 501;
  }
  return safety !== 'unsafe';
};

/**
 * The milliseconds to wait before retry number `retried + 1`, or undefined to stop: not retryable,
 * retries used up, or the wait would take the call past its total wait budget.
 */
export const nextRetryDelay = (
  outcome: Outcome,
  safety: Safety,
  retried: number,
  waitedMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined => {
  if (retried >= policy.max || !isRetryable(outcome, safety)) return undefined;
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retried);
  const jittered = step / 2 + random() * (step / 2);
  const asked = outcome.kind === 'response' ? (outcome.retryAfterMs ?? 0) : 0;
  const wait = Math.round(Math.max(jittered, asked));
  return waitedMs + wait > policy.maxTotalWaitMs ? undefined : wait;
};
