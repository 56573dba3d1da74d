/** The client's calls over an injected fetch: how answers that are not the API's are reported. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointOut, jobOut, messageOut } from '../../../test-support/api-answers';
import {
  VigilAuthError,
  VigilBatchError,
  VigilConflictError,
  VigilError,
  VigilKeyNotShownError,
  VigilNotFoundError,
  VigilValidationError,
} from './errors';
import { LosslessNumber } from './exact-json';
import { jsonText } from './json-text';
import { Vigil } from './vigil';

/** A client whose every request gets `answer()` (not retried), and the requests it sent. */
const clientRecording = (answer: () => Response) => {
  const sent: Request[] = [];
  const vigil = new Vigil({
    baseUrl: 'http://api.test',
    retries: 0,
    fetch: async (request) => {
      sent.push(request);
      return answer();
    },
  });
  return { vigil, sent };
};

/** A client whose every request gets `answer()`. */
const clientAnswering = (answer: () => Response) => clientRecording(answer).vigil;

/** A client whose first request's answer is lost on the way, and whose next ones get `answer`. */
const losingFirstAnswer = (answer: () => Response) => {
  const sent: Request[] = [];
  const vigil = new Vigil({
    baseUrl: 'http://api.test',
    retries: { max: 2, baseDelayMs: 1 },
    fetch: async (request) => {
      sent.push(request);
      if (sent.length === 1) throw new TypeError('fetch failed');
      return answer();
    },
  });
  const keys = () => sent.map((request) => request.headers.get('idempotency-key'));
  return { vigil, sent, keys };
};

describe('an answer that is not the Vigil API’s', () => {
  it('is a VigilError naming the URL when a success is a web page, not a raw SyntaxError', async () => {
    const vigil = clientAnswering(
      () =>
        new Response('<!doctype html><html><body>Welcome</body></html>', {
          status: 200,
          headers: { 'content-type': 'text/html' },
        }),
    );

    const failure = await vigil.messages.get('msg_01JDX0000000000000000000AA').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VigilError);
    expect((failure as VigilError).is('invalid-response')).toBe(true);
    expect(failure).toMatchObject({ status: 200, url: 'http://api.test/v1/messages/msg_01JDX0000000000000000000AA' });
    expect((failure as VigilError).message).toBe(
      'The answer from http://api.test/v1/messages/msg_01JDX0000000000000000000AA (HTTP 200) is not JSON: is baseUrl the Vigil API?',
    );
  });

  it('is a VigilError when a success other than 204 is empty, not a message that resolves undefined', async () => {
    const vigil = clientAnswering(() => new Response(null, { status: 200 }));

    await expect(vigil.health()).rejects.toThrow(
      'The answer from http://api.test/health (HTTP 200) is empty: is baseUrl the Vigil API?',
    );
  });

  it('is not what a 204 is: revoking a key answers nothing', async () => {
    const vigil = clientAnswering(() => new Response(null, { status: 204 }));

    await expect(vigil.keys.revoke('key_01JDX0000000000000000000AA')).resolves.toBeUndefined();
  });
});

