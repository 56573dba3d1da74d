import { describe, expect, it } from 'vitest';
import { flowLimiterLoad } from './flow-limiter-load';

describe("a flow key's limiter item", () => {
  it('takes one small write per start under a rate, at most the rate', () => {
    const load = flowLimiterLoad({ sendsPerSecond: 10_000, ratePerSecond: 500, requestMs: 200 });
    expect(load).toMatchObject({ sendsPerSecond: 500, leasesHeld: 0, writesPerSecond: 500, writeUnitsPerSecond: 500 });
    expect(load.itemBytes).toBeLessThan(1024);
  });

  it('takes two writes per send under parallelism, each on an item that grows with the leases held', () => {
    // 10 leases for 200 ms: 50 sends/s, a small item.
    expect(flowLimiterLoad({ sendsPerSecond: 10_000, parallelism: 10, requestMs: 200 })).toMatchObject({
      sendsPerSecond: 50,
      leasesHeld: 10,
      writesPerSecond: 100,
      writeUnitsPerSecond: 100,
    });
    // 100 leases: 500 sends/s and an item of several KB, so each write costs several units.
    const hundred = flowLimiterLoad({ sendsPerSecond: 10_000, parallelism: 100, requestMs: 200 });
    expect(hundred).toMatchObject({ sendsPerSecond: 500, leasesHeld: 100, writesPerSecond: 1_000 });
    expect(hundred.writeUnitsPerSecond).toBe(1_000 * Math.ceil(hundred.itemBytes / 1024));
    expect(hundred.writeUnitsPerSecond).toBeGreaterThan(1_000);
  });

  it('holds only the leases the traffic needs (Little’s law)', () => {
    expect(flowLimiterLoad({ sendsPerSecond: 100, parallelism: 1_000, requestMs: 200 }).leasesHeld).toBe(20);
  });
});
