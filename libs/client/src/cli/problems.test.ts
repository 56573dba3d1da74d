import { describe, expect, it } from 'vitest';
import { errorFromResponse, VigilError, VigilNetworkError, VigilTimeoutError } from '../errors';
import { followPages } from '../follow-pages';
import { FILTER_FLAGS } from './filter';
import { toCliError } from './problems';

const refused = (errors: Array<{ path: string; message: string }>) =>
  errorFromResponse(
    422,
    { type: 'about:blank', title: 'Invalid', status: 422, detail: 'invalid', errors },
    new Headers(),
  );

describe('a refusal in the words of the command line', () => {
  it("names vigil send's flags, a field inside one, and the message a size rule is about", () => {
    const flags = { delay: '--in', sendAt: '--at', headers: '--header', 'retry.maxAttempts': '--retries' };
    const error = toCliError(
      refused([
        { path: 'delay', message: 'Too big: expected number to be <=31536000' },
        { path: 'headers.x-trace', message: 'is reserved' },
        { path: 'retry.maxAttempts', message: 'Too big' },
        { path: '', message: 'is 300023 bytes (url + body + headers + metadata); the limit is 262144' },
      ]),
      { flags },
    );
    expect(error.message).toBe(
      'the API refused the request (422): --in: Too big: expected number to be <=31536000; --header x-trace: is reserved; ' +
        '--retries: Too big; the message is 300023 bytes (url + body + headers + metadata); the limit is 262144',
    );
  });

  it('names the flag that set a field, and the flags its message mentions', () => {
    const error = toCliError(
      refused([
        { path: 'query.sendAtTo', message: 'must be after sendAtFrom' },
        { path: 'filter.status.1', message: 'cannot be cancelled' },
        { path: 'url', message: 'must be http(s)' },
      ]),
      { flags: FILTER_FLAGS },
    );

    expect(error).toMatchObject({
      code: 2,
      message:
        'the API refused the request (422): --send-before: must be after --send-after; --status: cannot be cancelled; url: must be http(s)',
    });
  });

  it('says which kind of thing was not found, by its id', () => {
    const notFound = errorFromResponse(
      404,
      { type: 'about:blank', title: 'Not found', status: 404, detail: 'x' },
      new Headers(),
    );

    expect(toCliError(notFound, { id: 'job_01JD8X4Q2Z7N5V3K9W6T0RYB1M' })).toMatchObject({
      code: 4,
      message: 'no job job_01JD8X4Q2Z7N5V3K9W6T0RYB1M',
    });
    expect(toCliError(notFound, { id: 'msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M' })).toMatchObject({
      code: 4,
      message: 'no message msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M',
      hint: 'check the id with vigil ls',
    });
  });
});

describe("a message's state that does not allow it (409)", () => {
  const conflict = (detail: string) =>
    errorFromResponse(409, { type: 'state-conflict', title: 'Conflict', status: 409, detail }, new Headers());
  const id = 'msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M';

  it('names the message once when the API already does', () => {
    const failure = toCliError(conflict(`Message ${id} is delivered and can no longer be cancelled.`), { id });

    expect(failure).toMatchObject({ code: 5, message: `Message ${id} is delivered and can no longer be cancelled.` });
  });

  it('names the message when the API does not', () => {
    expect(toCliError(conflict('Changed by another request.'), { id }).message).toBe(
      `${id}: Changed by another request.`,
    );
  });
});

describe('a limit of the plan (429)', () => {
  const limited = (type: string, detail: string) =>
    errorFromResponse(
      429,
      { type: `https://vigil.dev/problems/${type}`, title: 'x', status: 429, detail },
      new Headers(),
    );

  it('says to wait a moment for the request rate, and to wait for next month for the monthly quota', () => {
    expect(toCliError(limited('rate-limited', 'Too many requests.'))).toMatchObject({
      code: 6,
      message: 'Too many requests. (429)',
      hint: 'wait a moment and try again',
    });
    const monthly = "This month's quota of 1000 messages is used up (1000 scheduled); it renews on the 1st (UTC).";
    expect(toCliError(limited('quota-exceeded', monthly))).toMatchObject({
      code: 6,
      message: `${monthly} (429)`,
      hint: 'the quota renews at the start of next month (UTC)',
    });
  });
});

describe('a 429 that says when to try again', () => {
  it('names its Retry-After, so a person knows how long', () => {
    const refused = errorFromResponse(
      429,
      { type: 'https://vigil.dev/problems/rate-limited', title: 'x', status: 429, detail: 'Too many requests.' },
      new Headers({ 'retry-after': '30' }),
    );

    expect(toCliError(refused)).toMatchObject({ code: 6, hint: 'try again in 30s' });
  });
});

