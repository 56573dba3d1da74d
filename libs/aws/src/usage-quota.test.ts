/** The quota guard's arithmetic with an in-memory ledger: concurrent checks share one read of the counters. */
import type { UsageDay, UsageLedger } from '@vigil/core';
import { PLANS, QuotaExceededError } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { UsageQuotaGuard } from './usage-quota';

const NOW = Date.parse('2026-12-02T10:00:00Z');

/** A ledger whose month so far shows `scheduled`, answering each read after a tick; counts its reads. */
const ledgerShowing = (scheduled: number) => {
  const ledger = {
    reads: 0,
    fold: async () => ({ counted: 0, duplicates: 0 }),
    days: async (): Promise<UsageDay[]> => {
      ledger.reads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return [{ date: '2026-12-02', scheduled, delivered: 0, failed: 0, attempt: 0 }];
    },
  };
  return ledger satisfies UsageLedger;
};

describe('the quota guard', () => {
  it('lets exactly what is left through when many checks of one tenant arrive at once', async () => {
    const ledger = ledgerShowing(PLANS.free.monthlyMessages - 4);
    const guard = new UsageQuotaGuard(ledger, { recentTenant: async () => ({ plan: 'free' }) as never }, () => NOW);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => guard.assertWithin('tnt_a', 1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
    }
    expect(ledger.reads).toBe(1);
  });
});
