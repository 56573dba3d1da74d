/**
 * What each plan allows. One typed table serves the local gateway's rate limiter and the
 * deployment's API Gateway usage plans (infra), so the two homes enforce the same limits.
 */
export interface Plan {
  /** Steady request rate per tenant (token bucket refill), requests per second. */
  ratePerSecond: number;
  /** Requests a tenant may make at once before the rate applies (token bucket size). */
  burst: number;
  /** Messages a tenant may schedule per calendar month (UTC). */
  monthlyMessages: number;
  /**
   * Requests a tenant may make per calendar month (UTC), every authenticated route counted and a
   * batch as one: API Gateway's usage-plan quota when deployed, a bound on what one tenant's
   * requests can cost (API Gateway bills each). Far above what its messages need, so that reading
   * (statuses, lists, the console's refreshes) never uses up the month before the message quota does.
   */
  monthlyRequests: number;
  /**
   * Days a message in a final state (delivered, failed, cancelled) is kept, with its attempts,
   * after it got there; then it expires (retention.ts). A message still waiting never expires.
   */
  retentionDays: number;
}

export const PLANS = {
  free: { ratePerSecond: 10, burst: 20, monthlyMessages: 10_000, monthlyRequests: 5_000_000, retentionDays: 7 },
  pro: { ratePerSecond: 100, burst: 200, monthlyMessages: 1_000_000, monthlyRequests: 500_000_000, retentionDays: 30 },
} as const satisfies Record<string, Plan>;

export type PlanName = keyof typeof PLANS;

export const PLAN_NAMES = Object.keys(PLANS) as PlanName[];

/** The plan a tenant's plan name stands for; an unknown (or missing) name gets the free plan's limits. */
export const planNamed = (name: string | undefined): Plan =>
  name !== undefined && Object.hasOwn(PLANS, name) ? PLANS[name as PlanName] : PLANS.free;
