/**
 * QuotaGuard from the metering counters and the tenant's plan. Month-to-date usage is read at
 * most every QUOTA_REFRESH_MS per tenant and counted up locally in between, so a busy tenant
 * costs one query per interval, not one per message. Metering is asynchronous (a usage event
 * reaches the counters seconds after its create), so a read never lowers what this process has
 * counted: what it admitted itself is never admitted twice. Creates in other processes (other
 * Lambda instances) meanwhile are seen once they are metered, so on AWS the quota holds to within
 * those few seconds' worth of a tenant's traffic. Messages whose write then fails are given back
 * (QuotaReservation.release), so a request that stored nothing takes nothing of the quota.
 *
 * Each check counts in the month of its messages' `scheduled` event (`at`: a create's `createdAt`,
 * a redeliver's `roundAt`), not of the moment the check runs: a create stamped at 23:59:59.9 on the
 * last day of a month and checked just after midnight is metered in the month it was stamped, so it
 * is counted there, against that month's allowance. The guard keeps a tenant's two latest months.
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

/** Months a tenant's counts are kept for: the current one, and the one before for a check stamped just before the turn. */
const MONTHS_KEPT = 2;

export class UsageQuotaGuard implements QuotaGuard {
  /** Per tenant, per month (its first day, YYYY-MM-01). */
  private readonly seen = new Map<string, Map<string, QuotaState>>();
  /** A read of a tenant's month in flight (by `<tenant> <month>`): checks made meanwhile wait for it instead of reading again. */
  private readonly reading = new Map<string, Promise<QuotaState>>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly tenants: Pick<TenantStore, 'recentTenant'>,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  async assertWithin(tenantId: string, adding: number, at?: number): Promise<QuotaReservation> {
    const plan = planNamed((await this.tenants.recentTenant(tenantId)).plan);
    const now = this.clock.now();
    const stamped = at ?? now;
    const state = await this.stateOf(tenantId, stamped, now);
    // No await from here on: concurrent checks (a bulk redeliver's, a burst of creates) each see the
    // others' additions, so together they never pass the quota.
    const used = state.counted + state.since;
    if (used + adding > plan.monthlyMessages) {
      throw QuotaExceededError.monthly(plan.monthlyMessages, used, adding, stamped);
    }
    state.since += adding;
    let released = false;
    return {
      release: (stored = 0) => {
        if (released) return;
        released = true;
        const given = Math.max(0, adding - stored);
        const current = this.seen.get(tenantId)?.get(state.month);
        if (current === state) state.since -= given;
        // Read again since: what it counted went into `counted`, unless the counters showed more
        // (never below them). A month no longer kept is not counted here any more.
        else if (current) current.counted = Math.max(current.counted - given, current.metered);
      },
    };
  }

  /** The tenant's counts for the month of `stamped`, read again when older than QUOTA_REFRESH_MS at `now`. */
  private stateOf(tenantId: string, stamped: number, now: number): Promise<QuotaState> | QuotaState {
    const { from, to } = monthToDate(stamped);
    const state = this.seen.get(tenantId)?.get(from);
    if (state && now - state.readAt <= QUOTA_REFRESH_MS) return state;
    const key = `${tenantId} ${from}`;
    const inFlight = this.reading.get(key);
    if (inFlight) return inFlight;
    const read = this.ledger
      .days(tenantId, from, to)
      .then((days) => {
        const metered = days.reduce((sum, d) => sum + d.scheduled, 0);
        // The counters may not hold yet what this process admitted since its last read.
        const known = this.seen.get(tenantId)?.get(from);
        const admitted = known ? known.counted + known.since : 0;
        const fresh = { month: from, counted: Math.max(metered, admitted), metered, since: 0, readAt: now };
        this.keep(tenantId, fresh);
        return fresh;
      })
      .finally(() => this.reading.delete(key));
    this.reading.set(key, read);
    return read;
  }

  private keep(tenantId: string, state: QuotaState): void {
    const months = this.seen.get(tenantId) ?? new Map<string, QuotaState>();
    this.seen.set(tenantId, months);
    months.set(state.month, state);
    while (months.size > MONTHS_KEPT) months.delete([...months.keys()].sort()[0] as string);
  }
}
