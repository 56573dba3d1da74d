import { describe, expect, it } from 'vitest';
import { decideFault, DEFAULT_CHAOS_RATES, parseChaosSettings, seededRandom } from './fault-proxy';

describe('the fault layer settings (VIGIL_CHAOS)', () => {
  it('takes a seed alone, with the default rates on every service', () => {
    expect(parseChaosSettings('42')).toEqual({
      seed: 42,
      rates: DEFAULT_CHAOS_RATES,
      holdMs: 3_000,
      services: ['dynamodb', 'sqs', 'scheduler'],
    });
  });

  it('takes rates, the hold and the services after the seed', () => {
    const settings = parseChaosSettings('7:throttle=0.1,5xx=0.05,timeout=0,reset=0.2,hold=500,services=dynamodb+sqs');
    expect(settings).toEqual({
      seed: 7,
      rates: { throttle: 0.1, error5xx: 0.05, timeout: 0, reset: 0.2 },
      holdMs: 500,
      services: ['dynamodb', 'sqs'],
    });
  });

  it.each([
    ['x', /seed must be a non-negative integer/],
    ['1:throttle=2', /throttle is a probability/],
    ['1:latency=3', /unknown setting "latency"/],
    ['1:throttle=0.6,5xx=0.6', /add up to 1.2/],
    ['1:services=s3', /services must be among/],
  ])('refuses %s, saying why', (value, why) => {
    expect(() => parseChaosSettings(value)).toThrow(why);
  });
});

describe('the fault draw', () => {
  it('is the same sequence for the same seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 200 }, () => decideFault(DEFAULT_CHAOS_RATES, random));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });

  it('strikes at about the set rates, throttling always before the service sees the request', () => {
    const random = seededRandom(1);
    const rates = { throttle: 0.1, error5xx: 0.1, timeout: 0.1, reset: 0.1 };
    const draws = Array.from({ length: 20_000 }, () => decideFault(rates, random));
    for (const kind of ['throttle', 'error5xx', 'timeout', 'reset'] as const) {
      const share = draws.filter((d) => d.kind === kind).length / draws.length;
      expect(share).toBeGreaterThan(0.09);
      expect(share).toBeLessThan(0.11);
    }
    expect(draws.filter((d) => d.kind === 'throttle').every((d) => 'phase' in d && d.phase === 'before')).toBe(true);
    const after = draws.filter((d) => d.kind === 'reset' && d.phase === 'after').length;
    expect(after).toBeGreaterThan(800);
  });
});
