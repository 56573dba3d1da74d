/**
 * Usage metering: the API and the engine emit usage events; the metering function folds them
 * into per-tenant daily counters. Events carry ids so a redelivered batch never counts twice.
 *
 * Exact accounting: the ids (and days) of the events about a message are derived from the
 * message, not drawn at random, so emitting an event again is harmless. That lets the engine emit
 * an attempt's events after the send and before the record write (a crash in between re-sends
 * the same attempt number, which emits the same ids), and re-emit a round's `scheduled` event with
 * its first attempt (a create that died between its insert and its meter call is still counted).
 * What the counters then mean, for a tenant:
 * - `scheduled`: messages accepted (a create or batch member), plus one per redeliver;
 * - `attempt`: distinct (webhook-id, vigil-attempt) pairs sent to receivers;
 * - `delivered` / `failed`: rounds (a create or a redeliver) that ended with a 2xx answer /
 *   that gave up.
 * An event counts on the UTC day its message was created or redelivered (`scheduled`), or on the
 * day its attempt was due (the others), whenever it is emitted.
 */
import { monotonicFactory } from 'ulid';
import { idRandom } from './ids';
import { VigilError } from './errors';
import { utcMonthStart } from './shared/utc-months';
import { PROBLEMS } from './problems';
import type { Message } from './message';

export const USAGE_KINDS = ['scheduled', 'delivered', 'failed', 'attempt'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export interface UsageEvent {
  /** Unique per event: the dedupe key. Derived from what it counts (see usageEvent). */
  id: string;
  tenantId: string;
  kind: UsageKind;
  /** Epoch ms when it happened: its UTC day is the counter it lands in. */
  at: number;
  /**
   * A repeat of an event most likely emitted (and counted) before: the ledger folds it apart, so
   * that as the expected duplicate it costs one conditional write rather than its batch's.
   */
  echo?: boolean;
}

export type UsageCounts = Record<UsageKind, number>;

export interface UsageDay extends UsageCounts {
  /** YYYY-MM-DD, UTC. */
  date: string;
}

export interface UsageMeter {
  /**
   * Hands events to metering (durably, when it resolves in time). Never throws and settles within
   * a bounded time (bounded retries, then a log line): metering must never block or fail the
   * request or the delivery it describes.
   */
  record(events: readonly UsageEvent[]): Promise<void>;
}

export interface UsageLedger {
  /** Adds each event to its tenant's day once, however often it is folded. */
  fold(events: readonly UsageEvent[]): Promise<{ counted: number; duplicates: number }>;
  /** Days from `from` to `to` (inclusive, YYYY-MM-DD), only those with any usage. */
  days(tenantId: string, from: string, to: string): Promise<UsageDay[]>;
}

const nextId = monotonicFactory(idRandom);

/** Id prefixes by kind: `sch_<messageId>_<round>`, `att_<messageId>_<n>`, `dlv_`/`fld_<messageId>_<round>`. */
export const USAGE_ID_PREFIX: Record<UsageKind, string> = {
  scheduled: 'sch',
  attempt: 'att',
  delivered: 'dlv',
  failed: 'fld',
};

/**
 * One usage event. `key` names what it counts (e.g. `<messageId>_<round>`): the id is then
 * `<prefix>_<key>`, the same every time it is emitted, so it counts once however often it is.
 * Without a key the id is random (a one-off event that is never emitted twice).
 */
export const usageEvent = (tenantId: string, kind: UsageKind, at: number, key?: string): UsageEvent => ({
  id: key === undefined ? `use_${nextId(at)}` : `${USAGE_ID_PREFIX[kind]}_${key}`,
  tenantId,
  kind,
  at,
});

/** The round a message is in: 0 from its create, one more with each redeliver. */
export const roundOf = (message: Pick<Message, 'round'>): number => message.round ?? 0;

/**
 * The `scheduled` event of a message's current round: emitted by create (round 0) and redeliver
 * (round 1, 2, ...), counted on the day the round began, and echoed with the round's first attempt.
 */
export const scheduledUsage = (
  message: Pick<Message, 'id' | 'tenantId' | 'createdAt' | 'round' | 'roundAt'>,
): UsageEvent =>
  usageEvent(message.tenantId, 'scheduled', message.roundAt ?? message.createdAt, `${message.id}_${roundOf(message)}`);

/** Attempt `n` of a message (numbered across rounds), counted on the day it was due. */
export const attemptUsage = (message: Pick<Message, 'id' | 'tenantId' | 'dueAt'>, n: number): UsageEvent =>
  usageEvent(message.tenantId, 'attempt', message.dueAt, `${message.id}_${n}`);

/** How a message's current round ended, counted on the day its last attempt was due. */
export const outcomeUsage = (
  message: Pick<Message, 'id' | 'tenantId' | 'dueAt' | 'round'>,
  kind: 'delivered' | 'failed',
): UsageEvent => usageEvent(message.tenantId, kind, message.dueAt, `${message.id}_${roundOf(message)}`);

export const usageDate = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

export const emptyCounts = (): UsageCounts => ({ scheduled: 0, delivered: 0, failed: 0, attempt: 0 });

/** Month to date: the first day of `now`'s UTC month and today. */
export const monthToDate = (now: number): { from: string; to: string } => {
  const today = usageDate(now);
  return { from: `${today.slice(0, 8)}01`, to: today };
};

/** Where a limit stands: its size, what is left of it, and seconds until it is renewed. */
export interface LimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * A 429's headers: `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (the IETF
 * httpapi rate limit fields), and `Retry-After` (seconds, the same as the reset).
 */
