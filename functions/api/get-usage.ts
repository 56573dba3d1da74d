import { runtime } from '@vigil/aws';
import type { PlanName, UsageDay } from '@vigil/core';
import { emptyCounts, monthToDate, PLANS, usageDate, UsageQuery } from '@vigil/core';
import { httpRoute } from './http';

const DAY_MS = 86_400_000;

const asOut = ({ date, scheduled, delivered, failed, attempt }: UsageDay) => ({
  date,
  scheduled,
  delivered,
  failed,
  attempts: attempt,
});

export const handler = httpRoute({ query: UsageQuery }, async ({ tenantId, query }) => {
  const { usage, tenants } = runtime();
  const now = Date.now();
  const to = query.to ?? usageDate(now);
  const from = query.from ?? usageDate(Date.parse(to) - 29 * DAY_MS);
  const month = monthToDate(now);
  const [days, monthDays, planName] = await Promise.all([
    usage.days(tenantId, from, to),
    usage.days(tenantId, month.from, month.to),
    tenants.planOf(tenantId),
  ]);
  const total = monthDays.reduce((sum, d) => {
    for (const kind of Object.keys(sum) as Array<keyof typeof sum>) sum[kind] += d[kind];
    return sum;
  }, emptyCounts());
  const plan = PLANS[planName as PlanName] ?? PLANS.free;
  return {
    status: 200,
    body: {
      from,
      to,
      days: days.map(asOut),
      plan: {
        name: planName,
        monthlyMessages: plan.monthlyMessages,
        ratePerSecond: plan.ratePerSecond,
        burst: plan.burst,
      },
      monthToDate: asOut({ date: month.from, ...total }),
    },
  };
});
