/**
 * The local gateway's stand-in for API Gateway usage plans: a token bucket per tenant, sized by
 * the tenant's plan (PLANS in libs/core), so the local stack throttles like a deployed stage.
 */
import type { Plan } from '@vigil/core';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class TenantRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  take(tenantId: string, plan: Plan): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(tenantId) ?? { tokens: plan.burst, at: now };
    const tokens = Math.min(plan.burst, bucket.tokens + ((now - bucket.at) / 1000) * plan.ratePerSecond);
    if (tokens < 1) {
      this.buckets.set(tenantId, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / plan.ratePerSecond)) };
    }
    this.buckets.set(tenantId, { tokens: tokens - 1, at: now });
    return { allowed: true };
  }
}
