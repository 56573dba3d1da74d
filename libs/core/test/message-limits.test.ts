import { validateHeaderName, validateHeaderValue } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  assertMessageWithinLimits,
  fieldErrors,
  headerProblems,
  isHttpToken,
  isValidHeaderValue,
  MAX_HEADER_BYTES,
  MAX_HEADERS,
  MAX_MESSAGE_BYTES,
  MessageIn,
  messageBytes,
  PayloadTooLargeError,
  ValidationError,
} from '../src';

const nodeAccepts = (check: () => void) => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

describe('header values: the rule of node:http validateHeaderValue, without node:http', () => {
  const tricky = [
    '',
    'plain',
    ' leading and trailing spaces ',
    'tab\tinside',
    '\t',
    'Latin-1: café naïve ÿ',
    '\x80\x9f\xa0\xff',
    'U+0100: Ā',
    'CJK: 日本',
    'emoji: 🎉',
    'lone surrogate: \ud800',
    'DEL: \x7f',
    'NUL: \0',
    'CR: a\rb',
    'LF: a\nb',
    'CRLF injection: a\r\nx-evil: 1',
    'vertical tab \x0b',
    'form feed \x0c',
    'escape \x1b[31m',
    'unit separator \x1f',
    'zero-width joiner \u200d',
    'BOM \ufeff',
    'line separator \u2028',
    '"quotes" and \\backslash\\ and ~^`|',
  ];

  it.each(tricky.map((value) => [JSON.stringify(value), value]))('agrees with Node on %s', (_, value) => {
    expect(isValidHeaderValue(value)).toBe(nodeAccepts(() => validateHeaderValue('x-test', value)));
  });

  it('agrees with Node on every single character up to U+0200', () => {
    for (let code = 0; code <= 0x200; code += 1) {
      const value = `a${String.fromCharCode(code)}b`;
      expect(isValidHeaderValue(value), `U+${code.toString(16)}`).toBe(
        nodeAccepts(() => validateHeaderValue('x-test', value)),
      );
    }
  });

  it('agrees with Node on header names (HTTP tokens)', () => {
    const names = ['x-trace', 'X_Trace.1', "!#$%&'*+-.^_`|~", '', 'with space', 'colon:', 'ünicode', 'a\tb', '(x)'];
    for (const name of names) {
      expect(isHttpToken(name), JSON.stringify(name)).toBe(nodeAccepts(() => validateHeaderName(name)));
    }
  });
});

describe('header rules', () => {
  const pathsOf = (headers: Record<string, string>) => {
    const result = MessageIn.safeParse({ url: 'https://e.com', delay: 1, headers });
    return result.success ? [] : fieldErrors(result.error).map((e) => e.path);
  };

  it('reserves hop-by-hop and transport headers as well as Vigil’s own, whatever their case, and with _ for -', () => {
    const reserved = [
      'Connection',
      'keep-alive',
      'Proxy-Authorization',
      'proxy-connection',
      'TE',
      'trailer',
      'Transfer-Encoding',
      'upgrade',
      'Expect',
      'host',
      'content-length',
      'user-agent',
      'webhook-id',
      'Vigil-Attempt',
      // A CGI-style server (PHP, WSGI, Rack) reads webhook_signature as webhook-signature.
      'webhook_signature',
      'Vigil_Attempt',
      'user_agent',
      'content_length',
    ];
    for (const name of reserved) expect(pathsOf({ [name]: 'x' }), name).toEqual([`headers.${name}`]);
    const owner = headerProblems({ upgrade: 'h2c', 'webhook-id': 'x' }).map((p) => p.message);
    expect(owner[0]).toMatch(/HTTP stack/);
    expect(owner[1]).toMatch(/set by Vigil/);
    // Ordinary headers that merely look alike stay allowed.
    expect(pathsOf({ authorization: 'Bearer t', 'x-upgrade': '1', 'content-type': 'text/plain', tenant: 'a' })).toEqual(
      [],
    );
  });

  it('names a header whose value Node would refuse to send', () => {
    const result = MessageIn.safeParse({ url: 'https://e.com', delay: 1, headers: { 'x-name': 'Zoë 🎉' } });
    expect(result.success).toBe(false);
    const [error] = result.success ? [] : fieldErrors(result.error);
    expect(error?.path).toBe('headers.x-name');
    expect(error?.message).toMatch(/U\+1F389 at position 4/);
  });

  it('refuses the same header twice in different case', () => {
    expect(pathsOf({ 'X-Trace': 'a', 'x-trace': 'b' })).toEqual(['headers.x-trace']);
  });

  it(`takes at most ${MAX_HEADERS} headers and ${MAX_HEADER_BYTES} bytes of them`, () => {
    const many = Object.fromEntries(Array.from({ length: MAX_HEADERS + 1 }, (_, i) => [`x-h${i}`, 'v']));
    expect(pathsOf(many)).toEqual(['headers']);
    const fifty = Object.fromEntries(Array.from({ length: MAX_HEADERS }, (_, i) => [`x-h${i}`, 'v']));
    expect(pathsOf(fifty)).toEqual([]);
    // Exactly at the byte limit passes; one byte more does not (é is two bytes in UTF-8).
    const split = { 'x-a': 'a'.repeat(8000), 'x-b': 'b'.repeat(MAX_HEADER_BYTES - 8000 - 6) };
    expect(pathsOf(split)).toEqual([]);
    expect(pathsOf({ ...split, 'x-b': `${split['x-b'].slice(1)}é` })).toEqual(['headers']);
    const problem = headerProblems({ ...split, 'x-b': `${split['x-b']}x` }).at(-1);
    expect(problem?.message).toBe(
      `the headers are ${MAX_HEADER_BYTES + 1} bytes (names + values, UTF-8); the limit is ${MAX_HEADER_BYTES} bytes (16 KiB)`,
    );
  });
});