describe('an API that does not answer', () => {
  const apiUrl = 'http://127.0.0.1:4872';

  it('names why in words by the error\'s code, not as the request and fetch\'s "fetch failed"', () => {
    const refused = new VigilNetworkError(
      'GET http://127.0.0.1:4872/v1/messages?limit=20 got no answer: fetch failed (connect ECONNREFUSED 127.0.0.1:4872).',
      { code: 'ECONNREFUSED', url: `${apiUrl}/v1/messages?limit=20` },
    );

    expect(toCliError(refused, { apiUrl })).toMatchObject({
      code: 7,
      message: 'cannot reach the Vigil API at http://127.0.0.1:4872 (connection refused)',
      hint: 'check the URL (vigil login --api-url, or VIGIL_API_URL) and that the API is running',
    });
    expect(toCliError(new VigilNetworkError('GET x got no answer: fetch failed (bad port).'), { apiUrl }).message).toBe(
      'cannot reach the Vigil API at http://127.0.0.1:4872 (GET x got no answer: fetch failed (bad port))',
    );
  });

  it('says how long it waited, every try counted, and that a read is safe to try again', () => {
    const failure = toCliError(new VigilTimeoutError(15_000, { tries: 4 }), { apiUrl });

    expect(failure).toMatchObject({
      code: 7,
      message: 'no answer from the Vigil API at http://127.0.0.1:4872 in 4 tries of 15s each',
      hint: expect.stringMatching(/^try again later/),
    });
    expect(toCliError(new VigilTimeoutError(15_000), { apiUrl }).message).toBe(
      'no answer from the Vigil API at http://127.0.0.1:4872 within 15s',
    );
  });
});

describe('a wrong API URL, in one line', () => {
  it('hints at the API URL, not at an id, for a 404 of a command that named no id', () => {
    const error = errorFromResponse(
      404,
      { type: 'not-found', title: 'No such route', status: 404, detail: '/v1/v1/messages is not a Vigil API route.' },
      new Headers(),
    );

    const failure = toCliError(error, { apiUrl: 'http://localhost:4000/v1' });

    expect(failure.code).toBe(4);
    expect(failure.hint).toMatch(/^check the API URL http:\/\/localhost:4000\/v1: the API's root, without \/v1/);
    expect(failure.hint).not.toMatch(/vigil ls/);
  });

  it("says a success without the API's JSON is not the Vigil API from the error's url and status, whatever its detail says", () => {
    const error = new VigilError(
      { type: 'invalid-response', title: 'Not the API', status: 200, detail: 'Réponse illisible : baseUrl ?' },
      { url: 'http://localhost:3000/v1/messages?limit=20' },
    );

    const failure = toCliError(error, { apiUrl: 'http://localhost:3000' });

    expect(failure).toMatchObject({
      code: 7,
      message:
        "http://localhost:3000/v1/messages?limit=20 answered HTTP 200 without the Vigil API's JSON, so it is not the Vigil API",
      hint: 'check the URL (vigil login --api-url, or VIGIL_API_URL)',
    });
  });

  it("says what a listing that would never end answered, in the client's words, not as an answer without JSON", async () => {
    // A server (or a proxy, a cache) answering the same nextCursor, and one answering new empty pages.
    const sameCursor = followPages('GET /v1/messages', async () => ({ items: [], nextCursor: 'c1' }), undefined);
    let page = 0;
    const emptyPages = followPages(
      'GET /v1/messages',
      async () => ({ items: [], nextCursor: `c${++page}` }),
      undefined,
      3,
    );

    const failures = await Promise.all(
      [sameCursor, emptyPages].map(async (listing) => {
        try {
          for await (const _ of listing);
        } catch (error) {
          return toCliError(error, { apiUrl: 'http://localhost:3000' });
        }
        throw new Error('the listing ended');
      }),
    );

    expect(failures.map(({ code, message, hint }) => ({ code, message, hint }))).toEqual([
      {
        code: 7,
        message:
          'GET /v1/messages answered a nextCursor it had answered before (c1): following it would list the same pages without end, so the listing stopped there.',
        hint: 'check the URL (vigil login --api-url, or VIGIL_API_URL)',
      },
      {
        code: 7,
        message:
          'GET /v1/messages answered 3 empty pages in a row, each with a new nextCursor: more than the Vigil API answers for any listing, so the listing stopped there.',
        hint: 'check the URL (vigil login --api-url, or VIGIL_API_URL)',
      },
    ]);
  });

  it("says an invalid-response with neither url nor detail is not the Vigil API's JSON, from the API's URL", () => {
    const error = new VigilError({ type: 'invalid-response', title: 'Not the API', status: 200, detail: '' });

    const failure = toCliError(error, { apiUrl: 'http://localhost:3000' });

    expect(failure.message).toBe(
      "http://localhost:3000 answered HTTP 200 without the Vigil API's JSON, so it is not the Vigil API",
    );
  });

  it('flattens and shortens a web page that answered 404', () => {
    const page = `<!DOCTYPE html>\n<html>\n  <head><title>404</title></head>\n  <body>${'x'.repeat(500)}</body>\n</html>\n`;

    const failure = toCliError(errorFromResponse(404, page, new Headers()), { apiUrl: 'http://localhost:8080' });

    expect(failure.message).not.toMatch(/\n/);
    expect(failure.message.length).toBeLessThan(200);
    expect(failure.message).toMatch(/^not found \(<!DOCTYPE html> <html> <head><title>404/);
  });

  it('keeps an error with line breaks in its cause (https to an http port) on one line', () => {
    const failure = toCliError(new Error('write EPROTO 40E8:error:0A00010B:SSL routines::wrong version number:\n'));

    expect(failure.message).toBe('write EPROTO 40E8:error:0A00010B:SSL routines::wrong version number:');
  });
});
