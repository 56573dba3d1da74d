/** The quota guard's arithmetic with an in-memory ledger: concurrent checks share one read of the counters. */
import { describe, expect, it } from 'vitest';
import type { Message, UsageDay, UsageLedger } from '../src';
import {
  countAgainstQuota,
  countMessagesAgainstQuota,
  FixedClock,
  MessageIn,
  PLANS,
  QuotaExceededError,
  redeliverMessage,
  scheduleBatch,
  scheduleMessage,
  usageDate,
  UsageQuotaGuard,
} from '../src';
import { MemoryMeter, memorySchedulingDeps } from './memory-ports';
import { MemoryLedger } from './memory-tenancy-ports';

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

describe("each plan's request allowance (API Gateway's usage-plan quota)", () => {
  it('leaves room to read: 100 requests or more per message allowed, and a console tab refreshing every 2 s all month', () => {
    const consoleMonth = ((31 * 86_400) / 2) * 2; // a refresh every 2 s, two API requests each
    for (const [name, plan] of Object.entries(PLANS)) {
      expect(plan.monthlyRequests, name).toBeGreaterThanOrEqual(100 * plan.monthlyMessages);
      expect(plan.monthlyRequests, name).toBeGreaterThan(consoleMonth);
    }
  });
});

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

  it('counts each message in the month it was created in, all or none (a retry finishing a request begun before midnight)', async () => {
    // Prepare: November has one left, December two
    const ledger = new MemoryLedger();
    ledger.add('tnt_a', {
      date: '2026-11-30',
      scheduled: PLANS.free.monthlyMessages - 1,
      delivered: 0,
      failed: 0,
      attempt: 0,
    });
    ledger.add('tnt_a', {
      date: '2026-12-01',
      scheduled: PLANS.free.monthlyMessages - 2,
      delivered: 0,
      failed: 0,
      attempt: 0,
    });
    const guard = new UsageQuotaGuard(
      ledger,
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => Date.parse('2026-12-01T00:00:05Z') },
    );
    const november = { createdAt: Date.parse('2026-11-30T23:59:59.900Z') };
    const december = { createdAt: Date.parse('2026-12-01T00:00:04Z') };

    // Act and assess: three of December's are refused, and what November counted first is given back
    await expect(countMessagesAgainstQuota(guard, 'tnt_a', [november, december, december, december])).rejects.toThrow(
      QuotaExceededError,
    );
    const counted = await countMessagesAgainstQuota(guard, 'tnt_a', [december, november, december]);
    await expect(countAgainstQuota(guard, 'tnt_a', 1, november.createdAt)).rejects.toThrow(QuotaExceededError);
    await expect(countAgainstQuota(guard, 'tnt_a', 1, december.createdAt)).rejects.toThrow(QuotaExceededError);
    // One stored all the same (the earliest month's first): the rest given back, once
    counted.release(1);
    counted.release();
    await expect(countAgainstQuota(guard, 'tnt_a', 1, november.createdAt)).rejects.toThrow(QuotaExceededError);
    await countAgainstQuota(guard, 'tnt_a', 2, december.createdAt);
  });

  it('counts nothing, and has nothing to give back, where the home has no quota', async () => {
    const counted = await countAgainstQuota(undefined, 'tnt_a', 1_000_000);
    expect(() => counted.release()).not.toThrow();
  });
});