describe('a success from a server that is not the Vigil API, over HTTP', () => {
  // Prepare: a local server answering every request with `answer` (set by each test).
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
  const server = createServer((_, res) => {
    res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
  let baseUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const answering = (body: unknown, status = 200, type = 'application/json') => {
    answer = { status, type, body: typeof body === 'string' ? body : JSON.stringify(body) };
    return new Vigil({ baseUrl, apiKey: 'vgl_test', retries: 0 });
  };
  const failureOf = (call: Promise<unknown>) =>
    call.then(
      (value) => ({ resolved: value }),
      (error: unknown) => error,
    );
  const ID = 'msg_01JDX0000000000000000000AA';

  it('is a VigilError invalid-response from every call, never an answer with undefined ids: a health page, a login page', async () => {
    for (const [status, type, body] of [
      // A proxy's health page, and a login page (a captive portal), each at 200.
      [200, 'application/json', { status: 'UP', groups: ['liveness'] }],
      [200, 'text/html', '<!doctype html><html><body><form action="/login">Sign in</form></body></html>'],
      // An older API's answer: a 201 with the id under another name.
      [201, 'application/json', { messageId: ID, state: 'SCHEDULED' }],
    ] as const) {
      const vigil = answering(body, status, type);
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['messages.create', () => vigil.messages.create({ url: 'https://example.com/hook', in: '1m' })],
        ['messages.createBatch', () => vigil.messages.createBatch([{ url: 'https://example.com/hook' }])],
        ['messages.get', () => vigil.messages.get(ID)],
        ['messages.attempts', () => vigil.messages.attempts(ID)],
        ['messages.update', () => vigil.messages.update(ID, { metadata: {} })],
        ['messages.cancel', () => vigil.messages.cancel(ID)],
        ['messages.retry', () => vigil.messages.retry(ID)],
        ['messages.redeliver', () => vigil.messages.redeliver(ID)],
        ['messages.cancelMany', () => vigil.messages.cancelMany({ ids: [ID] })],
        ['messages.redeliverMany', () => vigil.messages.redeliverMany({ ids: [ID] })],
        ['messages.listPage', () => vigil.messages.listPage()],
        [
          'messages.list',
          async () => {
            for await (const _ of vigil.messages.list());
          },
        ],
        ['jobs.get', () => vigil.jobs.get('job_01JDX0000000000000000000AA')],
        ['jobs.listPage', () => vigil.jobs.listPage()],
        ['keys.list', () => vigil.keys.list()],
        ['keys.create', () => vigil.keys.create({ name: 'deploy bot' })],
        ['keys.revoke', () => vigil.keys.revoke('key_01JDX0000000000000000000AA')],
        ['notificationEndpoints.list', () => vigil.notificationEndpoints.list()],
        ['notificationEndpoints.add', () => vigil.notificationEndpoints.add({ url: 'https://ops.example/hook' })],
        ['notificationEndpoints.remove', () => vigil.notificationEndpoints.remove('nep_01JDX0000000000000000000AA')],
        ['notificationEndpoints.test', () => vigil.notificationEndpoints.test('nep_01JDX0000000000000000000AA')],
        [
          'notificationEndpoints.deliveries',
          () => vigil.notificationEndpoints.deliveries('nep_01JDX0000000000000000000AA'),
        ],
        ['signingSecret.get', () => vigil.signingSecret.get()],
        ['signingSecret.rotate', () => vigil.signingSecret.rotate()],
        ['usage', () => vigil.usage()],
        ['health', () => vigil.health()],
        ['session.claimTenant', () => vigil.session.claimTenant()],
        ['session.revoke', () => vigil.session.revoke()],
      ];

      for (const [name, call] of calls) {
        const failure = await failureOf(call());

        // A batch says which chunk failed, and why in its cause.
        const error = failure instanceof VigilBatchError ? failure.cause : failure;
        expect(error, `${name} answered ${status} ${type}`).toBeInstanceOf(VigilError);
        expect((error as VigilError).is('invalid-response'), `${name}: ${String(error)}`).toBe(true);
        expect(error).toMatchObject({ status, url: expect.stringMatching(`^${baseUrl}/`) });
      }
    }
  });

  it('says what is missing, by the field the API names, with the URL and status', async () => {
    const cases: Array<[unknown, string]> = [
      [{ status: 'UP' }, 'no message id'],
      [{ id: ID }, 'no message status'],
      [{ ...messageOut(), id: '' }, 'message id is empty'],
      [{ ...messageOut(), attempts: '0' }, 'message attempts is a string'],
      [[messageOut()], 'an array, not a message'],
      ['"ok"', 'a string, not a message'],
      [null, 'null, not a message'],
    ];
    for (const [body, mismatch] of cases) {
      const failure = await failureOf(answering(body).messages.get(ID));

      expect(failure).toBeInstanceOf(VigilError);
      expect(failure).toMatchObject({
        status: 200,
        url: `${baseUrl}/v1/messages/${ID}`,
        message: `${baseUrl}/v1/messages/${ID} answered HTTP 200, but not as the Vigil API does (${mismatch}): is baseUrl the Vigil API?`,
        problem: { type: 'invalid-response', mismatch },
      });
    }
  });

  it('names the item and the field inside an answer: a page, a job, a usage report', async () => {
    const page = { items: [messageOut(), { ...messageOut(), url: undefined }], nextCursor: null, previousCursor: null };
    const job = { ...jobOut(), counts: { done: 1, skipped: 0 } };
    const usage = { days: [], monthToDate: { date: '2026-12-01' }, plan: { name: 'free' } };

    const mismatchOf = async (call: Promise<unknown>) => ((await failureOf(call)) as VigilError).problem.mismatch;

    expect(await mismatchOf(answering(page).messages.listPage())).toBe('no message url in items[1]');
    expect(await mismatchOf(answering({ ...page, items: [], nextCursor: 7 }).messages.listPage())).toBe(
      'message page nextCursor is a number',
    );
    expect(await mismatchOf(answering(job).jobs.get('job_01JDX0000000000000000000AA'))).toBe('no job counts.failed');
    expect(await mismatchOf(answering(usage).usage())).toBe('no usage report monthToDate.scheduled');
  });

  it('is not thrown for what a newer API adds: fields, and a status no version has yet', async () => {
    const newer = {
      ...messageOut(),
      status: 'paused',
      pausedBy: 'ops',
      lastAttempt: { n: 1, startedAt: 'x', phase: 'tls' },
    };

    const message = await answering(newer).messages.get(ID);
    const page = await answering({
      items: [newer],
      nextCursor: null,
      previousCursor: null,
      total: 1,
    }).messages.listPage();

    expect(message).toEqual(newer);
    expect(page.items).toEqual([newer]);
  });

  it('is a page of more items than asked for: not handed on (a broken server’s page of a thousand)', async () => {
    const thousand = Array.from({ length: 1000 }, () => messageOut());
    const jobs = Array.from({ length: 101 }, () => jobOut());

    const tooLong = await failureOf(
      answering({ items: thousand, nextCursor: null, previousCursor: null }).messages.listPage({ limit: 5 }),
    );
    const noLimit = await failureOf(answering({ items: jobs, nextCursor: null }).jobs.listPage());

    expect(tooLong).toBeInstanceOf(VigilError);
    expect((tooLong as VigilError).problem.mismatch).toBe('a page of 1,000 messages, more than the 5 asked for');
    expect((noLimit as VigilError).problem.mismatch).toBe('a page of 101 jobs, more than the 100 a page holds');
  });

  it('is a batch answered with fewer messages than were sent: a VigilBatchError, not a short list', async () => {
    const failure = await failureOf(
      answering({ items: [messageOut()] }, 201).messages.createBatch([
        { url: 'https://example.com/a' },
        { url: 'https://example.com/b' },
      ]),
    );

    expect(failure).toBeInstanceOf(VigilBatchError);
    expect((failure as VigilBatchError).created).toEqual([]);
    expect((failure as VigilBatchError).cause.problem.mismatch).toBe('1 created for the 2 messages sent');
  });
});

describe('a 401', () => {
  /** The API's answer to a request without a valid key, as the gateway sends it. */
  const unauthorized = () =>
    Response.json(
      {
        type: 'https://vigil.dev/problems/unauthorized',
        title: 'Missing or invalid API key',
        status: 401,
        detail: 'Send a valid API key as Authorization: Bearer <key>.',
        requestId: 'r-1',
      },
      { status: 401, headers: { 'content-type': 'application/problem+json' } },
    );
  const answering = (apiKey: string | undefined) =>
    new Vigil({ baseUrl: 'http://api.test', apiKey, retries: 0, fetch: async () => unauthorized() });

  it('says no key was sent when apiKey was undefined or empty (an environment variable not set), not what header to write', async () => {
    // `apiKey: process.env.VIGIL_API_KEY`, as README's example reads it, with the variable not set.
    for (const apiKey of [undefined, '']) {
      const error = await answering(apiKey)
        .messages.get('msg_01JDX0000000000000000000AA')
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(VigilAuthError);
      expect(error).toMatchObject({
        status: 401,
        requestId: 'r-1',
        url: 'http://api.test/v1/messages/msg_01JDX0000000000000000000AA',
        message: expect.stringMatching(
          /^No API key was sent: apiKey gave none \(undefined or empty: is the environment variable/,
        ),
      });
      expect((error as VigilAuthError).is('unauthorized')).toBe(true);
    }
  });

  it("keeps the API's words when a key was sent (unknown or revoked)", async () => {
    const error = await answering('vgl_unknown')
      .messages.get('msg_01JDX0000000000000000000AA')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VigilAuthError);
    expect((error as VigilAuthError).detail).toBe('Send a valid API key as Authorization: Bearer <key>.');
  });
});

describe('a baseUrl that is not the API’s root', () => {
  /** The API's answer to a path no route has, as the gateway sends it. */
  const noSuchRoute = (request: Request) =>
    Response.json(
      {
        type: 'https://vigil.dev/problems/no-such-route',
        title: 'No such route',
        status: 404,
        detail: `${new URL(request.url).pathname} is not a Vigil API route.`,
      },
      { status: 404, headers: { 'content-type': 'application/problem+json' } },
    );
  const getting = (baseUrl: string): Promise<VigilNotFoundError> =>
    new Vigil({ baseUrl, apiKey: 'vgl_k', retries: 0, fetch: async (request) => noSuchRoute(request) }).messages
      .get('msg_01JDX0000000000000000000AA')
      .then(
        () => {
          throw new Error('expected a refusal');
        },
        (e: unknown) => e as VigilNotFoundError,
      );

  it('says a baseUrl ending in /v1 is the cause, and the root to give, when the API finds no route', async () => {
    const error = await getting('http://localhost:4000/v1');

    expect(error).toBeInstanceOf(VigilNotFoundError);
    expect(error.is('no-such-route')).toBe(true);
    expect(error.message).toBe(
      '/v1/v1/messages/msg_01JDX0000000000000000000AA is not a Vigil API route. ' +
        "baseUrl http://localhost:4000/v1 ends in /v1, which every call adds: give the API's root, http://localhost:4000",
    );
    // The problem stays as the API sent it.
    expect(error.problem.detail).toBe('/v1/v1/messages/msg_01JDX0000000000000000000AA is not a Vigil API route.');
  });

  it('asks whether baseUrl is the API’s root for any other path no route has', async () => {
    expect((await getting('http://localhost:4000/api')).message).toBe(
      "/api/v1/messages/msg_01JDX0000000000000000000AA is not a Vigil API route. Is baseUrl http://localhost:4000/api the Vigil API's root (without /v1)?",
    );
  });

  it('is refused when made without its scheme (localhost:4000), which fetch reports only as an "unknown scheme"', () => {
    expect(() => new Vigil({ baseUrl: 'localhost:4000' })).toThrow(
      'new Vigil({ baseUrl }) needs the URL with its scheme: http://localhost:4000, not "localhost:4000".',
    );
    expect(() => new Vigil({ baseUrl: 'http://localhost:4000' })).not.toThrow();
  });
});

describe('messages.list() following cursors', () => {
  it('stops with a VigilError when a page answers a cursor it followed already, rather than list the same pages forever', async () => {
    // Prepare: a server whose second page points back at itself, as a broken proxy or cache might.
    let requests = 0;
    const page = (id: string, nextCursor: string) =>
      Response.json({ items: [messageOut({ id, status: 'delivered' })], nextCursor, previousCursor: null });
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: 0,
      fetch: async (request) => {
        requests++;
        // After 50 pages it ends, so that a client following on ends too.
        if (requests > 50) return Response.json({ items: [], nextCursor: null, previousCursor: null });
        return new URL(request.url).searchParams.get('cursor') === null ? page('msg_1', 'c1') : page('msg_2', 'c1');
      },
    });

    // Act
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const message of vigil.messages.list()) seen.push(message.id);
    })().catch((error: unknown) => error);

    // Assess: each page once, then an error saying why the listing stopped.
    expect(seen).toEqual(['msg_1', 'msg_2']);
    expect(requests).toBe(2);
    expect(failure).toBeInstanceOf(VigilError);
    expect((failure as VigilError).is('invalid-response')).toBe(true);
    expect((failure as VigilError).message).toBe(
      'GET /v1/messages answered a nextCursor it had answered before (c1): following it would list the same pages without end, so the listing stopped there.',
    );
  });
});

