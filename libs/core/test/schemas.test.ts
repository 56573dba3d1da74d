import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ApiKeyIn,
  BODY_TOO_DEEP,
  fieldErrors,
  validationErrorOf,
  MAX_BODY_NESTING,
  MAX_FIELD_ERRORS,
  MessageBatchIn,
  MessageIn,
  MessagePatch,
  NO_OFFSET_NO_ZONE,
  NotificationEndpointIn,
  parseOrThrow,
  safeParseRequest,
  ValidationError,
} from '../src';

const errorsOf = (schema: typeof MessageIn | typeof MessageBatchIn | typeof MessagePatch, input: unknown) => {
  const result = schema.safeParse(input);
  return result.success ? [] : fieldErrors(result.error);
};

describe('MessageIn', () => {
  it('fills the documented defaults', () => {
    expect(MessageIn.parse({ url: 'https://example.com/hook', delay: 10 })).toEqual({
      url: 'https://example.com/hook',
      delay: 10,
      method: 'POST',
      headers: {},
      timeoutMs: 10_000,
      metadata: {},
    });
  });

  it('names every bad field, including unknown ones, which are never stored', () => {
    const errors = errorsOf(MessageIn, {
      url: 'ftp://x',
      delay: 1,
      retry: { maxAttempts: 21 },
      status: 'delivered',
    });
    expect(errors.map((e) => e.path).sort()).toEqual(['retry.maxAttempts', 'status', 'url']);
    expect(errors.find((e) => e.path === 'status')?.message).toBe('unknown field');
  });

  it('refuses a body nested more than MAX_BODY_NESTING levels, measured without recursion at any depth', () => {
    const nested = (levels: number) => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);
    const message = (body: unknown) => ({ url: 'https://e.com', delay: 1, body });
    expect(errorsOf(MessageIn, message(nested(MAX_BODY_NESTING)))).toEqual([]);
    expect(errorsOf(MessageIn, message({ a: nested(MAX_BODY_NESTING - 1) }))).toEqual([]);
    const tooDeep = [{ path: 'body', message: BODY_TOO_DEEP }];
    expect(errorsOf(MessageIn, message(nested(MAX_BODY_NESTING + 1)))).toEqual(tooDeep);
    expect(errorsOf(MessageIn, message({ a: nested(MAX_BODY_NESTING) }))).toEqual(tooDeep);
    // Deep enough that JSON.stringify (and any recursive reader) would overflow the stack.
    expect(errorsOf(MessageIn, message(nested(100_000)))).toEqual(tooDeep);
    expect(errorsOf(MessagePatch, { body: nested(100_000) })).toEqual(tooDeep);
    expect(errorsOf(MessageBatchIn, { messages: [message(1), message(nested(5_000))] })).toEqual([
      { path: 'messages.1.body', message: BODY_TOO_DEEP },
    ]);
  });

  it('keeps header and metadata names as given, and refuses __proto__, which an object cannot hold', () => {
    const named = { constructor: 'c', toString: 't', valueOf: 'v' };
    expect(MessageIn.parse({ url: 'https://e.com', delay: 1, headers: named, metadata: named })).toMatchObject({
      headers: named,
      metadata: named,
    });
    // JSON.parse makes __proto__ an own entry, as a request body would.
    const proto = JSON.parse('{"__proto__":"x","ok":"y"}');
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, headers: proto, metadata: proto })).toEqual([
      { path: 'headers.__proto__', message: '__proto__ cannot be used as a name here' },
      { path: 'metadata.__proto__', message: '__proto__ cannot be used as a name here' },
    ]);
    expect(errorsOf(MessagePatch, { metadata: proto })).toHaveLength(1);
  });

  it('wants exactly one of sendAt and delay', () => {
    expect(errorsOf(MessageIn, { url: 'https://e.com' })).toEqual([
      { path: '', message: 'give exactly one of sendAt or delay' },
    ]);
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, sendAt: '2026-12-01T09:00:00Z' })).toHaveLength(1);
  });

  it('accepts RFC 3339 with offsets and refuses other date formats', () => {
    expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: '2026-12-01T10:00:00+01:00' })).toEqual([]);
    expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: '12/01/2026' })[0]?.path).toBe('sendAt');
    // RFC 3339 §5.6: the T and the Z may be written lower case.
    expect(MessageIn.parse({ url: 'https://e.com', sendAt: '2026-12-01t09:00:00.5z' }).sendAt).toBe(
      '2026-12-01T09:00:00.5Z',
    );
    expect(MessageIn.parse({ url: 'https://e.com', sendAt: '2026-12-01t10:00:00+01:00' }).sendAt).toBe(
      '2026-12-01T10:00:00+01:00',
    );
  });

  it('tells a malformed sendAt once, as malformed, never as a wall time missing its offset', () => {
    const malformed = expect.stringMatching(/^must be an RFC 3339 date-time, e\.g\./);
    // An offset RFC 3339 does not write (+0100, +01), a date alone, nothing: one problem, which is not the offset.
    for (const sendAt of ['2026-12-01T09:00:00+0100', '2026-12-01T09:00:00+01', '2026-12-01', '', '2026-12-01T09']) {
      expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt }), sendAt).toEqual([
        { path: 'sendAt', message: malformed },
      ]);
    }
    // A well-formed wall time lacks only its offset (or a timezone), and is told so.
    expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: '2026-12-01t09:00' })).toEqual([
      { path: 'sendAt', message: NO_OFFSET_NO_ZONE },
    ]);
  });

  it('says a sendAt given as a number is to be a date-time string, and points to delay for seconds from now', () => {
    const asNumber = {
      path: 'sendAt',
      message:
        'must be an RFC 3339 date-time as a string, e.g. "2026-12-01T09:00:00Z", not a number: for seconds from now, give delay',
    };
    expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: 1_796_673_600_000 })).toEqual([asNumber]);
    expect(errorsOf(MessagePatch, { sendAt: 1_796_673_600 })).toEqual([asNumber]);
  });

  it('says a date the calendar lacks does not exist, rather than listing the shapes a date-time may have', () => {
    const sendAtErrors = (sendAt: string, timezone?: string) =>
      errorsOf(MessageIn, { url: 'https://e.com', sendAt, ...(timezone && { timezone }) });
    expect(sendAtErrors('2026-02-30T09:00:00', 'Europe/Berlin')).toEqual([
      { path: 'sendAt', message: '2026-02-30 does not exist: February 2026 has 28 days' },
    ]);
    expect(sendAtErrors('2028-02-30T09:00:00Z')).toEqual([
      { path: 'sendAt', message: '2028-02-30 does not exist: February 2028 has 29 days' },
    ]);
    expect(sendAtErrors('2026-00-10T09:00:00Z')).toEqual([
      { path: 'sendAt', message: '2026-00-10 does not exist: the month is 01 to 12' },
    ]);
    // A date that exists with a time that does not keep the general words.
    expect(sendAtErrors('2026-02-28T25:00:00Z')).toEqual([
      { path: 'sendAt', message: expect.stringMatching(/^must be an RFC 3339 date-time/) },
    ]);
  });

  it('says a delay is a number of seconds, and what to write, when it is given as text ("10s") or anything else', () => {
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: '10s' })).toEqual([
      {
        path: 'delay',
        message: 'must be a number of seconds, such as 10 or 0.5, not a string: write "delay": 10, not "10" or "10s"',
      },
    ]);
    expect(errorsOf(MessagePatch, { delay: null })).toEqual([
      { path: 'delay', message: 'must be a number of seconds, such as 10 or 0.5' },
    ]);
  });

  it('says the bounds of delay in seconds and days', () => {
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 31_536_001 })).toEqual([
      { path: 'delay', message: 'must be at most 31,536,000 seconds (365 days)' },
    ]);
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: -1 })).toEqual([
      { path: 'delay', message: 'must be 0 or more seconds' },
    ]);
  });

  it('keeps a time zone as named, in the spelling and by the current name the tz database gives it', () => {
    const zoneOf = (timezone: string) =>
      MessageIn.parse({ url: 'https://e.com', sendAt: '2026-12-24T09:00', timezone }).timezone;
    expect(zoneOf('europe/berlin')).toBe('Europe/Berlin');
    expect(zoneOf('utc')).toBe('UTC');
    // ICU names it Asia/Calcutta; the tz database (and people) Asia/Kolkata.
    expect(zoneOf('asia/kolkata')).toBe('Asia/Kolkata');
    expect(zoneOf('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(zoneOf('europe/kyiv')).toBe('Europe/Kyiv');
    // A link keeps its own name, not its target's (ICU's America/New_York).
    expect(zoneOf('US/Eastern')).toBe('US/Eastern');
    expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: '2026-12-24T09:00', timezone: 'Mars/Base' })).toEqual([
      {
        path: 'timezone',
        message: 'unknown time zone "Mars/Base": give an IANA name such as Europe/Berlin or America/New_York',
      },
    ]);
  });

  it('says an empty timezone is empty, not an unknown zone named ""', () => {
    const empty = [
      {
        path: 'timezone',
        message: 'must not be empty: give an IANA name such as UTC or Europe/Berlin, or leave timezone out',
      },
    ];
    expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: '2026-12-24T09:00', timezone: '' })).toEqual(empty);
    expect(errorsOf(MessagePatch, { delay: 60, timezone: '' })).toEqual(empty);
  });

  it('takes the legacy names the tz database still links (US/Pacific, EST5EDT, CET, Zulu, Etc/GMT+5) by their own names', () => {
    const zoneOf = (timezone: string) =>
      MessageIn.parse({ url: 'https://e.com', sendAt: '2026-12-24T09:00', timezone }).timezone;
    // ICU would name them America/Los_Angeles, America/New_York, America/Panama, Europe/Brussels, UTC.
    for (const link of ['US/Pacific', 'EST5EDT', 'EST', 'CET', 'Zulu', 'GMT', 'Etc/UTC']) {
      expect(zoneOf(link)).toBe(link);
    }
    expect(zoneOf('utc')).toBe('UTC');
    // POSIX's sign: Etc/GMT+5 is five hours behind UTC, as the tz database has it.
    expect(zoneOf('Etc/GMT+5')).toBe('Etc/GMT+5');
  });

  it('says an offset written as a timezone (Z, +02:00, UTC+2) goes in sendAt, and that UTC is a name', () => {
    for (const timezone of ['Z', 'z', '+02:00', '-0530', '+14', 'UTC+2', 'GMT-05:00']) {
      expect(errorsOf(MessageIn, { url: 'https://e.com', sendAt: '2026-12-24T09:00', timezone }), timezone).toEqual([
        {
          path: 'timezone',
          message: `unknown time zone ${JSON.stringify(timezone)}: timezone takes an IANA name such as UTC or Europe/Berlin; a fixed offset goes in sendAt itself: 2026-12-01T09:00:00+02:00, or 2026-12-01T09:00:00Z for UTC`,
        },
      ]);
    }
    expect(errorsOf(MessagePatch, { delay: 60, timezone: '+01:00' })).toEqual([
      { path: 'timezone', message: expect.stringContaining('a fixed offset goes in sendAt itself') },
    ]);
  });

  it('shows a name the caller chose cut to 100 characters, so a problem never echoes a huge one', () => {
    const name = 'k'.repeat(1_000_000);
    const cut = `${'k'.repeat(100)}…`;
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, [name]: 1 })).toEqual([
      { path: cut, message: 'unknown field' },
    ]);
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, headers: { [`${name}:`]: 'v' } })).toContainEqual({
      path: `headers.${cut}`,
      message: expect.stringContaining('HTTP tokens'),
    });
  });

  it('refuses a URL the parser would send somewhere other than it reads, each with what to write instead', () => {
    const problemOf = (url: string) => errorsOf(MessageIn, { url, delay: 1 });
    const control = [{ path: 'url', message: 'has a space or control character: percent-encode it (a space is %20)' }];
    // Node drops the line break and sends `/aX-Injected:%201`; the message would show the original.
    expect(problemOf('http://127.0.0.1:9100/a\r\nX-Injected: 1')).toEqual(control);
    expect(problemOf('http://e.com/a b')).toEqual(control);
    expect(problemOf(' http://e.com/')).toEqual(control);
    expect(problemOf('http://e.com/\t')).toEqual(control);
    expect(problemOf('http://e.com/\u0000')).toEqual(control);
    expect(problemOf('http://a.com\\@b.com/')).toEqual([
      { path: 'url', message: 'has a backslash: write / between path segments, or percent-encode it as %5C' },
    ]);
    const hostFirst = [
      { path: 'url', message: 'must name its host right after the scheme, as in https://example.com/hook' },
    ];
    expect(problemOf('http:///x')).toEqual(hostFirst);
    expect(problemOf('https:/e.com')).toEqual(hostFirst);
    expect(problemOf('http://127.0.0.1:0/')).toEqual([
      { path: 'url', message: 'has port 0, which no request can reach' },
    ]);
    // What the parser only spells otherwise is the same address: kept as written.
    for (const url of ['HTTP://E.COM:8080/p?a=1#f', 'http://[::1]:9000/x', 'http://exämple.com/ä', 'https://e.com/%20'])
      expect(problemOf(url)).toEqual([]);
  });

  it('refuses a user or password in the URL that does not percent-decode: it could never be sent', () => {
    expect(errorsOf(MessageIn, { url: 'https://a%ZZ:pw@e.com/', delay: 1 })).toEqual([
      { path: 'url', message: 'has a user or password that is not valid percent-encoding (write % as %25)' },
    ]);
    expect(errorsOf(MessageIn, { url: 'https://ops:50%@e.com/', delay: 1 })[0]?.path).toBe('url');
    expect(errorsOf(MessageIn, { url: 'https://al%40ice:50%25@e.com/', delay: 1 })).toEqual([]);
  });

  it('refuses headers Vigil sets itself, whatever their case', () => {
    const errors = errorsOf(MessageIn, {
      url: 'https://e.com',
      delay: 1,
      headers: { 'Webhook-Signature': 'x', 'Vigil-Attempt': '1' },
    });
    expect(errors.map((e) => e.path)).toEqual(['headers.Webhook-Signature', 'headers.Vigil-Attempt']);
  });

  it('caps metadata at ten tags', () => {
    const metadata = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(errorsOf(MessageIn, { url: 'https://e.com', delay: 1, metadata })[0]?.path).toBe('metadata');
  });
});

