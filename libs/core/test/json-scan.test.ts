import fc from 'fast-check';
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import {
  MAX_REQUEST_VALUES,
  MessageBatchIn,
  parseExactJson,
  parseRequestJson,
  PayloadTooLargeError,
  stringifyExactJson,
} from '../src';
import { isInexactNumber, readsBackTheSame, scanJson } from '../src/json-scan';

/** A JSON number token, in any of the spellings the grammar allows. */
const numberToken = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
    fc.option(fc.stringMatching(/^[0-9]{1,22}$/)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,4}$/))),
  )
  .map(
    ([negative, int, frac, exp]) =>
      `${negative ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`,
  );

/** Any JSON value, numbers in every spelling, names chosen to repeat (a name given twice) and to look like indexes. */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberToken,
    fc.constantFrom('true', 'false', 'null', '"1.50"', '"\\u0000x"', '"a\\"b"', '"\\u00e9"'),
    fc.array(tie('value'), { maxLength: 5 }).map((items) => `[ ${items.join(' ,')}]`),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'b', '1', '10', 'body', '__proto__', 'b\\u006fdy'), tie('value')), {
        maxLength: 5,
      })
      .map((members) => `{${members.map(([name, value]) => `"${name}" :${value}`).join(',\n')}}`),
  ),
})).value;

/** The reading before 2026-12: lossless-json over the whole text. */
const referenceExact = (text: string): unknown =>
  parse(text, null, {
    parseNumber: (token) => (readsBackTheSame(token) ? Number(token) : new LosslessNumber(token)),
    onDuplicateKey: ({ newValue }) => newValue,
  });

/** Numbers as text where exact, so two readings compare by what they would write. */
const shown = (value: unknown): string => stringify(value) ?? 'undefined';

describe('telling the numbers a double would not write back', () => {
  it('agrees with converting each token and writing it back, for every spelling JSON allows', () => {
    fc.assert(
      fc.property(numberToken, (token) => {
        expect(isInexactNumber(token)).toBe(!readsBackTheSame(token));
      }),
      { numRuns: 20_000 },
    );
    for (const token of ['1.0', '1E2', '1e2', '-0', '0.10', '12345678901234567890', '1e400', '0.1234567890123456789'])
      expect(isInexactNumber(token), token).toBe(true);
    for (const token of ['0', '-1', '1.5', '1e+21', '123456789012345', '0.1', '5e-7'])
      expect(isInexactNumber(token), token).toBe(false);
  });

  it('never takes a token outside the grammar for a number to keep (JSON.parse must refuse it)', () => {
    for (const text of ['[01.0]', '[1.]', '[.5]', '[1.0.0]', '[1e]', '[--1.0]', '[1.0e+]', '{1.0:2}', '[1.0x]']) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseExactJson(text), text).toThrow(SyntaxError);
      expect(() => parseRequestJson(`{"body":${text}}`), text).toThrow(SyntaxError);
    }
  });
});