describe('an id no message, job, key or endpoint can have', () => {
  it('is refused before sending with a VigilValidationError naming it, for every call that takes an id', async () => {
    // Prepare: an API that would answer the list route (what `GET /v1/messages/` reached).
    const requests: string[] = [];
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: 0,
      fetch: async (request) => {
        requests.push(`${request.method} ${request.url}`);
        return new Response('{"items":[],"nextCursor":null,"previousCursor":null}', { status: 200 });
      },
    });
    const calls = [
      () => vigil.messages.get(''),
      () => vigil.messages.attempts(''),
      () => vigil.messages.body(''),
      () => vigil.messages.update(' ', { metadata: {} }),
      () => vigil.messages.cancel(''),
      () => vigil.messages.retry('..'),
      () => vigil.messages.redeliver('.'),
      () => vigil.jobs.get(''),
      () => vigil.keys.revoke(''),
      () => vigil.notificationEndpoints.remove(''),
      () => vigil.notificationEndpoints.test(''),
      () => vigil.notificationEndpoints.deliveries(''),
    ];

    // Act
    const failures = await Promise.all(
      calls.map((call) =>
        call().then(
          () => 'resolved',
          (error: unknown) => error,
        ),
      ),
    );

    // Assess
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(VigilValidationError);
      expect((failure as VigilValidationError).errors[0]?.path).toBe('id');
    }
    expect((failures[0] as Error).message).toBe('id: "" is not a message id (checked before sending)');
    expect(requests).toEqual([]);
  });
});

