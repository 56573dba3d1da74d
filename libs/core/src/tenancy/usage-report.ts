/** GET /v1/usage: a tenant's daily usage, its month to date and its plan's limits. */
import { ValidationError } from '../errors';
import { planNamed } from '../plans';
import type { UsageCounts, UsageDay } from '../usage';
import { emptyCounts, monthToDate, usageDate } from '../usage';
import type { TenancyDeps } from './deps';

const DAY_MS = 86_400_000;
/** Without `from`, the report covers this many days up to `to`. */
export const DEFAULT_USAGE_DAYS = 30;
/** The longest range one report covers, from `from` to `to`. */
export const MAX_USAGE_RANGE_DAYS = 366;

export interface UsageReport {
  from: string;
  to: string;
  days: UsageDay[];
  plan: {
    name: string;
    monthlyMessages: number;
    monthlyRequests: number;
    ratePerSecond: number;
    burst: number;
    retentionDays: number;
  };
  monthToDate: UsageDay;
}

const sum = (days: readonly UsageCounts[]): UsageCounts =>
  days.reduce((total, day) => {
    for (const kind of Object.keys(total) as Array<keyof UsageCounts>) total[kind] += day[kind];
    return total;
  }, emptyCounts());

/**
 * The dates a report covers: `to` defaults to today (UTC), or to `from` when that is later (a caller
 * east of UTC asking for its own today), `from` to DEFAULT_USAGE_DAYS days before `to`. The rules
 * hold for the range as resolved, defaults included: `from` not after `to`, at most
 * MAX_USAGE_RANGE_DAYS apart (422 on `query.from`).
 */
export const usageRange = (query: { from?: string; to?: string }, now: number): { from: string; to: string } => {
  const today = usageDate(now);
  const to = query.to ?? (query.from !== undefined && query.from > today ? query.from : today);
  const from = query.from ?? usageDate(Date.parse(to) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS);
  if (from > to) throw ValidationError.single('query.from', 'must not be after to');
  // Days counted with both ends: 2025-11-24 to 2026-11-23 is 365 days.
  if (Date.parse(to) - Date.parse(from) >= MAX_USAGE_RANGE_DAYS * DAY_MS) {
    const toSaid = query.to === undefined ? ` (to is ${to} when not given)` : '';
    throw ValidationError.single('query.from', `the range is at most ${MAX_USAGE_RANGE_DAYS} days${toSaid}`);
  }
  return { from, to };
};

/** The report for `usageRange(query)`; a plan unknown here counts as free. */
export const usageReport = async (
  deps: Pick<TenancyDeps, 'ledger' | 'tenants' | 'clock'>,
  tenantId: string,
  query: { from?: string; to?: string },
): Promise<UsageReport> => {
  const now = deps.clock.now();
  const { from, to } = usageRange(query, now);
  const month = monthToDate(now);
  const [days, monthDays, tenant] = await Promise.all([
    deps.ledger.days(tenantId, from, to),
    deps.ledger.days(tenantId, month.from, month.to),
    deps.tenants.recentTenant(tenantId),
  ]);
  const plan = planNamed(tenant.plan);
  return {
    from,
    to,
    days,
    plan: {
      name: tenant.plan,
      monthlyMessages: plan.monthlyMessages,
      monthlyRequests: plan.monthlyRequests,
      ratePerSecond: plan.ratePerSecond,
      burst: plan.burst,
      retentionDays: plan.retentionDays,
    },
    monthToDate: { date: month.from, ...sum(monthDays) },
  };
};