describe('a request as the API reads it (safeParseRequest)', () => {
  const requestErrorsOf = (input: unknown) => {
    const result = safeParseRequest(MessageIn, input);
    return result.success ? [] : fieldErrors(result.error);
  };

  it("says what is wrong in words to act on, not zod's: a missing url is required, a bound is at most, an option one of", () => {
    expect(requestErrorsOf({ delay: 1 })).toEqual([{ path: 'url', message: 'is required' }]);
    expect(
      requestErrorsOf({
        url: 'https://e.com',
        delay: 1,
        method: 'GET',
        timeoutMs: 100,
        retry: { maxAttempts: 50 },
        labels: 'billing',
        headers: { 'x-n': 1 },
      }),
    ).toEqual([
      { path: 'method', message: 'must be one of POST, PUT, PATCH' },
      { path: 'headers.x-n', message: 'must be a string, not a number' },
      { path: 'retry.maxAttempts', message: 'must be at most 20' },
      { path: 'timeoutMs', message: 'must be at least 1000' },
      { path: 'labels', message: 'must be a list, not a string' },
    ]);
    expect(requestErrorsOf([])).toEqual([{ path: '', message: 'must be an object, not a list' }]);
  });

  it('says an empty text or list must not be empty, not that it must be at least "1 characters"', () => {
    const Named = z.strictObject({ name: z.string().min(1).max(1), tags: z.array(z.string()).min(1) });
    const result = safeParseRequest(Named, { name: 'ab', tags: [] });
    expect(result.success ? [] : fieldErrors(result.error)).toEqual([
      { path: 'name', message: 'must be at most 1 character' },
      { path: 'tags', message: 'must not be empty' },
    ]);
    const empty = safeParseRequest(Named, { name: '', tags: ['a'] });
    expect(empty.success ? [] : fieldErrors(empty.error)).toEqual([{ path: 'name', message: 'must not be empty' }]);
  });

  it('names the field an unknown one was likely meant to be, at its own level, in a batch too', () => {
    const errorsOf = (schema: typeof MessageIn | typeof MessageBatchIn, input: unknown) => {
      try {
        parseOrThrow(schema, input);
        return [];
      } catch (error) {
        return [...(error as ValidationError).errors].sort((a, b) => a.path.localeCompare(b.path));
      }
    };
    const typos = {
      url: 'https://e.com',
      delay: 1,
      bodyy: {},
      header: {},
      time_out_ms: 1,
      retry: { maxAttempt: 3 },
      zzz: 1,
    };

    expect(errorsOf(MessageIn, typos)).toEqual([
      { path: 'bodyy', message: 'unknown field: did you mean body?' },
      { path: 'header', message: 'unknown field: did you mean headers?' },
      { path: 'retry.maxAttempt', message: 'unknown field: did you mean maxAttempts?' },
      { path: 'time_out_ms', message: 'unknown field: did you mean timeoutMs?' },
      { path: 'zzz', message: 'unknown field' },
    ]);
    expect(errorsOf(MessageBatchIn, { messages: [{ url: 'https://e.com', delay: 1, lables: ['a'] }] })).toEqual([
      { path: 'messages.0.lables', message: 'unknown field: did you mean labels?' },
    ]);
  });

  it("keeps a schema's own words where it has them", () => {
    expect(requestErrorsOf({ url: 'https://e.com', delay: -1 })).toEqual([
      { path: 'delay', message: 'must be 0 or more seconds' },
    ]);
  });
});

