/**
 * QuotaGuard from the metering counters and the tenant's plan. Month-to-date usage is read at
 * most every QUOTA_REFRESH_MS per tenant and counted up locally in between, so a busy tenant
 * costs one query per interval, not one per message. Metering is asynchronous, so the quota is
 * enforced to within a few seconds' worth of traffic.
 */
import type { QuotaGuard, TenantStore, UsageLedger } from '@vigil/core';
import { monthToDate, planNamed, QuotaExceededError } from '@vigil/core';

const QUOTA_REFRESH_MS = 5_000;

interface QuotaState {
  month: string;
  counted: number;
  /** Added here since the counters were read. */
  since: number;
  readAt: number;
}

export class UsageQuotaGuard implements QuotaGuard {
  private readonly seen = new Map<string, QuotaState>();
  /** A read of a tenant's counters in flight: checks made meanwhile wait for it instead of reading again. */
  private readonly reading = new Map<string, Promise<QuotaState>>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly tenants: Pick<TenantStore, 'recentTenant'>,
    private readonly now: () => number = Date.now,
  ) {}

  async assertWithin(tenantId: string, adding: number): Promise<void> {
    const plan = planNamed((await this.tenants.recentTenant(tenantId)).plan);
    const now = this.now();
    const state = await this.stateOf(tenantId, now);
    // No await from here on: concurrent checks (a bulk redeliver's, a burst of creates) each see the
    // others' additions, so together they never pass the quota.
    const used = state.counted + state.since;
    if (used + adding > plan.monthlyMessages) {
      throw QuotaExceededError.monthly(plan.monthlyMessages, used, now);
    }
    state.since += adding;
  }

  private stateOf(tenantId: string, now: number): Promise<QuotaState> | QuotaState {
    const { from, to } = monthToDate(now);
    const state = this.seen.get(tenantId);
    if (state && state.month === from && now - state.readAt <= QUOTA_REFRESH_MS) return state;
    const inFlight = this.reading.get(tenantId);
    if (inFlight) return inFlight;
    const read = this.ledger
      .days(tenantId, from, to)
      .then((days) => {
        const fresh = { month: from, counted: days.reduce((sum, d) => sum + d.scheduled, 0), since: 0, readAt: now };
        this.seen.set(tenantId, fresh);
        return fresh;
      })
      .finally(() => this.reading.delete(tenantId));
    this.reading.set(tenantId, read);
    return read;
  }
}
