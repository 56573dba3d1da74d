import fc from 'fast-check';
import { LosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { canonicalJson, isExactNumber } from '../src';

/** canonicalJson as first written: every stored fingerprint was made with it, so its text may never change. */
const firstCanonicalJson = (value: unknown): string => {
  if (isExactNumber(value)) return value.toString();
  if (Array.isArray(value)) return `[${value.map((v) => firstCanonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${firstCanonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

describe('the canonical text of a fingerprinted request', () => {
  it('is written exactly as it first was, for any request', () => {
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.constantFrom(undefined, new LosslessNumber('1.0'), new LosslessNumber('12345678901234567890'), -0, NaN),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('10', '2', 'é', '\uD83D\uDE00', 'Z', 'a')), tie('v'), {
          maxKeys: 5,
        }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(firstCanonicalJson(v));
      }),
      { numRuns: 5_000 },
    );
  });
});
