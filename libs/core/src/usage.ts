/**
 * Usage metering: the API and the engine emit usage events; the metering function folds them
 * into per-tenant daily counters. Events carry ids so a redelivered batch never counts twice.
 */
import { monotonicFactory } from 'ulid';
import { VigilError } from './errors';

export const USAGE_KINDS = ['scheduled', 'delivered', 'failed', 'attempt'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export interface UsageEvent {
  /** Unique per event: the dedupe key. */
  id: string;
  tenantId: string;
  kind: UsageKind;
  /** Epoch ms when it happened: its UTC day is the counter it lands in. */
  at: number;
}

export type UsageCounts = Record<UsageKind, number>;

export interface UsageDay extends UsageCounts {
  /** YYYY-MM-DD, UTC. */
  date: string;
}

export interface UsageMeter {
  /** Hands events to metering; never throws for the caller's sake (metering is best effort, async). */
  record(events: readonly UsageEvent[]): Promise<void>;
}

export interface UsageLedger {
  /** Adds each event to its tenant's day once, however often it is folded. */
  fold(events: readonly UsageEvent[]): Promise<{ counted: number; duplicates: number }>;
  /** Days from `from` to `to` (inclusive, YYYY-MM-DD), only those with any usage. */
  days(tenantId: string, from: string, to: string): Promise<UsageDay[]>;
}

const nextId = monotonicFactory();

export const usageEvent = (tenantId: string, kind: UsageKind, at: number): UsageEvent => ({
  id: `use_${nextId(at)}`,
  tenantId,
  kind,
  at,
});

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
  const date = new Date(now);
  const next = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
};

export class QuotaExceededError extends VigilError {
  readonly status = 429;
  readonly type = 'quota-exceeded';
  readonly title = 'Monthly message quota exceeded';
  constructor(message: string, quota?: LimitState) {
    super(message, quota && { headers: rateLimitHeaders(quota) });
  }

  /** The plan's monthly allowance is used up: what is left of it, and when it renews (1st, UTC). */
  static monthly(limit: number, used: number, now: number): QuotaExceededError {
    return new QuotaExceededError(
      `This month's quota of ${limit} messages is used up (${used} scheduled); it renews on the 1st (UTC).`,
      { limit, remaining: limit - used, resetSeconds: secondsToNextMonth(now) },
    );
  }
}

/** Refuses new messages beyond the tenant's monthly allowance. */
export interface QuotaGuard {
  /** Throws QuotaExceededError when `adding` more messages would pass the tenant's monthly quota. */
  assertWithin(tenantId: string, adding: number): Promise<void>;
}
