/**
 * QuotaGuard from the metering counters and the tenant's plan. Month-to-date usage is read at
 * most every QUOTA_REFRESH_MS per tenant and counted up locally in between, so a busy tenant
 * costs one query per interval, not one per message. Metering is asynchronous (a usage event
 * reaches the counters seconds after its create), so a read never lowers what this process has
 * counted: what it admitted itself is never admitted twice. Creates in other processes (other
 * Lambda instances) meanwhile are seen once they are metered, so on AWS the quota holds to within
 * those few seconds' worth of a tenant's traffic. Messages whose write then fails are given back
 * (QuotaReservation.release), so a request that stored nothing takes nothing of the quota.
 */
import type { Clock } from '../clock';
import { planNamed } from '../plans';
import type { QuotaGuard, QuotaReservation, UsageLedger } from '../usage';
import { monthToDate, QuotaExceededError } from '../usage';
import type { TenantStore } from './ports';

const QUOTA_REFRESH_MS = 5_000;

interface QuotaState {
  month: string;
  counted: number;
  /** Added here since the counters were read. */
  since: number;
  /** What the counters showed when read (`counted` is at least this). */
  metered: number;
  readAt: number;
}

export class UsageQuotaGuard implements QuotaGuard {
  private readonly seen = new Map<string, QuotaState>();
  /** A read of a tenant's counters in flight: checks made meanwhile wait for it instead of reading again. */
  private readonly reading = new Map<string, Promise<QuotaState>>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly tenants: Pick<TenantStore, 'recentTenant'>,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  async assertWithin(tenantId: string, adding: number): Promise<QuotaReservation> {
    const plan = planNamed((await this.tenants.recentTenant(tenantId)).plan);
    const now = this.clock.now();
    const state = await this.stateOf(tenantId, now);
    // No await from here on: concurrent checks (a bulk redeliver's, a burst of creates) each see the
    // others' additions, so together they never pass the quota.
    const used = state.counted + state.since;
    if (used + adding > plan.monthlyMessages) {
      throw QuotaExceededError.monthly(plan.monthlyMessages, used, adding, now);
    }
    state.since += adding;
    let released = false;
    return {
      release: (stored = 0) => {
        if (released) return;
        released = true;
        const given = Math.max(0, adding - stored);
        const current = this.seen.get(tenantId);
        if (current === state) state.since -= given;
        // Read again since: what it counted went into `counted`, unless the counters showed more
        // (never below them). A new month's count starts afresh.
        else if (current?.month === state.month) current.counted = Math.max(current.counted - given, current.metered);
      },
    };
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
        const metered = days.reduce((sum, d) => sum + d.scheduled, 0);
        // The counters may not hold yet what this process admitted since its last read.
        const admitted = state && state.month === from ? state.counted + state.since : 0;
        const fresh = { month: from, counted: Math.max(metered, admitted), metered, since: 0, readAt: now };
        this.seen.set(tenantId, fresh);
        return fresh;
      })
      .finally(() => this.reading.delete(tenantId));
    this.reading.set(tenantId, read);
    return read;
  }
}
