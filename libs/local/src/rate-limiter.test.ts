import { PLANS } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { TenantRateLimiter } from './rate-limiter';

describe('TenantRateLimiter', () => {
  it("lets a tenant's burst through at once, then refuses with a Retry-After, then refills at the plan's rate", () => {
    let now = 0;
    const limiter = new TenantRateLimiter(() => now);
    const allowed = Array.from({ length: 25 }, () => limiter.take('tnt_a', PLANS.free).allowed);
    expect(allowed.filter(Boolean)).toHaveLength(PLANS.free.burst);
    expect(limiter.take('tnt_a', PLANS.free)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    const refilled = Array.from({ length: 12 }, () => limiter.take('tnt_a', PLANS.free).allowed);
    expect(refilled.filter(Boolean)).toHaveLength(PLANS.free.ratePerSecond);
  });

  it('keeps tenants apart: one tenant spending its burst does not slow another', () => {
    const limiter = new TenantRateLimiter(() => 0);
    for (let i = 0; i < 30; i += 1) limiter.take('tnt_a', PLANS.free);
    expect(limiter.take('tnt_b', PLANS.free).allowed).toBe(true);
  });
});
