/** The transport's rare paths, with an injected fetch (the common ones run against the real stack in vigil.int.test.ts). */
import { describe, expect, it } from 'vitest';
import { messageOut } from '../../../test-support/api-answers';
import { VigilAuthError, VigilNetworkError, VigilTimeoutError, VigilValidationError } from './errors';
import { DEFAULT_RETRY } from './retry-policy';
import type { Fetch, TransportOptions } from './transport';
import { send } from './transport';
import { Vigil } from './vigil';

const problem = (status: number) =>
  new Response(JSON.stringify({ type: 'x', title: 't', status, detail: 'd' }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/** A fetch that answers from a script, recording what it was asked, and the waits between tries. */
/**
 * An answer of 64 MiB in 1 MiB chunks, counting in `read` the chunks taken of it: it ends, so a
 * client that reads on ends too (such a read starves the timers).
 */
const sixtyFourMebibytes = (read: { chunks: number }, init?: ResponseInit) =>
  new Response(
    new ReadableStream({
      pull: (c) => {
        read.chunks += 1;
        c.enqueue(new Uint8Array(1024 * 1024));
        if (read.chunks === 64) c.close();
      },
    }),
    init,
  );

const scripted = (...answers: Array<() => Response | Promise<Response>>) => {
  const requests: Request[] = [];
  const waits: number[] = [];
  const fetch: Fetch = async (request) => {
    requests.push(request);
    const next = answers.shift();
    if (!next) throw new Error('no more answers scripted');
    return next();
  };
  const options = (extra: Partial<TransportOptions> = {}): TransportOptions => ({
    fetch,
    timeoutMs: 1_000,
    retry: { ...DEFAULT_RETRY, baseDelayMs: 100 },
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...extra,
  });
  return { requests, waits, options };
};

const refused = () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
};
const reset = () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
};

const post = () => new Request('http://api.test/v1/keys', { method: 'POST', body: '{"name":"a"}' });

describe('the transport', () => {
  it('waits what Retry-After asks before trying again', async () => {
    const { waits, options } = scripted(
      () => new Response(null, { status: 429, headers: { 'retry-after': '2' } }),
      () => new Response('{}', { status: 200 }),
    );
    const response = await send(options(), post(), 'unsafe');
    expect(response.status).toBe(200);
    expect(waits).toEqual([2_000]);
  });

  it('sends the same body and headers on every try', async () => {
    const { requests, options } = scripted(
      () => problem(503),
      () => problem(502),
      () => new Response('{}', { status: 201 }),
    );
    const request = new Request('http://api.test/v1/messages', {
      method: 'POST',
      headers: { 'idempotency-key': 'k-1' },
      body: '{"url":"https://example.com"}',
    });
    await send(options({ apiKey: 'vgl_test' }), request, 'keyed');
    expect(requests).toHaveLength(3);
    for (const sent of requests) {
      expect(sent.headers.get('idempotency-key')).toBe('k-1');
      expect(sent.headers.get('authorization')).toBe('Bearer vgl_test');
      expect(await sent.text()).toBe('{"url":"https://example.com"}');
    }
  });

  it('does not retry an unsafe call after a 5xx or a reset connection, but does after a refused one', async () => {
    const fiveHundred = scripted(() => problem(500));
    expect((await send(fiveHundred.options(), post(), 'unsafe')).status).toBe(500);
    expect(fiveHundred.requests).toHaveLength(1);

    const resetOnce = scripted(reset);
    const failure = await send(resetOnce.options(), post(), 'unsafe').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(VigilNetworkError);
    // Why, as the system's code: for words such as "the connection was reset" without reading the detail.
    expect(failure).toMatchObject({ code: 'ECONNRESET', url: 'http://api.test/v1/keys' });
    expect(resetOnce.requests).toHaveLength(1);

    const refusedOnce = scripted(refused, () => new Response('{}', { status: 201 }));
    expect((await send(refusedOnce.options(), post(), 'unsafe')).status).toBe(201);
    expect(refusedOnce.requests).toHaveLength(2);
  });

  it('sends any call again after a 409 that carries Retry-After (refused whole), and no call after one without', async () => {
    const conflict = (retryAfter?: string) => () => {
      const answer = problem(409);
      if (retryAfter !== undefined) answer.headers.set('retry-after', retryAfter);
      return answer;
    };
    const changedByOthers = scripted(conflict('1'), () => new Response('{}', { status: 200 }));
    expect((await send(changedByOthers.options(), post(), 'unsafe')).status).toBe(200);
    expect(changedByOthers.requests).toHaveLength(2);
    expect(changedByOthers.waits).toEqual([1_000]);

    const delivered = scripted(conflict());
    expect((await send(delivered.options(), post(), 'safe')).status).toBe(409);
    expect(delivered.requests).toHaveLength(1);
  });

  it('gives up after the retries allowed, with the last answer', async () => {
    const { requests, waits, options } = scripted(
      () => problem(503),
      () => problem(503),
      () => problem(503),
      () => problem(503),
    );
    expect((await send(options(), post(), 'safe')).status).toBe(503);
    expect(requests).toHaveLength(4);
    expect(waits).toEqual([75, 150, 300]);
  });

  it('never retries when told not to', async () => {
    const { requests, options } = scripted(() => problem(503));
    await send(options({ retry: { ...DEFAULT_RETRY, max: 0 } }), post(), 'safe');
    expect(requests).toHaveLength(1);
  });
});

