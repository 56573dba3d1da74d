import { describe, expect, it } from 'vitest';
import { idRandom, MESSAGE_ID_PATTERN, messageIdTime, newMessageId, randomTag } from '../src/ids';

describe('ids', () => {
  it('draws fractions that pick each of 256 byte values, across refills of the pool', () => {
    const seen = new Map<number, number>();
    const draws = Array.from({ length: 4096 * 5 + 7 }, () => idRandom() * 256);
    for (const byte of draws) seen.set(byte, (seen.get(byte) ?? 0) + 1);
    // Whole numbers 0 to 255 only: fractions in [0, 1) that are multiples of 1/256.
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    // About 80 each; a byte seen under 30 or over 160 times would not be uniform.
    expect(Math.min(...seen.values())).toBeGreaterThan(30);
    expect(Math.max(...seen.values())).toBeLessThan(160);
  });

  it('makes distinct, sortable message ids within one millisecond, which carry their instant', () => {
    const at = Date.parse('2026-12-05T23:00:00.000Z');
    const ids = Array.from({ length: 1000 }, () => newMessageId(at));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(MESSAGE_ID_PATTERN);
    expect(messageIdTime(ids[0] as string)).toBe(at);
  });

  it('makes an id for an earlier instant than the last carry that instant, not the later one', () => {
    const later = Date.parse('2026-12-05T23:01:00.000Z');
    const earlier = later - 60_000;
    newMessageId(later);

    const id = newMessageId(earlier);

    expect(messageIdTime(id)).toBe(earlier);
    expect(messageIdTime(newMessageId(earlier))).toBe(earlier);
  });

  it('makes random tags of 12 URL-safe characters (12 stored bytes), each of the 64 drawn, none twice', () => {
    const tags = Array.from({ length: 2000 }, randomTag);

    expect(new Set(tags).size).toBe(2000);
    for (const tag of tags) expect(tag).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(new Set(tags.join('')).size).toBe(64);
  });
});
