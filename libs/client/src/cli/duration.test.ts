import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration';

describe('durations at the command line', () => {
  it('reads seconds, minutes, hours and days, and sums of them', () => {
    expect(parseDuration('90s')).toEqual({ ms: 90_000 });
    expect(parseDuration('10m')).toEqual({ ms: 600_000 });
    expect(parseDuration('2h')).toEqual({ ms: 7_200_000 });
    expect(parseDuration('3d')).toEqual({ ms: 259_200_000 });
    expect(parseDuration('1h30m')).toEqual({ ms: 5_400_000 });
    expect(parseDuration('1.5s')).toEqual({ ms: 1_500 });
    expect(parseDuration('500ms')).toEqual({ ms: 500 });
  });

  it('refuses a number without a unit, saying which units to add', () => {
    expect(parseDuration('90')).toEqual({ error: expect.stringContaining('write 90s, 90m, 90h or 90d') });
  });

  it('refuses words, negative numbers and unknown units', () => {
    for (const text of ['soon', '-5m', '10y', '10 m', '']) expect(parseDuration(text)).toHaveProperty('error');
  });

  it('prints durations with their two largest units', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(90_061_000)).toBe('1d 1h');
  });
});
