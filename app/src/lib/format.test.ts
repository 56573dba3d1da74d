import { describe, expect, it } from 'vitest';
import {
  duration,
  everyDay,
  failureReasonText,
  isLocalApi,
  localTimeText,
  maskedHeaderValue,
  percentile,
  prettyBody,
  quickstartCurl,
  relativeTime,
  wallTimeIn,
} from './format';

describe('web app formatting', () => {
  it('says times relative to now', () => {
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    expect(relativeTime('2026-11-23T12:00:05.000Z', now)).toBe('in 5 seconds');
    expect(relativeTime('2026-11-23T11:57:00.000Z', now)).toBe('3 minutes ago');
    expect(relativeTime('2026-11-23T12:00:00.400Z', now)).toBe('now');
  });

  it("shows an instant as a wall time in a zone, by the zone's rules, keeping milliseconds", () => {
    // Just after Berlin sprang forward (2026-03-29, 02:00 CET -> 03:00 CEST): 01:30Z is 03:30 there.
    expect(wallTimeIn('2026-03-29T01:30:00.000Z', 'Europe/Berlin')).toBe('2026-03-29T03:30:00');
    expect(wallTimeIn('2026-03-29T00:59:59.999Z', 'Europe/Berlin')).toBe('2026-03-29T01:59:59.999');
    // Both instants of New York's repeated hour (2026-11-01) read 01:30 there.
    expect(wallTimeIn('2026-11-01T05:30:00.000Z', 'America/New_York')).toBe('2026-11-01T01:30:00');
    expect(wallTimeIn('2026-11-01T06:30:00.000Z', 'America/New_York')).toBe('2026-11-01T01:30:00');
    expect(wallTimeIn('2026-12-31T23:00:00.250Z', 'Asia/Kolkata')).toBe('2027-01-01T04:30:00.250');
    expect(wallTimeIn('2026-06-01T00:00:00.000Z', 'UTC')).toBe('2026-06-01T00:00:00');
  });

  it('reads a local send time with its zone and offset', () => {
    expect(localTimeText('2026-03-29T03:30:00.000+02:00', 'Europe/Berlin')).toBe(
      '2026-03-29 03:30:00.000 Europe/Berlin (UTC+02:00)',
    );
  });

  it('masks header values that look like credentials, and only those', () => {
    expect(maskedHeaderValue('Authorization', 'Bearer abcdefghijklmnop')).toBe('Bear••••••••op');
    expect(maskedHeaderValue('x-api-key', 'short')).toBe('••••••••');
    expect(maskedHeaderValue('content-type', 'application/json')).toBe('application/json');
  });

  it('pretty-prints JSON bodies, also JSON held in a string, and leaves other text alone', () => {
    expect(prettyBody({ a: 1 })).toEqual({ text: '{\n  "a": 1\n}', json: true });
    expect(prettyBody('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', json: true });
    expect(prettyBody('plain text')).toEqual({ text: 'plain text', json: false });
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
  });

  it('formats durations', () => {
    expect(duration(12)).toBe('12 ms');
    expect(duration(1400)).toBe('1.40 s');
    expect(duration(180_000)).toBe('3.0 min');
  });

  it('fills the days the API leaves out with zeros', () => {
    const days = everyDay('2026-11-21', '2026-11-23', [{ date: '2026-11-22', n: 4 }], (date) => ({ date, n: 0 }));
    expect(days).toEqual([
      { date: '2026-11-21', n: 0 },
      { date: '2026-11-22', n: 4 },
      { date: '2026-11-23', n: 0 },
    ]);
  });

  it('writes a quickstart command that targets a local receiver when the API is local', () => {
    expect(isLocalApi('http://127.0.0.1:4000')).toBe(true);
    expect(isLocalApi('https://abc.execute-api.eu-west-1.amazonaws.com/prod')).toBe(false);
    expect(quickstartCurl('http://127.0.0.1:4000', 'vgl_abc')).toContain('"url":"http://127.0.0.1:9000/hook"');
    expect(quickstartCurl('https://api.example.com', 'vgl_abc')).toContain('Authorization: Bearer vgl_abc');
  });

  it("says why a message failed, in words, with Vigil's detail", () => {
    const detail = 'Taken for delivery 5 times without an attempt being recorded; not sent again.';
    expect(failureReasonText({ code: 'poison', detail })).toEqual({
      title: 'Vigil could not deliver this message and stopped trying',
      detail,
    });
    expect(failureReasonText({ code: 'record-failed', detail: 'x' }).title).toMatch(/could not be recorded/);
  });
});