describe('an option or input given as undefined', () => {
  it('is as if left out: the default retries, and no field or query parameter sent for it', async () => {
    // Prepare: an API that fails every try (503), recording what it was sent.
    const sent: Array<{ url: string; body: string }> = [];
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      apiKey: undefined,
      timeoutMs: undefined,
      retries: { max: undefined, baseDelayMs: 1, maxDelayMs: undefined, maxTotalWaitMs: undefined },
      fetch: async (request) => {
        sent.push({ url: request.url, body: await request.text() });
        return new Response('{"type":"unavailable","title":"Unavailable","status":503,"detail":"x"}', { status: 503 });
      },
    });

    // Act
    await vigil.messages
      .create({ url: 'https://x.test/h', in: undefined, sendAt: '2026-12-24T09:00:00Z', headers: undefined })
      .catch(() => undefined);
    await vigil.messages.listPage({ status: 'failed', label: undefined, cursor: undefined }).catch(() => undefined);

    // Assess: 4 tries each (the default 3 retries), with only the fields given.
    expect(sent).toHaveLength(8);
    expect(JSON.parse(sent[0]!.body)).toEqual({ url: 'https://x.test/h', sendAt: '2026-12-24T09:00:00Z' });
    expect(sent[4]!.url).toBe('http://api.test/v1/messages?status=failed');
  });
});

