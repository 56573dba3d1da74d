import fc from 'fast-check';
import { LosslessNumber, parse, stringify } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import {
  JsonText,
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

/** JSON text less its whitespace between tokens (a string's own spaces are kept). */
const withoutSpacing = (text: string): string => (text.match(/"(?:[^"\\]|\\.)*"|[^\s]/g) ?? []).join('');

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

  it("keeps a request's bodies as their text, less the whitespace between tokens, and reads its own fields as plain numbers", () => {
    const request = (bodies: string[], own: string) =>
      `{"delay":${own},"messages":[${bodies.map((body, i) => `{"delay":1.0,"i":${i},"body":${body}}`).join(',')}],"body":${bodies[0] ?? 'null'}}`;
    const keptText = (body: unknown) => (body instanceof JsonText ? body.text : `not kept as text: ${shown(body)}`);
    fc.assert(
      fc.property(fc.array(jsonText, { maxLength: 4 }), numberToken, (bodies, own) => {
        const text = request(bodies, own);
        const read = parseRequestJson(text) as {
          delay: unknown;
          body: unknown;
          messages: Array<Record<string, unknown>>;
        };
        expect(read.delay).toBe(Number(own));
        const expected = (body: string) => (body.startsWith('"') ? JSON.parse(body) : withoutSpacing(body));
        const got = (body: unknown) => (typeof body === 'string' ? body : keptText(body));
        expect(got(read.body)).toBe(expected(bodies[0] ?? 'null'));
        read.messages.forEach((message, i) => {
          expect(message.delay).toBe(1);
          expect(got(message.body)).toBe(expected(bodies[i]!));
          // Read, it is what it always was.
          if (message.body instanceof JsonText)
            expect(shown(parseExactJson(message.body.text))).toBe(shown(referenceExact(bodies[i]!)));
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps 5,000 int64 ids and a million 1.0s in a batch as written, without reading them', () => {
    for (const count of [5_000, 1_000_000]) {
      const perMessage = count / 100;
      const body = `[${Array.from({ length: perMessage }, (_, k) => (count > 100_000 ? '1.0' : `1${String(k).padStart(18, '0')}1`)).join(',')}]`;
      const text = JSON.stringify({
        messages: Array.from({ length: 100 }, (_, n) => ({ url: `https://e.com/${n}`, delay: 1, body: 'BODY' })),
      }).replace(/"BODY"/g, () => body);
      const read = parseRequestJson(text) as { messages: Array<{ body: unknown }> };
      expect(read.messages.every((m) => m.body instanceof JsonText && m.body.text === body)).toBe(true);
      expect(stringifyExactJson(read.messages[99]!.body)).toBe(body);
    }
    // A 6 MiB text of a million values: seconds on a busy machine, more than the default 5 s.
  }, 30_000);

  it('keeps names that look like indexes where they were written, and escapes as written', () => {
    const read = parseRequestJson('{"body": {"b":1, "1":{"z":"\\u00e9\\/","0":[2]}} }') as { body: JsonText };
    expect(read.body.text).toBe('{"b":1,"1":{"z":"\\u00e9\\/","0":[2]}}');
    expect(read.body.depth).toBe(3);
    expect(JSON.stringify(JSON.parse(read.body.text))).toBe('{"1":{"0":[2],"z":"é/"},"b":1}');
  });

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

  it('never takes a string body of the sender that starts with U+0000 for a body kept as text', () => {
    for (const body of ['"\\u0000b0"', '"\\u0000b1"']) {
      const text = `{"body":${body},"messages":[{"body":[1.0,"\\u0000b0"]},{"body":${body}}]}`;
      const read = parseRequestJson(text) as { body: unknown; messages: Array<{ body: unknown }> };
      expect(read.body).toBe(JSON.parse(body));
      expect(read.messages[1]!.body).toBe(JSON.parse(body));
      expect(stringifyExactJson(read.messages[0]!.body)).toBe('[1.0,"\\u0000b0"]');
    }
  });

  it("refuses a body that is not JSON with JSON.parse's own error about the text as sent, wherever it is", () => {
    for (const text of [
      '{"body":{"a":1,}}',
      '{"body":[1 2]}',
      '{"messages":[{"body":{"a"}}]}',
      '{"body":[1],"body":[}',
    ]) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseRequestJson(text), text).toThrow(SyntaxError);
    }
  });

  it("refuses a text faulty outside its marked parts (bodies, inexact numbers) with JSON.parse's message about it as sent", () => {
    const messageOf = (parse: () => unknown) => {
      try {
        parse();
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    for (const text of ['{"body":{"a":1.000},"x":}', '{"messages":[{"body":[1.0]},{"body":"\\u0000b0"}],}'])
      expect(
        messageOf(() => parseRequestJson(text)),
        text,
      ).toBe(messageOf(() => JSON.parse(text)));
    for (const text of ['{"n":1.50,"m":}', '[1.0, 2.000 3]', '["\\u0000x", 1.0,]'])
      expect(
        messageOf(() => parseExactJson(text)),
        text,
      ).toBe(messageOf(() => JSON.parse(text)));
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
