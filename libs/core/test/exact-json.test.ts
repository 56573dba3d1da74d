import { describe, expect, it } from 'vitest';
import {
  decodeBody,
  encodeBody,
  FixedClock,
  IdempotencyKeyReusedError,
  isExactNumber,
  MessageIn,
  parseExactJson,
  parseRequestJson,
  requestFingerprint,
  scheduleMessage,
  stringifyExactJson,
} from '../src';
import { CountingQuota, memorySchedulingDeps } from './memory-ports';

/** Numbers a double does not write back as written: an int64 id, an exponent, a signed zero, trailing zeros, an overflow. */
const WRITTEN = '{"id":12345678901234567890,"e":1E2,"z":-0,"price":0.10,"big":1e999,"tiny":1e-400,"plain":[1,2.5,-3]}';

describe('JSON whose numbers keep their digits', () => {
  it('reads and writes back every number as it was written, and plain numbers as numbers', () => {
    const value = parseExactJson(WRITTEN) as Record<string, unknown>;
    expect(stringifyExactJson(value)).toBe(WRITTEN);
    expect(isExactNumber(value.id)).toBe(true);
    expect(value.plain).toEqual([1, 2.5, -3]);
    // What JSON.parse and JSON.stringify alone make of it.
    expect(JSON.stringify(JSON.parse(WRITTEN))).toBe(
      '{"id":12345678901234567000,"e":100,"z":0,"price":0.1,"big":null,"tiny":0,"plain":[1,2.5,-3]}',
    );
  });

  it('takes the native path when every number reads back, and reads as JSON.parse does otherwise', () => {
    const text = '{"a":[1,2.5,-3,1e+21],"s":"1.50 in a string","__proto__":{"x":1},"d":1,"d":2}';
    expect(parseExactJson(text)).toEqual(JSON.parse(text));
    const exact = parseExactJson('{"n":1.50,"__proto__":{"x":1},"d":1,"d":2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(exact)).toBe(Object.prototype);
    expect(Object.keys(exact)).toEqual(['n', '__proto__', 'd']);
    expect(exact.d).toBe(2);
    expect(() => parseExactJson('{"n":1.50,}')).toThrow(SyntaxError);
    // Nested past what lossless-json's recursion reaches: JSON.parse's reading (refused later by the nesting rule).
    expect(parseExactJson(`${'['.repeat(50_000)}1.50${']'.repeat(50_000)}`)).toBeInstanceOf(Array);
  });

  it("keeps a request's numbers exact in message bodies only: Vigil's own fields are plain numbers", () => {
    const plain = parseRequestJson(
      `{"delay":1.50,"timeoutMs":1E4,"body":${WRITTEN},"messages":[{"delay":6E1,"body":{"n":1.0}}]}`,
    ) as Record<string, any>;
    expect(plain.delay).toBe(1.5);
    expect(plain.timeoutMs).toBe(10_000);
    expect(plain.messages[0].delay).toBe(60);
    expect(stringifyExactJson(plain.body)).toBe(WRITTEN);
    expect(stringifyExactJson(plain.messages[0].body)).toBe('{"n":1.0}');
  });

  it('stores and shows a body as written, and tells apart requests that differ in a digit a double loses', async () => {
    const body = MessageIn.parse({ url: 'https://e.com/h', delay: 30, body: parseExactJson(WRITTEN) }).body;
    const encoded = encodeBody(body);
    expect(encoded).toEqual({ body: WRITTEN, bodyKind: 'json' });
    expect(stringifyExactJson(decodeBody(encoded))).toBe(WRITTEN);

    const clock = new FixedClock(Date.parse('2026-11-23T10:00:00.000Z'));
    const deps = memorySchedulingDeps(clock, { quota: new CountingQuota(1_000), meter: { record: async () => {} } });
    const create = (id: string) =>
      scheduleMessage(
        deps,
        'tnt_a',
        MessageIn.parse({ url: 'https://e.com/h', delay: 30, body: parseExactJson(`{"id":${id}}`) }),
        'key-1',
      );
    const { message } = await create('12345678901234567890');
    expect(message.body).toBe('{"id":12345678901234567890}');
    expect(requestFingerprint('r', { n: parseExactJson('1E2') })).not.toBe(requestFingerprint('r', { n: 100 }));
    await expect(create('12345678901234567891')).rejects.toThrow(IdempotencyKeyReusedError);
    expect((await create('12345678901234567890')).created).toBe(false);
  });
});

describe('an Idempotency-Key over a body kept as its text', () => {
  const clock = new FixedClock(Date.parse('2026-11-23T10:00:00.000Z'));
  const request = (body: string) => `{"url":"https://e.com/h","delay":30,"body":${body}}`;
  /** The request as the API reads it now (its body a JsonText), and as it read it before 2026-12 (the body's values). */
  const readNow = (text: string) => MessageIn.parse(parseRequestJson(text));
  const readBefore = (text: string) => MessageIn.parse(parseExactJson(text));

  it('answers a repeat of a request made before bodies were kept as text, with the key that request bound', async () => {
    const deps = memorySchedulingDeps(clock, { quota: new CountingQuota(1_000), meter: { record: async () => {} } });
    const text = request('{"b":1,"1":12345678901234567890}');
    // Bound as the code before 2026-12 bound it: the fingerprint of the body's values (`sha256:`).
    const before = await scheduleMessage(deps, 'tnt_a', readBefore(text), 'old-key');
    expect(requestFingerprint('POST /v1/messages', readBefore(text))).toMatch(/^sha256:/);
    const repeat = await scheduleMessage(
      deps,
      'tnt_a',
      readNow(request('{ "b": 1, "1": 12345678901234567890 }')),
      'old-key',
    );
    expect(repeat).toEqual({ message: before.message, created: false });
    await expect(scheduleMessage(deps, 'tnt_a', readNow(request('{"b":2}')), 'old-key')).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
  });

  it('takes a body with its names in another order for another request, and other spacing for the same', async () => {
    const deps = memorySchedulingDeps(clock, { quota: new CountingQuota(1_000), meter: { record: async () => {} } });
    const first = await scheduleMessage(deps, 'tnt_a', readNow(request('{"b":1,"1":2}')), 'new-key');
    expect(first.message.body).toBe('{"b":1,"1":2}');
    const spaced = await scheduleMessage(deps, 'tnt_a', readNow(request('{ "b" : 1 ,\n "1" : 2 }')), 'new-key');
    expect(spaced).toEqual({ message: first.message, created: false });
    await expect(scheduleMessage(deps, 'tnt_a', readNow(request('{"1":2,"b":1}')), 'new-key')).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
    expect(requestFingerprint('r', readNow(request('{"b":1}')))).toMatch(/^sha256-sent:/);
  });
});