export const rateLimitHeaders = ({ limit, remaining, resetSeconds }: LimitState): Record<string, string> => ({
  'ratelimit-limit': String(limit),
  'ratelimit-remaining': String(Math.max(0, remaining)),
  'ratelimit-reset': String(resetSeconds),
  'retry-after': String(resetSeconds),
});

/** Whole seconds from `now` to the first instant of the next UTC month (at least 1). */
export const secondsToNextMonth = (now: number): number => {
  return Math.max(1, Math.ceil((utcMonthStart(now, 1) - now) / 1000));
};

export class QuotaExceededError extends VigilError {
  readonly problem = PROBLEMS.quotaExceeded;
  constructor(message: string, quota?: LimitState) {
    super(message, quota && { headers: rateLimitHeaders(quota) });
  }

  /**
   * `adding` messages would pass the plan's monthly allowance: what is left of it, and when it
   * renews (1st, UTC). A request for more than is left is told so, not that none is.
   */
  static monthly(limit: number, used: number, adding: number, now: number): QuotaExceededError {
    const remaining = Math.max(0, limit - used);
    return new QuotaExceededError(
      remaining === 0
        ? `This month's quota of ${limit} messages is used up (${used} scheduled); it renews on the 1st (UTC).`
        : `This request makes ${adding} messages, and ${remaining} of this month's quota of ${limit} are left ` +
            `(${used} scheduled): send at most ${remaining} now, the rest once it renews on the 1st (UTC).`,
      { limit, remaining, resetSeconds: secondsToNextMonth(now) },
    );
  }
}

/** Messages a quota check let through, counted until they are stored, or given back when they are not. */
export interface QuotaReservation {
  /**
   * Gives the messages back: their write failed, so they take nothing of the quota (a retry counts
   * them again); all but `stored` of them, which stay stored all the same (a rollback kept them: a
   * worker took them, they may go out). Only the first call gives anything back.
   */
  release(stored?: number): void;
}

/** Refuses new messages beyond the tenant's monthly allowance. */
export interface QuotaGuard {
  /**
   * Counts `adding` more messages against the tenant's monthly quota, or throws QuotaExceededError
   * when they would pass it. The caller releases what it counted when it then stores nothing.
   * `at` (default now) is the instant their `scheduled` events carry (a create's `createdAt`, a
   * redeliver's `roundAt`): they count in its UTC month, where they are metered.
   */
  assertWithin(tenantId: string, adding: number, at?: number): Promise<QuotaReservation>;
}

/** A check where there is no quota: nothing to give back. */
export const NO_RESERVATION: QuotaReservation = { release: () => {} };

/**
 * Counts `adding` new messages against the tenant's monthly quota, where there is one (throws
 * QuotaExceededError when they would pass it), in the UTC month of `at`, the instant their
 * `scheduled` events carry; where there is none, nothing is counted or given back.
 */
export const countAgainstQuota = async (
  quota: QuotaGuard | undefined,
  tenantId: string,
  adding: number,
  at?: number,
): Promise<QuotaReservation> => (await quota?.assertWithin(tenantId, adding, at)) ?? NO_RESERVATION;

/**
 * Counts messages against the quota of the UTC month each was created in (where its `scheduled`
 * event counts): one month for a request's fresh messages, two for a retry that finishes a request
 * begun before the turn of a month. All or none: a refusal gives back the months counted before it.
 * `release(stored)` keeps `stored` of them counted, from the earliest month on.
 */
export const countMessagesAgainstQuota = async (
  quota: QuotaGuard | undefined,
  tenantId: string,
  messages: ReadonlyArray<Pick<Message, 'createdAt'>>,
): Promise<QuotaReservation> => {
  const byMonth = new Map<string, { at: number; count: number }>();
  for (const { createdAt } of messages) {
    const month = monthToDate(createdAt).from;
    const entry = byMonth.get(month) ?? { at: createdAt, count: 0 };
    byMonth.set(month, { at: entry.at, count: entry.count + 1 });
  }
  const counted: Array<{ reservation: QuotaReservation; count: number }> = [];
  try {
    for (const [, { at, count }] of [...byMonth].sort(([a], [b]) => a.localeCompare(b))) {
      counted.push({ reservation: await countAgainstQuota(quota, tenantId, count, at), count });
    }
  } catch (error) {
    for (const { reservation } of counted) reservation.release();
    throw error;
  }
  if (counted.length === 1) return (counted[0] as { reservation: QuotaReservation }).reservation;
  return {
    release: (stored = 0) => {
      let keep = stored;
      for (const { reservation, count } of counted) {
        reservation.release(Math.min(keep, count));
        keep = Math.max(0, keep - count);
      }
    },
  };
};

/** Runs `write`; when it throws, the messages the quota counted for it are given back. */
export const withReleaseOnFailure = async <T>(counted: QuotaReservation, write: () => Promise<T>): Promise<T> => {
  try {
    return await write();
  } catch (error) {
    counted.release();
    throw error;
  }
};
