/** Retry policy: exponential backoff with jitter, and which outcomes are worth retrying. */

export interface BackoffPolicy {
  /** Delay before the second attempt, before jitter. */
  baseMs: number;
  /** Each further attempt waits this many times longer. */
  factor: number;
  /** No wait is longer than this. */
  capMs: number;
}

/** 10 s, 40 s, 2.7 min, 11 min, 43 min, 2.8 h, 11 h: eight attempts span about half a day. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 10_000, factor: 4, capMs: 24 * 3_600_000 };

/**
 * How long to wait after the `failedAttempts`-th failure of a round. "Equal jitter": half the
 * exponential step is fixed, half is random, so retries spread out but never collapse to zero.
 * `random` is in [0, 1).
 */
export const retryDelayMs = (failedAttempts: number, policy: BackoffPolicy, random: number): number => {
  const step = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, failedAttempts - 1));
  return Math.round(step / 2 + (step / 2) * random);
};

export type AttemptVerdict = 'delivered' | 'retry' | 'give-up';

/** 2xx delivers; 410 Gone and unreachable-by-design targets stop; anything else retries while budget lasts. */
export const judgeAttempt = (
  outcome: { statusCode?: number; permanent?: boolean },
  attemptsThisRound: number,
  maxAttempts: number,
): AttemptVerdict => {
  const { statusCode } = outcome;
  if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 410 || outcome.permanent) return 'give-up';
  return attemptsThisRound >= maxAttempts ? 'give-up' : 'retry';
};

/**
 * The wait before the next attempt: the backoff's, or longer when the receiver asked for more with
 * `Retry-After` (on a 429 or 503), though never longer than the backoff's cap.
 */
export const nextAttemptDelayMs = (
  failedAttempts: number,
  policy: BackoffPolicy,
  random: number,
  retryAfterMs?: number,
): number => {
  const backoff = retryDelayMs(failedAttempts, policy, random);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return backoff;
  return Math.max(backoff, Math.min(Math.ceil(retryAfterMs), policy.capMs));
};
