import { describe, expect, it } from 'vitest';
import { QuotaExceededError, rateLimitHeaders, secondsToNextMonth } from '../src';
import { utcMonthStart } from '../src/shared/utc-months';

describe('the headers of a 429', () => {
  it('carry RateLimit-Limit, -Remaining and -Reset, and Retry-After the same as the reset', () => {
    expect(rateLimitHeaders({ limit: 20, remaining: 0, resetSeconds: 1 })).toEqual({
      'ratelimit-limit': '20',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '1',
      'retry-after': '1',
    });
  });

  it('never say less than nothing remains', () => {
    expect(rateLimitHeaders({ limit: 10, remaining: -3, resetSeconds: 5 })['ratelimit-remaining']).toBe('0');
  });
});

describe('the monthly quota', () => {
  it('renews at the first instant of the next UTC month', () => {
    expect(secondsToNextMonth(Date.parse('2026-11-30T23:59:00Z'))).toBe(60);
    expect(secondsToNextMonth(Date.parse('2026-12-31T23:59:59.500Z'))).toBe(1);
    expect(secondsToNextMonth(Date.parse('2026-02-01T00:00:00Z'))).toBe(28 * 86_400);
    // December into January of the next year, a leap February, and the last tenth of a second
    expect(secondsToNextMonth(Date.parse('2026-12-01T00:00:00Z'))).toBe(31 * 86_400);
    expect(secondsToNextMonth(Date.parse('2028-02-01T00:00:00Z'))).toBe(29 * 86_400);
    expect(secondsToNextMonth(Date.parse('2028-02-28T23:59:59Z'))).toBe(86_401);
    expect(secondsToNextMonth(Date.parse('2028-02-29T23:59:59.900Z'))).toBe(1);
    expect(secondsToNextMonth(Date.parse('2100-02-28T00:00:00Z'))).toBe(86_400);
  });

  it('renews for the console at the first instant of a UTC month, whatever the zone an instant is written in', () => {
    // The month an instant is in, and (months 1) the next: December into January, a leap February.
    expect(utcMonthStart(Date.parse('2026-12-07T23:45:00Z'))).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(utcMonthStart(Date.parse('2026-12-01T00:00:00Z'))).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(utcMonthStart(Date.parse('2026-12-31T23:59:59.999Z'), 1)).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(utcMonthStart(Date.parse('2028-02-29T12:00:00Z'), 1)).toBe(Date.parse('2028-03-01T00:00:00Z'));
    // Half past midnight on the 1st in Paris is still the 30th in UTC: the quota renews on the 1st, UTC.
    expect(utcMonthStart(Date.parse('2026-12-01T00:30:00+01:00'), 1)).toBe(Date.parse('2026-12-01T00:00:00Z'));
  });

  it("answers quota-exceeded with the plan's allowance, what is left and when it renews", () => {
    const error = QuotaExceededError.monthly(10_000, 9_998, 5, Date.parse('2026-11-30T00:00:00Z'));

    expect(error.status).toBe(429);
    // Two are left: the request is refused for wanting five, not told that none is left.
    expect(error.message).toBe(
      "This request makes 5 messages, and 2 of this month's quota of 10000 are left (9998 scheduled): send at most 2 now, the rest once it renews on the 1st (UTC).",
    );
    expect(QuotaExceededError.monthly(10_000, 10_000, 1, 0).message).toBe(
      "This month's quota of 10000 messages is used up (10000 scheduled); it renews on the 1st (UTC).",
    );
    expect(error.headers).toEqual({
      'ratelimit-limit': '10000',
      'ratelimit-remaining': '2',
      'ratelimit-reset': '86400',
      'retry-after': '86400',
    });
  });
});