describe('the quota at the turn of a month', () => {
  const LAST_TENTH = Date.parse('2026-11-30T23:59:59.900Z');
  const AFTER_MIDNIGHT = Date.parse('2026-12-01T00:00:00.050Z');
  const day = (date: string, scheduled: number): UsageDay => ({ date, scheduled, delivered: 0, failed: 0, attempt: 0 });

  /**
   * A free tenant whose November shows `november` scheduled, the clock at 23:59:59.9 on its last day;
   * the check's read of the tenant takes until 50 ms past midnight (`slowRead`).
   */
  const setup = (november: number) => {
    const clock = new FixedClock(LAST_TENTH);
    const ledger = new MemoryLedger();
    ledger.add('tnt_a', day('2026-11-30', november));
    let slowRead = false;
    const tenants = {
      recentTenant: async () => {
        if (slowRead) clock.set(Math.max(clock.now(), AFTER_MIDNIGHT));
        return { plan: 'free' } as never;
      },
    };
    const meter = new MemoryMeter();
    const deps = memorySchedulingDeps(clock, { quota: new UsageQuotaGuard(ledger, tenants, clock), meter });
    return { clock, deps, meter, slowRead: () => (slowRead = true) };
  };
  const input = MessageIn.parse({ url: 'https://example.com/hook', delay: 3_600 });

  it('counts a create made at 23:59:59.9 and checked after midnight in the month it was made, where it is metered', async () => {
    // Prepare: November is used up; the create is stamped in it, its check runs in December
    const { deps, meter, slowRead } = setup(PLANS.free.monthlyMessages);
    slowRead();

    // Act
    const refused = await scheduleMessage(deps, 'tnt_a', input).catch((error: unknown) => error);

    // Assess: refused for November (its message would be November's 10,001st), renewed a second on; nothing stored
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect((refused as QuotaExceededError).headers).toMatchObject({ 'ratelimit-remaining': '0', 'retry-after': '1' });
    expect(deps.store.messages.size).toBe(0);
    expect(meter.counts().scheduled).toBe(0);
    // A create made now, in December, is December's
    const { message } = await scheduleMessage(deps, 'tnt_a', input);
    expect(usageDate(message.createdAt)).toBe('2026-12-01');
    expect(meter.recorded.map((r) => usageDate(r.event.at))).toEqual(['2026-12-01']);
  });

  it("counts the last of a month's quota there, and a batch stamped in it all or nothing, after midnight too", async () => {
    const { clock, deps, meter, slowRead } = setup(PLANS.free.monthlyMessages - 2);
    slowRead();
    await expect(scheduleBatch(deps, 'tnt_a', [input, input, input])).rejects.toThrow(
      /This request makes 3 messages, and 2 of this month's quota of 10000 are left/,
    );
    expect(deps.store.messages.size).toBe(0);
    // November's last two, stamped in it (a clock set back: as a request that began before midnight)
    clock.set(LAST_TENTH);
    const { messages } = await scheduleBatch(deps, 'tnt_a', [input, input]);
    clock.set(LAST_TENTH);
    await expect(scheduleMessage(deps, 'tnt_a', input)).rejects.toThrow(/is used up \(10000 scheduled\)/);
    expect(messages.map((m) => usageDate(m.createdAt))).toEqual(['2026-11-30', '2026-11-30']);
    expect(meter.recorded.map((r) => usageDate(r.event.at))).toEqual(['2026-11-30', '2026-11-30']);
  });

  it('counts a redeliver checked at 23:59:59.9 and written after midnight in the month it was counted in', async () => {
    // Prepare: a message delivered in November, one of November's quota left
    const { clock, deps, meter, slowRead } = setup(PLANS.free.monthlyMessages - 2);
    const { message } = await scheduleMessage(deps, 'tnt_a', MessageIn.parse({ url: 'https://e.com/h', delay: 0 }));
    const current = deps.store.messages.get(message.id) as Message;
    await deps.store.save({ ...current, status: 'delivered', version: current.version + 1 }, current.version);
    // The write of the redeliver comes after midnight
    const save = deps.store.save.bind(deps.store);
    deps.store.save = (next, expected) => {
      clock.set(Math.max(clock.now(), AFTER_MIDNIGHT));
      return save(next, expected);
    };

    // Act
    const redelivered = await redeliverMessage(deps, 'tnt_a', message.id);

    // Assess: its round begins at the instant it was counted at, so it is metered in November, where
    // it took the month's last message (a create stamped in November is refused)
    expect(usageDate(redelivered.roundAt as number)).toBe('2026-11-30');
    expect(meter.recorded.map((r) => [r.event.id, usageDate(r.event.at)])).toEqual([
      [`sch_${message.id}_0`, '2026-11-30'],
      [`sch_${message.id}_1`, '2026-11-30'],
    ]);
    slowRead();
    clock.set(LAST_TENTH);
    await expect(scheduleMessage(deps, 'tnt_a', input)).rejects.toThrow(/is used up/);
  });

  it('starts the new month afresh for a check that joins a read of the month before still in flight', async () => {
    // Prepare: November used up; its counters answer when told
    let now = LAST_TENTH;
    const reads: string[] = [];
    let answerNovember = () => {};
    const ledger = {
      fold: async () => ({ counted: 0, duplicates: 0 }),
      days: async (_tenantId: string, from: string): Promise<UsageDay[]> => {
        reads.push(from);
        if (from !== '2026-11-01') return [];
        await new Promise<void>((r) => (answerNovember = r));
        return [day('2026-11-30', PLANS.free.monthlyMessages)];
      },
    } satisfies UsageLedger;
    const guard = new UsageQuotaGuard(
      ledger,
      { recentTenant: async () => ({ plan: 'free' }) as never },
      { now: () => now },
    );

    // Act: a check at 23:59:59.9 reads November; one at midnight arrives while that read is in flight
    const november = guard.assertWithin('tnt_a', 1);
    while (reads.length === 0) await new Promise((r) => setImmediate(r));
    now = AFTER_MIDNIGHT;
    const december = guard.assertWithin('tnt_a', 1);
    await new Promise((r) => setImmediate(r));
    answerNovember();

    // Assess: November refuses, December counts from its own (empty) counters
    await expect(november).rejects.toThrow(QuotaExceededError);
    await expect(december).resolves.toBeDefined();
    expect(reads).toEqual(['2026-11-01', '2026-12-01']);
  });
});
