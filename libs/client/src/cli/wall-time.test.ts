import { describe, expect, it } from 'vitest';
import { isTimeZone, parseSendTime } from './wall-time';

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

  it('knows IANA zones through Intl', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Nowhere/Else')).toBe(false);
  });
});
