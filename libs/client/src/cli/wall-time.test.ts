import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTimeZone, modernZoneName, parseFilterInstant, parseSendTime, systemTimeZone } from './wall-time';

const berlin = () => 'Europe/Berlin';

describe('--at and --tz', () => {
  it('sends a wall time with its zone, for the API to resolve', () => {
    expect(parseSendTime('2026-12-24T09:00', 'America/New_York')).toEqual({
      sendAt: '2026-12-24T09:00:00',
      timezone: 'America/New_York',
    });
    expect(parseSendTime('2026-03-29 02:30:15.250', 'Europe/Berlin')).toEqual({
      sendAt: '2026-03-29T02:30:15.250',
      timezone: 'Europe/Berlin',
    });
  });

  it("reads a wall time without --tz in this machine's zone", () => {
    expect(parseSendTime('2026-12-24T09:00', undefined, berlin)).toEqual({
      sendAt: '2026-12-24T09:00:00',
      timezone: 'Europe/Berlin',
    });
  });

  it('sends an instant with Z or an offset as it is', () => {
    expect(parseSendTime('2026-12-24T08:00:00Z', undefined)).toEqual({ sendAt: '2026-12-24T08:00:00Z' });
    expect(parseSendTime('2026-12-24T09:00+0100', undefined)).toEqual({ sendAt: '2026-12-24T09:00:00+01:00' });
  });

  it('takes any digits past the second, as the API does, and sends them for it to read (never early)', () => {
    expect(parseSendTime('2026-12-24T09:00:00.123456789', 'UTC')).toEqual({
      sendAt: '2026-12-24T09:00:00.123456789',
      timezone: 'UTC',
    });
    const nines = `59.${'9'.repeat(20)}`;
    expect(parseSendTime(`2026-12-24T08:59:${nines}Z`, undefined)).toEqual({ sendAt: `2026-12-24T08:59:${nines}Z` });
  });

  it('refuses an offset together with --tz, as the two could disagree', () => {
    expect(parseSendTime('2026-12-24T09:00Z', 'Europe/Berlin')).toEqual({
      error: expect.stringContaining('drop --tz'),
    });
  });

  it('names an unknown zone and a time that is not one', () => {
    expect(parseSendTime('2026-12-24T09:00', 'Mars/Olympus')).toEqual({
      error: expect.stringContaining('"Mars/Olympus" is not a time zone'),
    });
    expect(parseSendTime('tomorrow', undefined)).toHaveProperty('error');
    expect(parseSendTime('2026-13-45T09:00', 'UTC')).toHaveProperty('error');
  });

  it('names the flag of what is wrong: the unknown zone after --tz, the time after --at', () => {
    expect(parseSendTime('2026-12-24T09:00', 'Mars/Base')).toEqual({
      error: '--tz "Mars/Base" is not a time zone: give an IANA name such as Europe/Berlin, Asia/Kolkata or UTC',
    });
    expect(parseSendTime('tomorrow', 'UTC')).toEqual({
      error: expect.stringMatching(/^--at "tomorrow" is not a time/),
    });
  });

  it('refuses a day the month does not have, and hour 24, which Date.parse rolls over to the next day', () => {
    expect(parseSendTime('2026-02-30T09:00', 'UTC')).toEqual({
      error: '--at "2026-02-30T09:00" is not a date and time: 2026-02 has 28 days',
    });
    expect(parseSendTime('2028-02-29T09:00', 'UTC')).toEqual({ sendAt: '2028-02-29T09:00:00', timezone: 'UTC' });
    expect(parseSendTime('2026-04-31T09:00:00Z', undefined)).toEqual({
      error: '--at "2026-04-31T09:00:00Z" is not a date and time: 2026-04 has 30 days',
    });
    expect(parseSendTime('2026-12-24T24:00', 'UTC')).toEqual({
      error: '--at "2026-12-24T24:00" is not a date and time: hours go from 00 to 23',
    });
  });

  it('sends a zone as the tz database spells it, whatever the case it was typed in', () => {
    expect(parseSendTime('2026-12-24T09:00', 'europe/berlin')).toMatchObject({ timezone: 'Europe/Berlin' });
    expect(parseSendTime('2026-12-24T09:00', 'asia/kolkata')).toMatchObject({ timezone: 'Asia/Kolkata' });
  });

  it('knows IANA zones through Intl', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Nowhere/Else')).toBe(false);
  });
});