describe('a request with a great many mistakes', () => {
  const problems = (input: unknown) => {
    const result = MessageIn.safeParse(input);
    return result.success ? [] : validationErrorOf(result.error).errors;
  };
  const many = (count: number, entry: (i: number) => [string, unknown]) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => entry(i)));
  const valid = { url: 'https://example.com/hook', delay: 1 };

  it(`lists the first ${MAX_FIELD_ERRORS} problems and says how many more, in errors and in detail`, () => {
    const listed = problems({ ...valid, ...many(20_000, (i) => [`unknown${i}`, 0]) });
    expect(listed).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(listed[0]).toEqual({ path: 'unknown0', message: 'unknown field' });
    expect(listed.at(-1)).toEqual({ path: '', message: `and ${20_000 - MAX_FIELD_ERRORS} more problems not listed` });
    const error = new ValidationError(listed);
    expect(error.message.length).toBeLessThan(2_000);
    // Only the listed ones are made into entries; the rest are counted.
    const result = MessageIn.safeParse({ ...valid, ...many(20_000, (i) => [`unknown${i}`, 0]) });
    expect(fieldErrors(result.error!, [], MAX_FIELD_ERRORS)).toHaveLength(MAX_FIELD_ERRORS);
  });

  it('tells too many headers or metadata tags as one problem, without looking at each entry', () => {
    expect(problems({ ...valid, headers: many(100_000, (i) => [`bad name ${i}`, 'v']) })).toEqual([
      { path: 'headers', message: 'at most 50 headers (got 100000)' },
    ]);
    expect(problems({ ...valid, metadata: many(50_000, (i) => [`${'k'.repeat(65)}${i}`, 'v']) })).toEqual([
      { path: 'metadata', message: 'at most 10 metadata tags' },
    ]);
  });
});