describe('Vigil over an injected fetch', () => {
  it('gives every create its own Idempotency-Key unless given one, and keeps it across its retries', async () => {
    const keys: string[] = [];
    const answers = [503, 201, 201, 201];
    const vigil = new Vigil({
      baseUrl: 'http://api.test/',
      apiKey: 'vgl_test',
      retries: { baseDelayMs: 1 },
      fetch: async (request) => {
        keys.push(request.headers.get('idempotency-key')!);
        const status = answers.shift()!;
        return status === 201 ? Response.json(messageOut(), { status }) : problem(status);
      },
    });
    await vigil.messages.create({ url: 'https://example.com', in: '10m' });
    await vigil.messages.create({ url: 'https://example.com', in: '10m' });
    await vigil.messages.create({ url: 'https://example.com', in: '10m', idempotencyKey: 'mine' });
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[3]).toBe('mine');
    expect(keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
  });

  it('makes no request for an empty batch', async () => {
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      fetch: () => Promise.reject(new Error('no request expected')),
    });
    await expect(vigil.messages.createBatch([])).resolves.toEqual([]);
  });

  it('sends `in` as the API’s delay in seconds and `retries` as maxAttempts', async () => {
    let body: unknown;
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      fetch: async (request) => {
        body = await request.json();
        return Response.json(messageOut(), { status: 201 });
      },
    });
    await vigil.messages.create({ url: 'https://example.com', in: '1h30m', retries: 4, idempotencyKey: 'k' });
    expect(body).toEqual({ url: 'https://example.com', delay: 5_400, retry: { maxAttempts: 5 } });
  });
});