describe("a message's body", () => {
  const ID = 'msg_01JDX0000000000000000000AA';
  const SENT = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890,"a":1,"a":2}';

  it('is the text its deliveries send, byte for byte, where the message read into values moves "1" first and rounds', async () => {
    // Prepare: the API's two answers, the message (its body written in place) and the body alone.
    const requests: string[] = [];
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: 0,
      fetch: async (request) => {
        requests.push(new URL(request.url).pathname);
        return request.url.endsWith('/body')
          ? new Response(SENT, { status: 200, headers: { 'content-type': 'application/json' } })
          : new Response(`${JSON.stringify(messageOut({ id: ID })).slice(0, -1)},"body":${SENT}}`, {
              status: 200,
              headers: { 'content-type': 'application/json' },
            });
      },
    });

    // Act
    const text = await vigil.messages.body(ID);
    const read = (await vigil.messages.get(ID)).body;

    // Assess
    expect(text).toBe(SENT);
    expect(requests).toEqual([`/v1/messages/${ID}/body`, `/v1/messages/${ID}`]);
    expect(Object.keys(read as object)).toEqual(['1', 'b', 'name', 'id', 'a']);
    expect(JSON.stringify(read)).not.toBe(SENT);
  });

  it('is a text body as it is, an empty body as empty, and undefined for a message without one (204)', async () => {
    const answering = (response: () => Response) => clientAnswering(response).messages.body(ID);

    await expect(
      answering(() => new Response('not JSON {', { headers: { 'content-type': 'text/plain; charset=utf-8' } })),
    ).resolves.toBe('not JSON {');
    await expect(answering(() => new Response('', { status: 200 }))).resolves.toBe('');
    await expect(answering(() => new Response(null, { status: 204 }))).resolves.toBeUndefined();
  });

  it('throws VigilNotFoundError for a message that does not exist', async () => {
    const problem = { type: 'https://vigil.dev/problems/not-found', title: 'No such message', status: 404 };
    const vigil = clientAnswering(() =>
      Response.json(problem, { status: 404, headers: { 'content-type': 'application/problem+json' } }),
    );

    await expect(vigil.messages.body(ID)).rejects.toBeInstanceOf(VigilNotFoundError);
  });
});

