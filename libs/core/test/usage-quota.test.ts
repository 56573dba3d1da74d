/** The quota guard's arithmetic with an in-memory ledger: concurrent checks share one read of the counters. */
import { describe, expect, it } from 'vitest';
import type { UsageDay, UsageLedger } from '../src';
import { countAgainstQuota, PLANS, QuotaExceededError, UsageQuotaGuard } from '../src';

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
    const guard = new UsageQuotaGuard(
      ledger,
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => NOW },
    );
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => guard.assertWithin('tnt_a', 1)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(QuotaExceededError);
    }
    expect(ledger.reads).toBe(1);
  });

  it('never forgets what it admitted when it reads counters that do not hold it yet (metering lags)', async () => {
    const ledger = ledgerShowing(PLANS.free.monthlyMessages - 100);
    let now = NOW;
    const guard = new UsageQuotaGuard(
      ledger,
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => now },
    );
    await guard.assertWithin('tnt_a', 60);
    // A refresh later the counters still show the month before those 60 (their usage events are on the way).
    now += 60_000;
    await expect(guard.assertWithin('tnt_a', 60)).rejects.toThrow(/40 of this month's quota of 10000 are left/);
    await guard.assertWithin('tnt_a', 40);
    await expect(guard.assertWithin('tnt_a', 1)).rejects.toThrow(/is used up/);
    expect(ledger.reads).toBe(2);
  });

  it('starts a new month from the counters alone', async () => {
    const ledger = ledgerShowing(0);
    let now = Date.parse('2026-11-30T23:59:59Z');
    const guard = new UsageQuotaGuard(
      ledger,
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => now },
    );
    await guard.assertWithin('tnt_a', PLANS.free.monthlyMessages);
    now = Date.parse('2026-12-01T00:00:01Z');
    await guard.assertWithin('tnt_a', PLANS.free.monthlyMessages);
  });

  it('gives back what a failed write counted, once, before and after the counters are read again', async () => {
    const ledger = ledgerShowing(PLANS.free.monthlyMessages - 100);
    let now = NOW;
    const guard = new UsageQuotaGuard(
      ledger,
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => now },
    );
    const failed = await guard.assertWithin('tnt_a', 100);
    await expect(guard.assertWithin('tnt_a', 1)).rejects.toThrow(QuotaExceededError);
    failed.release();
    failed.release();
    await guard.assertWithin('tnt_a', 60);
    await expect(guard.assertWithin('tnt_a', 41)).rejects.toThrow(QuotaExceededError);

    // A refresh later (the counters do not hold the 60 yet), a failure counted before it is given back.
    const late = await guard.assertWithin('tnt_a', 40);
    now += 10_000;
    await expect(guard.assertWithin('tnt_a', 1)).rejects.toThrow(QuotaExceededError);
    late.release();
    await guard.assertWithin('tnt_a', 40);
    await expect(guard.assertWithin('tnt_a', 1)).rejects.toThrow(QuotaExceededError);
  });

  it('keeps counted what a failed write left stored all the same (a rollback kept it), giving back the rest once', async () => {
    const guard = new UsageQuotaGuard(
      ledgerShowing(PLANS.free.monthlyMessages - 10),
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => NOW },
    );
    const failed = await guard.assertWithin('tnt_a', 5);
    failed.release(2);
    failed.release();
    await guard.assertWithin('tnt_a', 8);
    await expect(guard.assertWithin('tnt_a', 1)).rejects.toThrow(QuotaExceededError);
  });
});

describe('counting new messages against the quota', () => {
  it('counts them with the guard where there is one, refuses past it, and gives back a failed write once', async () => {
    // Prepare: 3 messages of the free plan's month are left
    const guard = new UsageQuotaGuard(
      ledgerShowing(PLANS.free.monthlyMessages - 3),
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => NOW },
    );

    // Act
    const counted = await countAgainstQuota(guard, 'tnt_a', 3);

    // Assess: the 3 are taken until given back
    await expect(countAgainstQuota(guard, 'tnt_a', 1)).rejects.toThrow(QuotaExceededError);
    counted.release();
    await countAgainstQuota(guard, 'tnt_a', 3);
  });

  it('counts nothing, and has nothing to give back, where the home has no quota', async () => {
    const counted = await countAgainstQuota(undefined, 'tnt_a', 1_000_000);
    expect(() => counted.release()).not.toThrow();
  });
});
