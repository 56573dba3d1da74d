import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['3d', 259_200_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    [' 10m ', 600_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('reads a number as seconds, to the millisecond', () => {
    expect(parseDuration(90.5)).toBe(90_500);
    expect(parseDuration(0)).toBe(0);
  });

  it.each(['', '10', 'ten minutes', '10 m', '10x', '-5s', '5s!'])('refuses %j with a hint of what to write', (text) => {
    expect(() => parseDuration(text)).toThrow(/write it like 90s, 10m, 2h, 3d/);
  });

  it('refuses a negative or endless number of seconds', () => {
    expect(() => parseDuration(-1)).toThrow(RangeError);
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
