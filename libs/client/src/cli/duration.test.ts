import { describe, expect, it } from 'vitest';
import { durationArg, formatDuration } from './duration';

describe('durations at the command line', () => {
  it('reads seconds, minutes, hours and days, and sums of them', () => {
    expect(durationArg('--in', '90s')).toBe(90_000);
    expect(durationArg('--in', '10m')).toBe(600_000);
    expect(durationArg('--in', '2h')).toBe(7_200_000);
    expect(durationArg('--in', '3d')).toBe(259_200_000);
    expect(durationArg('--deadline', '1h30m')).toBe(5_400_000);
  });

  it('refuses a number without a unit, words and negative numbers, naming the flag (exit 2)', () => {
    expect(() => durationArg('--in', '90')).toThrow(
      '--in "90" is not a duration: write it like 90s, 10m, 2h, 3d or 1h30m',
    );
    for (const text of ['soon', '-5m', '10y', '']) {
      expect(() => durationArg('--deadline', text)).toThrow(expect.objectContaining({ code: 2 }));
    }
  });

  it('refuses a schedule more than 365 days ahead in days, not as the API words it (<=31536000)', () => {
    expect(durationArg('--in', '365d', { ahead: true })).toBe(31_536_000_000);
    expect(() => durationArg('--in', '400d', { ahead: true })).toThrow(
      expect.objectContaining({
        code: 2,
        message: '--in 400d is too far ahead',
        hint: 'give at most 365 days (1 year), e.g. --in 365d',
      }),
    );
    expect(durationArg('--interval', '400d')).toBe(34_560_000_000);
  });

  it('prints durations with their two largest units', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(90_061_000)).toBe('1d 1h');
  });
});
