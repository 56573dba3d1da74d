/**
 * QuotaGuard from the metering counters and the tenant's plan. Month-to-date usage is read at
 * most every QUOTA_REFRESH_MS per tenant and counted up locally in between, so a busy tenant
 * costs one query per interval, not one per message. Metering is asynchronous, so the quota is
 * enforced to within a few seconds' worth of traffic.
 */
import type { QuotaGuard, TenantStore, UsageLedger } from '@vigil/core';
import { monthToDate, planNamed, QuotaExceededError } from '@vigil/core';

const QUOTA_REFRESH_MS = 5_000;

export class UsageQuotaGuard implements QuotaGuard {
  private readonly seen = new Map<string, { month: string; counted: number; since: number; readAt: number }>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly tenants: Pick<TenantStore, 'recentTenant'>,
    private readonly now: () => number = Date.now,
  ) {}

  async assertWithin(tenantId: string, adding: number): Promise<void> {
    const now = this.now();
    const { from, to } = monthToDate(now);
    let state = this.seen.get(tenantId);
    if (!state || state.month !== from || now - state.readAt > QUOTA_REFRESH_MS) {
      const days = await this.ledger.days(tenantId, from, to);
      state = { month: from, counted: days.reduce((sum, d) => sum + d.scheduled, 0), since: 0, readAt: now };
      this.seen.set(tenantId, state);
    }
    const plan = planNamed((await this.tenants.recentTenant(tenantId)).plan);
    const used = state.counted + state.since;
    if (used + adding > plan.monthlyMessages) {
      throw QuotaExceededError.monthly(plan.monthlyMessages, used, now);
    }
    state.since += adding;
  }
}