describe('a body given as JSON text (jsonText)', () => {
  const AS_WRITTEN = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890,"a":1,"a":2}';

  /** A client that keeps each request's body text and answers with a message. */
  const recording = () => {
    const bodies: string[] = [];
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: 0,
      fetch: async (request) => {
        bodies.push(await request.text());
        return request.url.endsWith('/batch')
          ? Response.json({ items: [messageOut(), messageOut()] }, { status: 202 })
          : Response.json(messageOut(), { status: 202 });
      },
    });
    return { vigil, bodies };
  };

  it('is sent as written: "b" before "1", the escape, the 20-digit number and the name given twice', async () => {
    // Prepare
    const { vigil, bodies } = recording();

    // Act
    await vigil.messages.create({ url: 'https://example.com/hook', in: 0, body: jsonText(AS_WRITTEN) });

    // Assess: the text sits in the request byte for byte, where a value would have been rewritten.
    expect(bodies[0]).toBe(`{"url":"https://example.com/hook","body":${AS_WRITTEN},"delay":0}`);
    expect(JSON.stringify({ body: JSON.parse(AS_WRITTEN) })).not.toContain(AS_WRITTEN);
  });

  it('is sent as written by createBatch and update too, whitespace and all, beside a LosslessNumber', async () => {
    const { vigil, bodies } = recording();
    const pretty = '{\n  "b": 1,\n  "1": [2, "\\/"]\n}';

    await vigil.messages.createBatch([
      { url: 'https://example.com/a', in: '1m', body: jsonText(pretty) },
      { url: 'https://example.com/b', in: '1m', body: { id: new LosslessNumber('12345678901234567890') } },
    ]);
    await vigil.messages.update('msg_01JDX0000000000000000000AA', { body: jsonText('[1E2,-0]') });

    expect(bodies[0]).toBe(
      `{"messages":[{"url":"https://example.com/a","body":${pretty},"delay":60},` +
        '{"url":"https://example.com/b","body":{"id":12345678901234567890},"delay":60}]}',
    );
    expect(bodies[1]).toBe('{"body":[1E2,-0]}');
  });

  it('is refused before any request when it is not JSON, naming body and why', async () => {
    const { vigil, bodies } = recording();
    const refusal = (text: unknown) => {
      try {
        void vigil.messages.create({ url: 'https://example.com/hook', body: jsonText(text as string) });
      } catch (error) {
        return error;
      }
      return undefined;
    };

    for (const text of ['{"b":1', '', 'hello', '[1,]', '{"a":"\ud800"}', 42]) {
      const error = refusal(text);
      expect(error, JSON.stringify(text)).toBeInstanceOf(VigilValidationError);
      expect((error as VigilValidationError).errors[0]!.path).toBe('body');
    }
    expect((refusal('{"b":1') as Error).message).toMatch(/^body: is not valid JSON: .+ \(checked before sending\)$/);
    expect((refusal('{"a":"\ud800"}') as Error).message).toContain('lone surrogate');
    expect(bodies).toEqual([]);
  });

  it('writes its values where another writer meets it, and a string of JSON is a string body', async () => {
    expect(JSON.stringify({ body: jsonText('{"b":1,"1":2}') })).toBe('{"body":{"1":2,"b":1}}');
    const { vigil, bodies } = recording();
    await vigil.messages.create({ url: 'https://example.com/hook', body: jsonText('"caf\\u00e9"') });
    expect(bodies[0]).toBe('{"url":"https://example.com/hook","body":"caf\\u00e9"}');
  });
});

describe('a redeliver or a retry now', () => {
  const MESSAGE = messageOut({ status: 'retrying' });

  it.each([
    ['messages.redeliver', (v: Vigil, key?: string) => v.messages.redeliver(MESSAGE.id, { idempotencyKey: key })],
    ['messages.retry', (v: Vigil, key?: string) => v.messages.retry(MESSAGE.id, { idempotencyKey: key })],
  ])(
    '%s sends the key it is given, so that a repeat of the call itself acts once, and a new one per call otherwise',
    async (_, call) => {
      const { vigil, sent } = clientRecording(() => Response.json(MESSAGE, { status: 202 }));
      await call(vigil, 'action-42');
      await call(vigil, 'action-42');
      await call(vigil);
      await call(vigil);
      const keys = sent.map((request) => request.headers.get('idempotency-key'));
      expect(keys.slice(0, 2)).toEqual(['action-42', 'action-42']);
      expect(new Set(keys).size).toBe(3);
    },
  );

  it.each([
    ['messages.redeliver', (v: Vigil) => v.messages.redeliver(MESSAGE.id)],
    ['messages.retry', (v: Vigil) => v.messages.retry(MESSAGE.id)],
  ])('%s is not retried when the message is in no state for it (409 state-conflict)', async (_, call) => {
    let refusals = 0;
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: { max: 2, baseDelayMs: 1 },
      fetch: async () => {
        refusals += 1;
        return new Response(
          JSON.stringify({ type: 'https://vigil.dev/problems/state-conflict', title: 't', status: 409, detail: 'd' }),
          { status: 409, headers: { 'content-type': 'application/problem+json' } },
        );
      },
    });
    await expect(call(vigil)).rejects.toThrow(VigilError);
    expect(refusals).toBe(1);
  });
});