describe('timeouts and aborts', () => {
  const never: Fetch = () => new Promise<Response>(() => undefined);

  it('ends a try at its timeout even when the fetch ignores its signal, and retries it as allowed', async () => {
    const { options } = scripted();
    let tries = 0;
    const started = Date.now();
    const error = await send(
      options({
        timeoutMs: 50,
        fetch: (request) => {
          tries += 1;
          return never(request);
        },
      }),
      post(),
      'keyed',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilTimeoutError);
    expect(tries).toBe(4);
    expect(Date.now() - started).toBeLessThan(1_000);
    // It says how long it waited in all: each try's timeout, and how many tries went unanswered.
    expect(error).toMatchObject({ timeoutMs: 50, tries: 4, url: 'http://api.test/v1/keys' });
    expect((error as Error).message).toBe('No answer from the Vigil API within 50 ms (4 tries).');
  });

  it('times out an answer whose body never ends', async () => {
    const { options } = scripted();
    const stalled = () =>
      Promise.resolve(new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array([123])) })));
    const error = await send(options({ timeoutMs: 50, fetch: stalled }), post(), 'unsafe').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilTimeoutError);
  });

  it('stops reading an answer past 10 MiB (an endless body) and does not ask again, where it read on to the end of memory', async () => {
    // Prepare: a server whose 200 goes on and on, 1 MiB a chunk, counting what was read of it.
    const read = { chunks: 0 };
    const endless = () => sixtyFourMebibytes(read);
    const { requests, options } = scripted(endless, endless);

    // Act
    const error = await send(options({ timeoutMs: 10_000 }), new Request('http://api.test/v1/messages'), 'safe').catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(VigilNetworkError);
    expect(error).toMatchObject({ type: 'response-too-large', url: 'http://api.test/v1/messages' });
    expect((error as Error).message).toBe(
      "GET http://api.test/v1/messages answered more than 10 MiB, more than any answer of the Vigil API: not read further (is the URL the API's?).",
    );
    expect(read.chunks).toBeLessThanOrEqual(12);
    expect(requests).toHaveLength(1);
  });

  it('refuses an answer whose Content-Length says more than 10 MiB without reading it, and reads one at the bound', async () => {
    // Prepare: a body of 64 MiB announced as 10 MiB and a byte; and one of 10 MiB.
    const read = { chunks: 0 };
    const announced = () => sixtyFourMebibytes(read, { headers: { 'content-length': String(10 * 1024 * 1024 + 1) } });
    const atBound = () => new Response(new Uint8Array(10 * 1024 * 1024).fill(0x20));
    const { options } = scripted(announced, atBound);

    // Act, Assess: refused before its body is read (a stream may fill its first chunk on its own).
    await expect(send(options(), new Request('http://api.test/v1/messages'), 'safe')).rejects.toMatchObject({
      type: 'response-too-large',
    });
    expect(read.chunks).toBeLessThanOrEqual(1);
    const answer = await send(options(), new Request('http://api.test/v1/messages'), 'safe');
    expect((await answer.arrayBuffer()).byteLength).toBe(10 * 1024 * 1024);
  });

  it('rejects with the caller’s reason at once, between tries as well', async () => {
    const controller = new AbortController();
    const { options } = scripted(() => problem(503));
    const waiting = send(
      options({
        sleep: (ms, signal) => new Promise((_, fail) => signal?.addEventListener('abort', () => fail(signal.reason))),
      }),
      post(),
      'safe',
      controller.signal,
    );
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('a key or header that cannot be sent', () => {
  it('is refused before sending, without quoting the key (Headers’ TypeError quoted it)', async () => {
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      apiKey: 'vgl_topsecret\nx',
      fetch: () => Promise.reject(new Error('no request expected')),
    });

    const failure = await vigil.health().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VigilAuthError);
    expect((failure as Error).message).not.toMatch(/topsecret/);
    expect((failure as VigilAuthError).is('invalid-api-key')).toBe(true);
  });

  it('names a header whose value cannot be sent, not its value', async () => {
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      headers: { 'x-secret': 'hush\nhush' },
      fetch: () => Promise.reject(new Error('no request expected')),
    });

    const failure = await vigil.health().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VigilValidationError);
    expect((failure as Error).message).toBe(
      'headers.x-secret: its name or value cannot be sent as a header (checked before sending)',
    );
    expect((failure as VigilValidationError).errors).toEqual([
      { path: 'headers.x-secret', message: 'its name or value cannot be sent as a header' },
    ]);
    expect(JSON.stringify(failure)).toContain('x-secret');
    expect(JSON.stringify(failure)).not.toMatch(/hush/);
  });
});

describe('why no answer came', () => {
  it('is one line even when the cause has line breaks (an OpenSSL error)', async () => {
    const tls = Object.assign(new TypeError('fetch failed'), {
      cause: new Error('write EPROTO 40E8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:\n'),
    });
    const { options } = scripted(() => {
      throw tls;
    });

    const failure = await send({ ...options(), retry: { ...DEFAULT_RETRY, max: 0 } }, post(), 'safe').catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(VigilNetworkError);
    expect((failure as Error).message).toBe(
      'POST http://api.test/v1/keys got no answer: fetch failed (write EPROTO 40E8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:).',
    );
  });
});
