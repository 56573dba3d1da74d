/** GET /v1/usage: a tenant's daily usage, its month to date and its plan's limits. */
import type { PlanName } from '../plans';
import { PLANS } from '../plans';
import type { UsageCounts, UsageDay } from '../usage';
import { emptyCounts, monthToDate, usageDate } from '../usage';
import type { TenancyDeps } from './deps';

const DAY_MS = 86_400_000;
/** Without `from`, the report covers this many days up to `to`. */
export const DEFAULT_USAGE_DAYS = 30;

export interface UsageReport {
  from: string;
  to: string;
  days: UsageDay[];
  plan: { name: string; monthlyMessages: number; ratePerSecond: number; burst: number; retentionDays: number };
  monthToDate: UsageDay;
}

const sum = (days: readonly UsageCounts[]): UsageCounts =>
  days.reduce((total, day) => {
    for (const kind of Object.keys(total) as Array<keyof UsageCounts>) total[kind] += day[kind];
    return total;
  }, emptyCounts());

/** `to` defaults to today (UTC), `from` to DEFAULT_USAGE_DAYS days before it; a plan unknown here counts as free. */
export const usageReport = async (
  deps: Pick<TenancyDeps, 'ledger' | 'tenants' | 'clock'>,
  tenantId: string,
  query: { from?: string; to?: string },
): Promise<UsageReport> => {
  const now = deps.clock.now();
  const to = query.to ?? usageDate(now);
  const from = query.from ?? usageDate(Date.parse(to) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS);
  const month = monthToDate(now);
  const [days, monthDays, tenant] = await Promise.all([
    deps.ledger.days(tenantId, from, to),
    deps.ledger.days(tenantId, month.from, month.to),
    deps.tenants.recentTenant(tenantId),
  ]);
  const plan = PLANS[tenant.plan as PlanName] ?? PLANS.free;
  return {
    from,
    to,
    days,
    plan: {
      name: tenant.plan,
      monthlyMessages: plan.monthlyMessages,
      ratePerSecond: plan.ratePerSecond,
      burst: plan.burst,
      retentionDays: plan.retentionDays,
    },
    monthToDate: { date: month.from, ...sum(monthDays) },
  };
};