describe('reading JSON exactly, the fast way', () => {
  it('reads any JSON text as lossless-json over the whole text did: numbers, names given twice, __proto__', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const read = parseExactJson(text);
        expect(shown(read)).toBe(shown(referenceExact(text)));
        expect(stringifyExactJson(read)).toBe(stringify(referenceExact(text)));
      }),
      { numRuns: 3_000 },
    );
  });

  it("reads a request's bodies exactly and its own fields as plain numbers, whichever way it is read", () => {
    const request = (bodies: string[], own: string) =>
      `{"delay":${own},"messages":[${bodies.map((body, i) => `{"delay":1.0,"i":${i},"body":${body}}`).join(',')}],"body":${bodies[0] ?? 'null'}}`;
    fc.assert(
      fc.property(fc.array(jsonText, { maxLength: 4 }), numberToken, (bodies, own) => {
        const text = request(bodies, own);
        const read = parseRequestJson(text) as {
          delay: unknown;
          body: unknown;
          messages: Array<Record<string, unknown>>;
        };
        expect(read.delay).toBe(Number(own));
        expect(shown(read.body)).toBe(shown(referenceExact(bodies[0] ?? 'null')));
        read.messages.forEach((message, i) => {
          expect(message.delay).toBe(1);
          expect(shown(message.body)).toBe(shown(referenceExact(bodies[i]!)));
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps 5,000 int64 ids exact in a batch read by marking them, and a million 1.0s by reading their bodies again', () => {
    for (const count of [5_000, 1_000_000]) {
      const perMessage = count / 100;
      const text = JSON.stringify({
        messages: Array.from({ length: 100 }, (_, n) => ({ url: `https://e.com/${n}`, delay: 1, body: 'BODY' })),
      }).replace(
        /"BODY"/g,
        () =>
          `[${Array.from({ length: perMessage }, (_, k) => (count > 100_000 ? '1.0' : `1${String(k).padStart(18, '0')}1`)).join(',')}]`,
      );
      const read = parseRequestJson(text) as { messages: Array<{ body: unknown[] }> };
      const first = read.messages[0]!.body;
      expect(first).toHaveLength(perMessage);
      expect(first.every((n) => isLosslessNumber(n))).toBe(true);
      expect(stringifyExactJson(read.messages[99]!.body)).toBe(
        `[${Array.from({ length: perMessage }, (_, k) => (count > 100_000 ? '1.0' : `1${String(k).padStart(18, '0')}1`)).join(',')}]`,
      );
    }
    // A million values take about 4 s of one core: more than the default 5 s on a busy machine.
  }, 30_000);

  it('reads the body JSON.parse keeps: the last of a name given twice, however it is spelled', () => {
    const exactly = (text: string) => stringifyExactJson(parseRequestJson(text));
    expect(exactly('{"body":1.0,"b\\u006fdy":2}')).toBe('{"body":2}');
    expect(exactly('{"body":2,"body":1.0}')).toBe('{"body":1.0}');
    expect(exactly('{"messages":[{"body":1.0}],"messages":[{"body":2}]}')).toBe('{"messages":[{"body":2}]}');
    expect(exactly('{"messages":[{"body":2},7,{"body":[1.0]}]}')).toBe('{"messages":[{"body":2},7,{"body":[1.0]}]}');
    // Vigil's own fields are plain numbers, wherever an inexact number is written outside a body.
    expect(exactly('{"delay":1.0,"headers":{"body":1.0},"messages":[{"delay":6E1}]}')).toBe(
      '{"delay":1,"headers":{"body":1},"messages":[{"delay":60}]}',
    );
  });

  it('never takes a string of the sender that starts with U+0000 for a kept number', () => {
    const text = '{"body":["\\u00000","\\u0000x",1.0,"\\u00001"]}';
    const read = parseRequestJson(text) as { body: unknown[] };
    expect(read.body[0]).toBe('\u00000');
    expect(read.body[3]).toBe('\u00001');
    expect(stringifyExactJson(read.body)).toBe('["\\u00000","\\u0000x",1.0,"\\u00001"]');
  });
});

describe('a request past what any valid request holds', () => {
  /** A batch with every field outside the body at its limit. */
  const largestValidBatch = () => ({
    messages: Array.from({ length: 100 }, (_, n) => ({
      url: `https://e.com/${n}`,
      sendAt: '2030-01-01T09:00:00',
      timezone: 'Europe/Berlin',
      method: 'POST',
      headers: Object.fromEntries(Array.from({ length: 50 }, (_, h) => [`x-h${h}`, 'v'])),
      body: { any: [1, 2, 3] },
      retry: { maxAttempts: 3 },
      timeoutMs: 5000,
      metadata: Object.fromEntries(Array.from({ length: 10 }, (_, m) => [`m${m}`, 'v'])),
      labels: Array.from({ length: 10 }, (_, l) => `l${l}`),
      callback: { url: 'https://e.com/cb', on: ['delivered', 'failed'] },
      flowControl: { key: 'k', parallelism: 1, ratePerSecond: 1 },
    })),
  });

  it('counts the largest valid batch well under the bound, and it is valid', () => {
    const text = JSON.stringify(largestValidBatch());
    const scan = scanJson(text, { request: true });
    expect(scan.valuesOutsideBodies).toBeGreaterThan(9_000);
    expect(scan.valuesOutsideBodies).toBeLessThan(MAX_REQUEST_VALUES / 2);
    expect(MessageBatchIn.safeParse(parseRequestJson(text)).success).toBe(true);
  });

  it('refuses 600,000 unknown fields with a 413 naming the bound, before parsing them', () => {
    const fields = Array.from({ length: 600_000 }, (_, i) => `"f${i}":0`).join(',');
    const text = `{"url":"https://e.com/h","delay":1,${fields}}`;
    const started = performance.now();
    expect(() => parseRequestJson(text)).toThrow(PayloadTooLargeError);
    expect(() => parseRequestJson(text)).toThrow(/more than 20,000 JSON values outside message bodies/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('does not count what is inside bodies: a body may hold as many values as its size allows', () => {
    const body = `[${Array(100_000).fill('0').join(',')}]`;
    expect(scanJson(`{"url":"https://e.com/h","delay":1,"body":${body}}`, { request: true }).valuesOutsideBodies).toBe(
      3,
    );
    expect(() => parseRequestJson(`{"messages":[{"body":${body}},{"body":${body}}]}`)).not.toThrow();
  });
});