describe('a keyed call the API answers as a repeat (200)', () => {
  const JOB = jobOut();
  const refused = () => {
    throw new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
  };
  const tooMany = () =>
    Response.json({ type: 'https://vigil.dev/problems/rate-limited', title: 't', status: 429 }, { status: 429 });
  const unavailable = () =>
    Response.json({ type: 'https://vigil.dev/problems/unavailable', title: 't', status: 503 }, { status: 503 });
  const lost = () => {
    throw new TypeError('fetch failed');
  };

  /** Whether onRepeat was called for a bulk redeliver whose tries are answered by `tries`, in turn. */
  const toldRepeat = async (tries: Array<() => Response>) => {
    let n = 0;
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: { max: 3, baseDelayMs: 1 },
      fetch: async () => tries[n++]!(),
    });
    let repeat = false;
    const job = await vigil.messages.redeliverMany(
      { filter: { status: ['failed'] } },
      { idempotencyKey: 'fix-42', onRepeat: () => (repeat = true) },
    );
    expect(job).toEqual(JOB);
    expect(n).toBe(tries.length);
    return repeat;
  };

  it('tells onRepeat when the first try is answered 200: an earlier request with the key did it', async () => {
    expect(await toldRepeat([() => Response.json(JOB, { status: 200 })])).toBe(true);
    expect(await toldRepeat([() => Response.json(JOB, { status: 202 })])).toBe(false);
  });

  it('tells onRepeat for a 200 after tries that did nothing (a refused connection, a 429)', async () => {
    expect(await toldRepeat([refused, tooMany, () => Response.json(JOB, { status: 200 })])).toBe(true);
  });

  it('does not tell it for a 200 after a try that may have done it itself (an answer lost, a 503)', async () => {
    expect(await toldRepeat([lost, () => Response.json(JOB, { status: 200 })])).toBe(false);
    expect(await toldRepeat([unavailable, () => Response.json(JOB, { status: 200 })])).toBe(false);
  });
});

describe("a keyed call: the message's actions and the account's", () => {
  const KEY = {
    id: 'key_01JDX0000000000000000000AA',
    name: 'deploy bot',
    prefix: 'vgl_abcdefgh',
    createdAt: '2026-12-07T10:00:00.000Z',
  };
  const SECRET = 'vgl_0123456789abcdefghijABCDEFGHIJ0123456789abc';
  const NOT_SHOWN = {
    ...KEY,
    keyNotShown: `… revoke the key (DELETE /v1/keys/${KEY.id}) and create another with a new Idempotency-Key.`,
  };

  const MESSAGE = messageOut({ status: 'retrying' });

  it.each([
    [
      'messages.redeliver',
      (v: Vigil) => v.messages.redeliver(MESSAGE.id),
      `/v1/messages/${MESSAGE.id}/redeliver`,
      MESSAGE,
    ],
    ['messages.retry', (v: Vigil) => v.messages.retry(MESSAGE.id), `/v1/messages/${MESSAGE.id}/retry`, MESSAGE],
    ['keys.create', (v: Vigil) => v.keys.create({ name: 'deploy bot' }), '/v1/keys', { ...KEY, key: SECRET }],
    [
      'signingSecret.rotate',
      (v: Vigil) => v.signingSecret.rotate(),
      '/v1/signing-secret/rotate',
      { secret: 'whsec_x' },
    ],
    [
      'notificationEndpoints.add',
      (v: Vigil) => v.notificationEndpoints.add({ url: 'https://ops.example/hook' }),
      '/v1/notification-endpoints',
      endpointOut(),
    ],
    [
      'notificationEndpoints.test',
      (v: Vigil) => v.notificationEndpoints.test('nep_01JDX0000000000000000000AA'),
      '/v1/notification-endpoints/nep_01JDX0000000000000000000AA/test',
      messageOut(),
    ],
  ])('%s carries an Idempotency-Key, and is retried with it after a lost answer', async (_, call, path, answer) => {
    const { vigil, sent, keys } = losingFirstAnswer(() => Response.json(answer, { status: 200 }));

    expect(await call(vigil)).toMatchObject(answer);
    expect(sent.map((request) => new URL(request.url).pathname)).toEqual([path, path]);
    expect(keys()[0]).toMatch(/^[\x21-\x7e]{16,}$/);
    expect(keys()[1]).toBe(keys()[0]);
  });

  it('sends the key it is given to each, so that a repeat of the call itself does nothing twice', async () => {
    // Each call's answer as the API gives it: the key, the secret, the endpoint, the test delivery.
    const answers = [{ ...KEY, key: SECRET }, { secret: 'whsec_x' }, endpointOut(), messageOut()];
    const { vigil, sent } = clientRecording(() => Response.json(answers[sent.length - 1], { status: 200 }));
    await vigil.keys.create({ name: 'deploy bot' }, { idempotencyKey: 'k-1' });
    await vigil.signingSecret.rotate({ idempotencyKey: 'k-2' });
    await vigil.notificationEndpoints.add({ url: 'https://ops.example/hook' }, { idempotencyKey: 'k-3' });
    await vigil.notificationEndpoints.test('nep_01JDX0000000000000000000AA', { idempotencyKey: 'k-4' });
    expect(sent.map((request) => request.headers.get('idempotency-key'))).toEqual(['k-1', 'k-2', 'k-3', 'k-4']);
  });

  it('throws VigilKeyNotShownError naming the key when a retry finds the key made, whose secret was lost with the first answer', async () => {
    const { vigil, keys } = losingFirstAnswer(() => Response.json(NOT_SHOWN, { status: 200 }));

    const failure = await vigil.keys.create({ name: 'deploy bot' }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VigilKeyNotShownError);
    expect(failure).toBeInstanceOf(VigilError);
    const error = failure as VigilKeyNotShownError;
    expect(error.apiKey).toMatchObject({ id: KEY.id, name: 'deploy bot' });
    expect(error.idempotencyKey).toBe(keys()[0]);
    expect(error.is('key-not-shown')).toBe(true);
    expect(error.url).toBe('http://api.test/v1/keys');
    expect(error.message).toContain(`${KEY.id} (deploy bot) was made by an earlier request`);
    expect(error.message).toContain(`DELETE /v1/keys/${KEY.id}`);
  });

  it('does not retry a key create refused at the limit (409), nor a rotation at its limit', async () => {
    let tries = 0;
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: { max: 2, baseDelayMs: 1 },
      fetch: async () => {
        tries += 1;
        return new Response(
          JSON.stringify({ type: 'https://vigil.dev/problems/rotation-limit', title: 't', status: 409, detail: 'd' }),
          { status: 409, headers: { 'content-type': 'application/problem+json' } },
        );
      },
    });
    await expect(vigil.signingSecret.rotate()).rejects.toThrow(VigilError);
    await expect(vigil.keys.create({ name: 'one too many' })).rejects.toThrow(VigilError);
    expect(tries).toBe(2);
  });
});