describe("this machine's zone", () => {
  it('is the zone TZ names, as it names it (Asia/Kolkata, not the Asia/Calcutta ICU reports for it)', () => {
    expect(systemTimeZone({ TZ: 'Asia/Kolkata' })).toBe('Asia/Kolkata');
    expect(systemTimeZone({ TZ: ':Europe/Kyiv' })).toBe('Europe/Kyiv');
  });

  it("is the system's otherwise (TZ unset), by its current name", () => {
    const system = modernZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(systemTimeZone({})).toBe(system);
    expect(systemTimeZone({ TZ: '' })).toBe(system);
    expect(modernZoneName('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(modernZoneName('Europe/Kiev')).toBe('Europe/Kyiv');
    expect(modernZoneName('Europe/Berlin')).toBe('Europe/Berlin');
  });
});

describe('a TZ that is no zone name', () => {
  it('names the zone of a tz database file, and takes POSIX UTC0 as UTC', () => {
    expect(systemTimeZone({ TZ: '/usr/share/zoneinfo/America/New_York' })).toBe('America/New_York');
    expect(systemTimeZone({ TZ: ':/usr/share/zoneinfo/Asia/Calcutta' })).toBe('Asia/Kolkata');
    expect(systemTimeZone({ TZ: '/usr/share/zoneinfo/posix/Europe/Berlin' })).toBe('Europe/Berlin');
    expect(systemTimeZone({ TZ: 'UTC0' })).toBe('UTC');
  });

  it('names the zone a link leads to (TZ=:/etc/localtime), and none when it leads outside the tz database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tz-'));
    try {
      mkdirSync(join(dir, 'zoneinfo', 'Asia'), { recursive: true });
      writeFileSync(join(dir, 'zoneinfo', 'Asia', 'Calcutta'), '');
      writeFileSync(join(dir, 'elsewhere'), '');
      symlinkSync(join(dir, 'zoneinfo', 'Asia', 'Calcutta'), join(dir, 'localtime'));
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'other-localtime'));
      expect(systemTimeZone({ TZ: `:${join(dir, 'localtime')}` })).toBe('Asia/Kolkata');
      expect(systemTimeZone({ TZ: join(dir, 'localtime') })).toBe('Asia/Kolkata');
      expect(systemTimeZone({ TZ: `:${join(dir, 'other-localtime')}` })).toBeUndefined();
      const sent = parseSendTime('2026-12-24T09:00', undefined, () =>
        systemTimeZone({ TZ: `:${join(dir, 'localtime')}` }),
      );
      expect(sent).toEqual({ sendAt: '2026-12-24T09:00:00', timezone: 'Asia/Kolkata' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Node's Intl reads these as UTC or no zone at all, where the shell reads New York's or Tokyo's time.
  const unnamed = ['EST5EDT,M3.2.0,M11.1.0', 'JST-9', '/etc/localtime-of-elsewhere', ':/nowhere/localtime'];

  it('is no zone, rather than UTC, and a wall time is refused for want of one, never read hours off', () => {
    for (const TZ of unnamed) {
      expect(systemTimeZone({ TZ }), TZ).toBeUndefined();
      const sent = parseSendTime('2026-12-24T09:00', undefined, () => systemTimeZone({ TZ }));
      expect(sent, TZ).toEqual({
        error: expect.stringMatching(
          /^--at "2026-12-24T09:00" is a wall time, and this machine's time zone has no IANA name here .*: give --tz/,
        ),
      });
      const bound = parseFilterInstant('2026-12-01T09:00', Date.parse('2026-12-02T12:00:00Z'), {
        zone: () => systemTimeZone({ TZ }),
      });
      expect(bound, TZ).toEqual({
        error: expect.stringMatching(/^"2026-12-01T09:00" is a wall time, .*: give an offset \(2026-12-01T09:00:00Z/),
      });
    }
    // With --tz, an offset or a duration, this machine's zone is not needed.
    const none = () => undefined;
    expect(parseSendTime('2026-12-24T09:00', 'America/New_York', none)).toEqual({
      sendAt: '2026-12-24T09:00:00',
      timezone: 'America/New_York',
    });
    expect(parseSendTime('2026-12-24T09:00-05:00', undefined, none)).toEqual({ sendAt: '2026-12-24T09:00:00-05:00' });
    expect(parseFilterInstant('2h', Date.parse('2026-12-02T12:00:00Z'), { zone: none })).toEqual({
      instant: '2026-12-02T10:00:00.000Z',
    });
  });
});

describe("a filter's times (--created-after, --send-before...)", () => {
  const now = Date.parse('2026-12-02T12:00:00Z');

  it('reads an instant with Z or an offset as it is', () => {
    expect(parseFilterInstant('2026-12-01T09:00:00Z', now)).toEqual({ instant: '2026-12-01T09:00:00.000Z' });
    expect(parseFilterInstant('2026-12-01T10:00+01:00', now)).toEqual({ instant: '2026-12-01T09:00:00.000Z' });
  });

  it("reads a wall time or a date in this machine's zone, whatever its offset that day", () => {
    expect(parseFilterInstant('2026-12-01T09:00', now, { zone: berlin })).toEqual({
      instant: '2026-12-01T08:00:00.000Z',
    });
    expect(parseFilterInstant('2026-07-01 09:00:30.5', now, { zone: berlin })).toEqual({
      instant: '2026-07-01T07:00:30.500Z',
    });
    expect(parseFilterInstant('2026-12-01', now, { zone: () => 'America/New_York' })).toEqual({
      instant: '2026-12-01T05:00:00.000Z',
    });
    // Berlin's clocks skip 02:00-03:00 on 2026-03-29: 02:30 does not exist, and reads as 03:30.
    expect(parseFilterInstant('2026-03-29T02:30', now, { zone: berlin })).toEqual({
      instant: '2026-03-29T01:30:00.000Z',
    });
  });

  it("reads a wall time around a daylight-saving change by the API's rule for a sendAt, east and west of UTC", () => {
    const at = (wall: string, zone: string) => parseFilterInstant(wall, now, { zone: () => zone });
    // Skipped (spring forward): moved forward by the gap, never read an hour early.
    expect(at('2026-03-08T02:30', 'America/New_York')).toEqual({ instant: '2026-03-08T07:30:00.000Z' });
    expect(at('2026-03-08T01:59:59.999', 'America/New_York')).toEqual({ instant: '2026-03-08T06:59:59.999Z' });
    expect(at('2026-03-08T03:00', 'America/New_York')).toEqual({ instant: '2026-03-08T07:00:00.000Z' });
    expect(at('2026-10-04T02:15', 'Australia/Lord_Howe')).toEqual({ instant: '2026-10-03T15:45:00.000Z' });
    // Repeated (fall back): the earlier of its two instants, 02:30 CEST and not 02:30 CET.
    expect(at('2026-10-25T02:30', 'Europe/Berlin')).toEqual({ instant: '2026-10-25T00:30:00.000Z' });
    expect(at('2026-11-01T01:30', 'America/New_York')).toEqual({ instant: '2026-11-01T05:30:00.000Z' });
    expect(at('2026-04-05T01:45', 'Australia/Lord_Howe')).toEqual({ instant: '2026-04-04T14:45:00.000Z' });
    // Either side of the repeated hour, one reading.
    expect(at('2026-10-25T03:00', 'Europe/Berlin')).toEqual({ instant: '2026-10-25T02:00:00.000Z' });
    expect(at('2026-10-25T01:59', 'Europe/Berlin')).toEqual({ instant: '2026-10-24T23:59:00.000Z' });
  });

  it('reads a wall time in the years 0000 to 0099 as written, not as 1900 to 1999', () => {
    const utc = () => 'UTC';
    expect(parseFilterInstant('0050-06-01', now, { zone: utc })).toEqual({ instant: '0050-06-01T00:00:00.000Z' });
    expect(parseFilterInstant('0000-02-29T09:00', now, { zone: utc })).toEqual({ instant: '0000-02-29T09:00:00.000Z' });
    // Berlin kept its local mean time then: 53 minutes 28 seconds ahead of UTC.
    expect(parseFilterInstant('0099-12-31T23:59:59', now, { zone: berlin })).toEqual({
      instant: '0099-12-31T23:06:31.000Z',
    });
  });

  it('reads digits past the millisecond as the API does: the next whole one, never earlier', () => {
    expect(parseFilterInstant('2026-12-01T09:00:00.1230001Z', now)).toEqual({ instant: '2026-12-01T09:00:00.124Z' });
    expect(parseFilterInstant('2026-12-01T09:00:00.1230000Z', now)).toEqual({ instant: '2026-12-01T09:00:00.123Z' });
    expect(parseFilterInstant(`2026-12-01T09:59:59.${'9'.repeat(20)}`, now, { zone: berlin })).toEqual({
      instant: '2026-12-01T09:00:00.000Z',
    });
  });

  it('reads a duration as that long ago, or ahead for a send time', () => {
    expect(parseFilterInstant('2h', now)).toEqual({ instant: '2026-12-02T10:00:00.000Z' });
    expect(parseFilterInstant('2h', now, { ahead: true })).toEqual({ instant: '2026-12-02T14:00:00.000Z' });
    expect(parseFilterInstant('1d12h', now)).toEqual({ instant: '2026-12-01T00:00:00.000Z' });
  });

  it('says how to write a time it cannot read', () => {
    expect(parseFilterInstant('yesterday', now)).toEqual({
      error: expect.stringContaining('"yesterday" is not a time'),
    });
    expect(parseFilterInstant('2026-13-45', now)).toHaveProperty('error');
    expect(parseFilterInstant('2026-02-30', now)).toEqual({
      error: '"2026-02-30" is not a date and time: 2026-02 has 28 days',
    });
    expect(parseFilterInstant('10x', now)).toHaveProperty('error');
  });
});
