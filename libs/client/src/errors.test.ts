import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  parseRetryAfter,
  VigilAuthError,
  VigilConflictError,
  VigilError,
  VigilNotFoundError,
  VigilRateLimitError,
  VigilServerError,
  VigilValidationError,
} from './errors';
import { Vigil } from './vigil';

const problem = (status: number, extra: Record<string, unknown> = {}) => ({
  type: `https://vigil.dev/problems/p${status}`,
  title: 'A title',
  status,
  detail: `detail ${status}`,
  ...extra,
});

describe('errors from problem+json answers', () => {
  it.each([
    [400, VigilValidationError],
    [401, VigilAuthError],
    [403, VigilAuthError],
    [404, VigilNotFoundError],
    [409, VigilConflictError],
    [413, VigilValidationError],
    [415, VigilValidationError],
    [422, VigilValidationError],
    [429, VigilRateLimitError],
    [500, VigilServerError],
    [503, VigilServerError],
  ])('maps %i to its class, keeping type, title, status and detail', (status, kind) => {
    const error = errorFromResponse(status, problem(status), new Headers());
    expect(error).toBeInstanceOf(kind);
    expect(error).toBeInstanceOf(VigilError);
    expect(error).toMatchObject({ type: `https://vigil.dev/problems/p${status}`, title: 'A title', status });
    expect(error.message).toBe(`detail ${status}`);
  });

  it('keeps every field error with its path, and the request id', () => {
    const errors = [
      { path: 'messages.3.url', message: 'must be a URL' },
      { path: 'retry.maxAttempts', message: 'must be at most 20' },
    ];
    const error = errorFromResponse(422, problem(422, { errors, requestId: 'req-1' }), new Headers());
    expect(error.errors).toEqual(errors);
    expect(error.requestId).toBe('req-1');
  });

  it('names the problem kind whatever the URI prefix', () => {
    const error = errorFromResponse(
      429,
      problem(429, { type: 'https://vigil.dev/problems/quota-exceeded' }),
      new Headers(),
    );
    expect(error.is('quota-exceeded')).toBe(true);
    expect(error.is('rate-limited')).toBe(false);
    expect(errorFromResponse(429, problem(429, { type: 'rate-limited' }), new Headers()).is('rate-limited')).toBe(true);
  });

  it('gives a rate-limit error the Retry-After seconds', () => {
    const error = errorFromResponse(429, problem(429), new Headers({ 'retry-after': '7' }));
    expect((error as VigilRateLimitError).retryAfter).toBe(7);
  });

  it('makes a problem of an answer that is not one (a proxy page), keeping its start', () => {
    const error = errorFromResponse(502, '<html>Bad gateway</html>', new Headers());
    expect(error).toBeInstanceOf(VigilServerError);
    expect(error).toMatchObject({ type: 'about:blank', status: 502, detail: '<html>Bad gateway</html>' });
    expect(error.title).toMatch(/answered 502/);
  });
});

describe('the URL an error is about', () => {
  it('is the URL of the request answered so, or that got no answer; none for a call refused before sending', async () => {
    const answering = (answer: () => Promise<Response>) =>
      new Vigil({ baseUrl: 'http://api.test', retries: 0, fetch: answer });
    const failureOf = (call: Promise<unknown>): Promise<VigilError> =>
      call.then(
        () => Promise.reject(new Error('resolved')),
        (error: unknown) => error as VigilError,
      );

    const notFound = await failureOf(
      answering(async () => new Response(JSON.stringify(problem(404)), { status: 404 })).messages.get('msg_1'),
    );
    const limited = await failureOf(
      answering(async () => new Response(JSON.stringify(problem(429)), { status: 429 })).messages.listPage({
        limit: 5,
      }),
    );
    const unreachable = await failureOf(
      answering(() => Promise.reject(new TypeError('fetch failed'))).messages.cancel('msg_1'),
    );
    const refused = await failureOf(answering(async () => new Response('{}')).messages.get(''));

    expect(notFound).toMatchObject({ status: 404, url: 'http://api.test/v1/messages/msg_1' });
    expect(limited).toMatchObject({ status: 429, url: 'http://api.test/v1/messages?limit=5' });
    expect(unreachable).toMatchObject({ status: 0, url: 'http://api.test/v1/messages/msg_1' });
    expect(refused).toBeInstanceOf(VigilValidationError);
    expect(refused.url).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-01T09:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('Tue, 01 Dec 2026 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('a call refused before it is sent', () => {
  // Never sent: the fetch would throw if it were.
  const vigil = new Vigil({
    apiKey: 'vgl_x',
    baseUrl: 'http://127.0.0.1:9',
    fetch: () => Promise.reject(new Error('nothing is sent')),
  });
  const refusal = (create: () => Promise<unknown>) => create().catch((error: unknown) => error);

  it('is a VigilValidationError naming the field, as the API would refuse it', async () => {
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => vigil.messages.create({ url: 'https://e.com', in: '10x' }), 'in', /"10x" is not a duration/],
      [() => vigil.messages.create({ url: 'https://e.com', in: -5 }), 'in', /0 or more seconds/],
      [
        () => vigil.messages.create({ url: 'https://e.com', in: '1m', delay: 5 }),
        '',
        /one of `in`, `sendAt` or `delay`/,
      ],
      [() => vigil.messages.create({ url: 'https://e.com', sendAt: new Date('nope') }), 'sendAt', /invalid Date/],
      [
        () => vigil.messages.create({ url: 'https://e.com', in: '1m', retries: 2, retry: { maxAttempts: 3 } }),
        'retries',
        /not both/,
      ],
      [() => vigil.messages.createBatch([], { idempotencyKey: 'k'.repeat(241) }), 'idempotencyKey', /240 printable/],
      // Characters the API cannot read as sent (it answers 400), and none: refused before sending.
      [
        () => vigil.messages.create({ url: 'https://e.com', in: '1m', idempotencyKey: 'ключ' }),
        'idempotencyKey',
        /ASCII/,
      ],
      [
        () => vigil.messages.create({ url: 'https://e.com', in: '1m', idempotencyKey: '' }),
        'idempotencyKey',
        /1 to 255/,
      ],
      [() => vigil.messages.cancelMany({ ids: ['msg_x'] }, { idempotencyKey: 'café' }), 'idempotencyKey', /ASCII/],
    ];
    for (const [create, path, message] of cases) {
      const error = await refusal(create);
      expect(error).toBeInstanceOf(VigilValidationError);
      expect((error as VigilValidationError).is('validation-failed')).toBe(true);
      expect((error as VigilValidationError).errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
  });
});