describe('text Vigil stores is well-formed Unicode', () => {
  it('refuses an unpaired surrogate in the url, a text body or metadata (DynamoDB would fail on it), but not in JSON', () => {
    const result = MessageIn.safeParse({
      url: 'https://e.com/\ud800',
      delay: 1,
      body: 'a\udc00',
      metadata: { 'k\ud800': 'v', k: '\udfff' },
    });
    const paths = result.success ? [] : fieldErrors(result.error).map((e) => e.path);
    expect(paths.sort()).toEqual(['body', 'metadata.k', 'metadata.k\ud800', 'url']);
    // Pairs are fine, and a JSON body is serialised with the surrogate escaped as ASCII.
    expect(MessageIn.safeParse({ url: 'https://e.com/😀', delay: 1, body: { s: '\ud800' } }).success).toBe(true);
  });
});

describe('the size rule', () => {
  const base = { url: 'https://e.com/h', body: '', headers: {}, metadata: {} };

  it('counts url, body, header names and values and metadata keys and values in UTF-8 bytes', () => {
    expect(messageBytes({ url: 'https://e.com/é', body: '"😀"', headers: { 'x-a': 'b' }, metadata: { k: 'ü' } })).toBe(
      16 + 6 + 4 + 3,
    );
  });

  it('allows exactly 256 KiB and refuses one byte more with a 413 naming the total and the limit', () => {
    const fill = MAX_MESSAGE_BYTES - base.url.length;
    expect(() => assertMessageWithinLimits({ ...base, body: 'x'.repeat(fill) })).not.toThrow();
    const over = () => assertMessageWithinLimits({ ...base, body: `${'x'.repeat(fill - 1)}é` });
    expect(over).toThrow(PayloadTooLargeError);
    expect(over).toThrow(`The message is ${MAX_MESSAGE_BYTES + 1} bytes`);
    expect(over).toThrow(`the limit is ${MAX_MESSAGE_BYTES} bytes (256 KiB)`);
  });

  it('names the message of a batch that is too large', () => {
    try {
      assertMessageWithinLimits({ ...base, body: 'x'.repeat(MAX_MESSAGE_BYTES) }, 'messages.2.');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect((error as PayloadTooLargeError).errors).toEqual([
        { path: 'messages.2', message: expect.stringContaining('the limit is 262144 bytes') },
      ]);
    }
  });

  it('reports bad headers (422) before the size (413)', () => {
    expect(() =>
      assertMessageWithinLimits({ ...base, headers: { upgrade: 'x' }, body: 'x'.repeat(MAX_MESSAGE_BYTES) }),
    ).toThrow(ValidationError);
  });
});