describe("a keyed call's 409", () => {
  // (Thrown at once when the message is in no state for it: 'a redeliver or a retry now' above.)
  it('is retried when the key is in use', async () => {
    const problem = (type: string) =>
      new Response(
        JSON.stringify({ type: `https://vigil.dev/problems/${type}`, title: 't', status: 409, detail: 'd' }),
        {
          status: 409,
          headers: { 'content-type': 'application/problem+json' },
        },
      );
    let tries = 0;
    const inUseThenDone = new Vigil({
      baseUrl: 'http://api.test',
      retries: { max: 2, baseDelayMs: 1 },
      fetch: async () =>
        ++tries === 1 ? problem('idempotency-key-in-use') : Response.json(messageOut(), { status: 200 }),
    });
    await inUseThenDone.messages.redeliver('msg_01JDX0000000000000000000AA');
    expect(tries).toBe(2);
  });

  it("throws VigilConflictError at once, with the API's words, for an add whose Idempotency-Key added an endpoint removed since", async () => {
    const detail =
      'The request with Idempotency-Key "ops-hook" is done: the notification endpoint it answered with, nep_01JDX0000000000000000000AA, has been removed since, so nothing was made again. To make it anew, send the request with a new Idempotency-Key.';
    let sent = 0;
    const vigil = new Vigil({
      baseUrl: 'http://api.test',
      retries: { max: 2, baseDelayMs: 1 },
      fetch: async () => {
        sent += 1;
        return new Response(
          JSON.stringify({
            type: 'https://vigil.dev/problems/state-conflict',
            title: 'The request conflicts with the current state',
            status: 409,
            detail,
          }),
          { status: 409, headers: { 'content-type': 'application/problem+json' } },
        );
      },
    });
    const error = await vigil.notificationEndpoints
      .add({ url: 'https://ops.example/hook' }, { idempotencyKey: 'ops-hook' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilConflictError);
    expect(error).toMatchObject({ status: 409, type: 'https://vigil.dev/problems/state-conflict' });
    expect((error as Error).message).toContain(detail);
    expect(sent).toBe(1);
  });
});