describe('MessageBatchIn', () => {
  it('reports errors with the index of the message', () => {
    const errors = errorsOf(MessageBatchIn, {
      messages: [
        { url: 'https://e.com', delay: 1 },
        { url: 'nope', delay: 1 },
      ],
    });
    expect(errors).toEqual([{ path: 'messages.1.url', message: 'must be an absolute http or https URL' }]);
  });

  it('takes at most 100 messages', () => {
    const messages = Array.from({ length: 101 }, () => ({ url: 'https://e.com', delay: 1 }));
    expect(errorsOf(MessageBatchIn, { messages })[0]?.path).toBe('messages');
  });
});

describe('MessagePatch', () => {
  it('needs at least one change and at most one of sendAt and delay', () => {
    expect(errorsOf(MessagePatch, {})).toHaveLength(1);
    expect(errorsOf(MessagePatch, { delay: 5, sendAt: '2026-12-01T09:00:00Z' })).toHaveLength(1);
    expect(errorsOf(MessagePatch, { body: null })).toEqual([]);
  });
});

describe('names and descriptions people read', () => {
  it('are trimmed, and refused with a control character inside (NUL, a line break, a tab)', () => {
    expect(ApiKeyIn.parse({ name: '  ci – prod \n' })).toEqual({ name: 'ci – prod' });
    for (const name of ['a\u0000b', 'line\nbreak', 'tab\there']) {
      expect(ApiKeyIn.safeParse({ name }).success, JSON.stringify(name)).toBe(false);
    }
    const endpoint = { url: 'https://example.com/ops', events: ['key.created'] };
    expect(NotificationEndpointIn.safeParse({ ...endpoint, description: 'ops\u0007' }).success).toBe(false);
    expect(NotificationEndpointIn.parse({ ...endpoint, description: ' ops ' }).description).toBe('ops');
  });
});
