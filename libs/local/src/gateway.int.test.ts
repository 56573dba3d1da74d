/**
 * The local gateway's answer when its authorizer fails rather than refuses: a store the authorizer
 * reads did not answer (throttled, down). That is no verdict on the credential, so the answer is a
 * 503 problem document a client retries, as API Gateway's AUTHORIZER_FAILURE is deployed
 * (infra/api.ts), never the 401 a client takes as "this key is wrong". The authorizer here is a
 * stand-in that throws, the one way to make only it fail. And a function that runs past its
 * timeout gets API Gateway's answer for one Lambda ended, as deployed.
 */
import { AuthorizerDenied } from '@vigil/functions/api/authorizer';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { corsFor, GATEWAY_PROBLEMS, gatewayResponseResources, problemTemplate } from '../../../infra/api';
import type { Authorizer, Gateway, GatewayOptions } from './gateway';
import { holdGatewayPort, REFUSED_CONNECTIONS, startGateway } from './gateway';
import { rawHttpConnection } from '../../../test-support/raw-http-connection';
import { receiverThread, stall } from '../../../test-support/stall';
import { testGatewayOptions } from '../../../test-support/test-gateway';

let gateway: Gateway | undefined;
const logged: string[] = [];

/** A gateway on a free port whose errors are kept in `logged`; by default every key is refused. */
const startTestGateway = async (options: Partial<GatewayOptions> = {}): Promise<Gateway> => {
  gateway = await startGateway({
    ...testGatewayOptions({ info: () => {}, warn: () => {}, error: (message) => void logged.push(message) }),
    ...options,
  });
  return gateway;
};

const gatewayWith = async (authorizer: Authorizer) => {
  const gateway = await startTestGateway({ authorizer });
  const response = await fetch(`${gateway.url}/v1/messages`, { headers: { authorization: 'Bearer vgl_any' } });
  return { response, problem: await response.json() };
};

afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
  logged.length = 0;
});

/** Listens on `port` and lets go: the error's code when it could not. */
const listenOnce = (port: number): Promise<string> =>
  new Promise((resolve) => {
    const other = createServer();
    other.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
    other.listen(port, '127.0.0.1', () => other.close(() => resolve('listened')));
  });

describe('the gateway’s port, held from before the stack starts until the gateway listens', () => {
  it('is no one else’s meanwhile, then the gateway’s, and free once the gateway stops', async () => {
    const held = await holdGatewayPort('127.0.0.1', 0);
    expect(held.port).toBeGreaterThan(0);
    // Let go in between (as before), the port the system chose was given to the next socket
    // asking for one, and the gateway's own listen then failed with EADDRINUSE.
    expect(await listenOnce(held.port)).toBe('EADDRINUSE');
    const gateway = await startTestGateway({ port: held.port, heldPort: held });
    expect(gateway.port).toBe(held.port);
    expect((await fetch(`${gateway.url}/v1/messages`)).status).toBe(401);
    await held.release(); // handed on: the gateway's now, so nothing happens
    expect((await fetch(`${gateway.url}/v1/messages`)).status).toBe(401);
    await gateway.stop();
    expect(await listenOnce(held.port)).toBe('listened');
  });

  it('is let go by release when the start fails before the gateway took it', async () => {
    const held = await holdGatewayPort('127.0.0.1', 0);
    await held.release();
    expect(await listenOnce(held.port)).toBe('listened');
  });

  it('refuses a port another process has, in words', async () => {
    const held = await holdGatewayPort('127.0.0.1', 0);
    await expect(holdGatewayPort('127.0.0.1', held.port)).rejects.toThrow(
      `port ${held.port} on 127.0.0.1 is already in use: stop the other process or set VIGIL_PORT`,
    );
    await held.release();
  });
});

describe('an authorizer that fails, not refuses', () => {
  it('answers 503 with a problem document saying to try again after Retry-After, and logs the failure', async () => {
    const { response, problem } = await gatewayWith(async () => {
      throw new Error('ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput');
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(problem).toMatchObject({
      type: 'https://vigil.dev/problems/unavailable',
      status: 503,
      detail: expect.stringContaining('try again'),
      requestId: expect.any(String),
    });
    expect(logged).toEqual(['authorizer failed']);
  });

  it('still answers 401 to a refusal', async () => {
    const { response, problem } = await gatewayWith(async () => {
      throw new AuthorizerDenied();
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(problem.type).toBe('https://vigil.dev/problems/unauthorized');
    expect(logged).toEqual([]);
  });
});

describe('a function that runs past its timeout', () => {
  it("answers 502 as API Gateway does for a function Lambda ended, and drops the handler's late answer", async () => {
    let finished = false;
    const gateway = await startTestGateway({
      functionTimeoutMs: 300,
      invocation: async (_functionName, run) => {
        await sleep(1_000);
        try {
          return await run();
        } finally {
          finished = true;
        }
      },
    });
    const started = Date.now();
    const response = await fetch(`${gateway.url}/health`);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      type: 'https://vigil.dev/problems/internal',
      status: 502,
      detail: expect.stringContaining('try again'),
      requestId: expect.any(String),
    });
    expect(logged).toContain('function timed out');

    await vi.waitFor(() => expect(finished).toBe(true), { timeout: 3_000 });
    // The gateway goes on answering.
    expect((await fetch(`${gateway.url}/no-such-route`)).status).toBe(404);
  });
});

describe('a function whose answer came during a stall of this process (stopped, or its event loop blocked)', () => {
  it('answers with it, not 502: the stall is given back to the function, whose store answered in time', async () => {
    // Prepare: a "store" on its own thread answering 50 ms after a call; the function waits for it.
    const store = await receiverThread(50, { body: 'stored' });
    try {
      const gateway = await startTestGateway({
        functionTimeoutMs: 1_000,
        invocation: async <T>() => {
          const stored = await (await fetch(store.url)).text();
          return { statusCode: 200, headers: {}, body: stored } as T;
        },
      });
      const answering = fetch(`${gateway.url}/health`);
      await store.arrived();
      stall(2_500); // the store answered 50 ms in; the function's timeout passes long before that is read

      const response = await answering;

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('stored');
      expect(logged).toEqual([]);
    } finally {
      await store.stop();
    }
  });

  it('still answers 502 for a function that never ends: within its timeout twice, plus the stall', async () => {
    const store = await receiverThread(undefined);
    try {
      const gateway = await startTestGateway({
        functionTimeoutMs: 400,
        invocation: async <T>() => (await fetch(store.url)) as T,
      });
      const started = performance.now();
      const answering = fetch(`${gateway.url}/health`);
      await store.arrived();
      stall(1_500);

      const response = await answering;
      const elapsed = performance.now() - started;

      expect(response.status).toBe(502);
      expect(logged).toEqual(['function timed out']);
      expect(elapsed).toBeGreaterThanOrEqual(1_500 + 400);
      expect(elapsed).toBeLessThan(1_500 + 2 * 400 + 250);
    } finally {
      await store.stop();
    }
    // The store gone, the function's call fails and the gateway logs it: here, not in the next
    // test's log (which once found it there, on a loaded machine).
    await vi.waitFor(() => expect(logged).toContain('function failed after its timeout'), { timeout: 5_000 });
  });
});

describe('a client that stalls halfway through its request', () => {
  it('is answered 408 with a problem document once its arrival time is up, and the gateway goes on', async () => {
    const gateway = await startTestGateway({ requestArrivalTimeoutMs: 500 });
    const { port } = gateway;
    const stalled = async (start: string) => {
      const socket = connect(port, '127.0.0.1');
      socket.write(start);
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
      return { answer, tookMs: Date.now() - started };
    };

    // Half a body: the head said 100 bytes, 3 came (on an open route: one that needs a key refuses
    // a request without one before reading its body).
    const body = await stalled(
      'POST /canary-receiver HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"u',
    );
    // Half a head.
    const head = await stalled('GET /health HTTP/1.1\r\nHost: x\r\n');
    for (const { answer, tookMs } of [body, head]) {
      expect(tookMs).toBeLessThan(3_000);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('content-type: application/problem+json');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
        type: 'https://vigil.dev/problems/timeout',
        status: 408,
        detail: expect.stringContaining('within 0.5 s'),
      });
    }
    expect(logged).toEqual([]);
    expect((await fetch(`${gateway.url}/no-such-route`)).status).toBe(404);
  });
});

describe('a kept-alive connection', () => {
  it('stays open while idle for longer than a request may take to arrive, and bounds its next request from its first byte', async () => {
    const gateway = await startTestGateway({ requestArrivalTimeoutMs: 500 });
    const client = await rawHttpConnection(gateway.port);
    try {
      // A request refused before its body is read (no key: 401), the body sent all the same.
      client.write(
        'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      );
      expect(await client.answer()).toMatch(/^HTTP\/1\.1 401 /);
      await sleep(1_200);
      client.write('GET /no-such-route HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await client.answer()).toMatch(/^HTTP\/1\.1 404 /);
      await sleep(1_200);

      // The next one stalls halfway through its head: 408 within its bound of its first byte.
      client.write('GET /health HTTP/1.1\r\nHost: x\r\n');
      const started = performance.now();
      const late = await client.answer();
      expect(late).toMatch(/^HTTP\/1\.1 408 /);
      expect(performance.now() - started).toBeGreaterThan(400);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(await client.answer()).toBe('no answer: closed');
    } finally {
      client.socket.destroy();
    }
  });
});

describe('requests pipelined on one connection (written at once, before any answer)', () => {
  it('answers each, in the order sent, a slow one first', async () => {
    let answeredSoFar = 0;
    const gateway = await startTestGateway({
      invocation: async <T>() => {
        const slow = answeredSoFar === 0;
        answeredSoFar += 1;
        await sleep(slow ? 300 : 0);
        return { statusCode: 200, headers: { 'content-length': '4' }, body: slow ? 'slow' : 'fast' } as T;
      },
    });
    const client = await rawHttpConnection(gateway.port);
    try {
      client.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3));
      const answers = [await client.answer(), await client.answer(), await client.answer()];
      expect(answers.map((answer) => answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(['slow', 'fast', 'fast']);
    } finally {
      client.socket.destroy();
    }
  });

  it.each([
    ['its head', 'GET /health HTTP/1.1\r\nHost: x\r\n'],
    [
      'its body',
      'POST /canary-receiver HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"u',
    ],
  ])(
    'answers a request that stalls halfway through %s behind a slow one 408 once that one is answered, and closes: it held the connection for good',
    async (_, stalled) => {
      const gateway = await startTestGateway({
        requestArrivalTimeoutMs: 500,
        invocation: async <T>() => {
          await sleep(700);
          return { statusCode: 200, headers: { 'content-length': '4' }, body: 'slow' } as T;
        },
      });
      const client = await rawHttpConnection(gateway.port);
      try {
        client.write(`GET /health HTTP/1.1\r\nHost: x\r\n\r\n${stalled}`);
        const started = performance.now();
        expect(await client.answer()).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\nslow$/);
        const late = await Promise.race([client.answer(), sleep(3_000).then(() => 'no answer in 3 s')]);
        expect(late).toMatch(/^HTTP\/1\.1 408 /);
        expect(performance.now() - started).toBeLessThan(2_000);
        expect(await client.answer()).toBe('no answer: closed');
      } finally {
        client.socket.destroy();
      }
    },
  );
});

describe('more requests at once than the gateway handles (maxRequestsInFlight), as from 200 tenants on a small machine', () => {
  /** A gateway whose functions run until `finish()`, counting how many run at once. */
  const busyGateway = async (options: Partial<GatewayOptions>, runMs?: number) => {
    let running = 0;
    let mostAtOnce = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const gateway = await startTestGateway({
      ...options,
      invocation: async <T>() => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await (runMs === undefined ? finished : sleep(runMs));
        running -= 1;
        return { statusCode: 200, headers: {}, body: 'ran' } as T;
      },
    });
    return { gateway, finish, mostAtOnce: () => mostAtOnce };
  };

  it('runs as many as it may, and answers one that waited its turn too long 503 with Retry-After, a problem document: all ran at once, each slower, past their timeouts', async () => {
    const { gateway, finish, mostAtOnce } = await busyGateway({ maxRequestsInFlight: 2, admissionWaitMs: 400 });
    const sent = [1, 2, 3].map(() => fetch(`${gateway.url}/health`));

    const refused = await Promise.race([sent[2]!, sleep(2_000).then(() => undefined)]);
    finish();

    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('content-type')).toBe('application/problem+json');
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(await refused?.json()).toMatchObject({
      type: 'https://vigil.dev/problems/unavailable',
      status: 503,
      detail: expect.stringContaining('(2 at once)'),
    });
    expect((await Promise.all(sent.slice(0, 2))).map((response) => response.status)).toEqual([200, 200]);
    expect(mostAtOnce()).toBe(2);
  });

  it('runs one that waits as soon as a turn is given back', async () => {
    const { gateway, mostAtOnce } = await busyGateway({ maxRequestsInFlight: 1, admissionWaitMs: 5_000 }, 100);

    const responses = await Promise.all([1, 2, 3, 4].map(() => fetch(`${gateway.url}/health`)));

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(mostAtOnce()).toBe(1);
  });
});

describe('more connections at once than the gateway keeps (maxConnections)', () => {
  it('answers one more 503 with Retry-After, a problem document, and closes it, and goes on answering those it keeps: thousands held by 200 tenants ran the process out of file descriptors, and the store stopped', async () => {
    let ran = 0;
    const gateway = await startTestGateway({
      maxConnections: 2,
      invocation: async <T>() => {
        ran += 1;
        return { statusCode: 200, headers: {}, body: 'ran' } as T;
      },
    });
    const kept = [await rawHttpConnection(gateway.port), await rawHttpConnection(gateway.port)];
    const request = 'GET /no-such-route HTTP/1.1\r\nHost: x\r\n\r\n';
    for (const client of kept) client.write(request);
    const one = await rawHttpConnection(gateway.port);
    try {
      one.write(`GET /health HTTP/1.1\r\nHost: x\r\nOrigin: ${PAGE}\r\n\r\n`);
      // It was closed as it opened: a reset the client could not tell from a crash.
      const refusal = await one.answer();
      expect(refusal).toMatch(/^HTTP\/1\.1 503 /);
      expect(refusal).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/);
      expect(refusal).toMatch(/\r\nretry-after: 1\r\n/);
      expect(refusal).toMatch(/\r\nconnection: close\r\n/);
      expect(refusal).toContain(`\r\naccess-control-allow-origin: ${PAGE}\r\n`);
      // Its body, in chunks.
      expect(refusal).toContain('"type":"https://vigil.dev/problems/unavailable"');
      expect(refusal).toContain(
        '"detail":"The local stack holds as many connections as it keeps (2 at once); try again after Retry-After."',
      );
      expect(await one.answer()).toBe('no answer: closed');
      expect(ran).toBe(0);
      for (const client of kept) expect(await client.answer()).toMatch(/^HTTP\/1\.1 404 /);
      kept[0]?.socket.destroy();
      await sleep(100);
      const next = await rawHttpConnection(gateway.port);
      next.write(request);
      expect(await next.answer()).toMatch(/^HTTP\/1\.1 404 /);
      next.socket.destroy();
    } finally {
      for (const client of [...kept, one]) client.socket.destroy();
    }
  });

  it(`closes one past those it answers 503 (REFUSED_CONNECTIONS, ${REFUSED_CONNECTIONS}) as it opens, so the file descriptors it holds stay bounded`, async () => {
    const gateway = await startTestGateway({ maxConnections: 1 });
    const held = [];
    try {
      for (let i = 0; i < 1 + REFUSED_CONNECTIONS; i += 1) held.push(await rawHttpConnection(gateway.port));
      const past = await rawHttpConnection(gateway.port);
      held.push(past);
      past.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await past.answer()).toMatch(/^no answer: /);
      const refused = held[1]!;
      refused.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await refused.answer()).toMatch(/^HTTP\/1\.1 503 /);
    } finally {
      for (const client of held) client.socket.destroy();
    }
  });
});

describe('a client that half-closes its side once its request is sent (socket.end())', () => {
  it('still gets the answer of a slow function, then the connection closes: Node dropped it unanswered', async () => {
    const gateway = await startTestGateway({
      invocation: async <T>() => {
        await sleep(500);
        return { statusCode: 201, headers: {}, body: 'made' } as T;
      },
    });
    const halfClosed = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(gateway.port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.end(request);
      });

    const answers = await Promise.all([
      halfClosed('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'),
      halfClosed(
        'POST /canary-receiver HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      ),
    ]);

    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 201 /);
      expect(answer).toContain('made');
    }
    expect(logged).toEqual([]);
  });
});

describe('stopping', () => {
  it('answers the requests under way before it closes, when given time to (a Ctrl-C of the stack)', async () => {
    let authorizing!: () => void;
    const started = new Promise<void>((resolve) => (authorizing = resolve));
    const stopping = await startTestGateway({
      authorizer: async () => {
        authorizing();
        await new Promise((resolve) => setTimeout(resolve, 300));
        throw new AuthorizerDenied();
      },
    });
    gateway = undefined;
    const answer = fetch(`${stopping.url}/v1/messages`, { headers: { authorization: 'Bearer vgl_any' } });
    await started;
    const stopAt = performance.now();
    await stopping.stop({ drainMs: 5_000 });
    expect((await answer).status).toBe(401);
    // As soon as the last answer is out, not at the end of the drain.
    expect(performance.now() - stopAt).toBeLessThan(2_000);
    // Closed to anything new.
    await expect(fetch(`${stopping.url}/health`)).rejects.toThrow();
  });
});

describe('a path no route has', () => {
  it('is a 404 of its own type, no-such-route, which a client tells from a message that does not exist (not-found)', async () => {
    const gateway = await startTestGateway();
    const response = await fetch(`${gateway.url}/v1/v1/messages/msg_01JDX0000000000000000000AA`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      type: 'https://vigil.dev/problems/no-such-route',
      title: 'No such route',
      detail:
        '/v1/v1/messages/msg_01JDX0000000000000000000AA is not a Vigil API route (see the API reference, openapi.yaml).',
    });
  });

  it('names the route meant when the path lacks its /v1 (curl localhost:4000/messages), and cuts a long path', async () => {
    const gateway = await startTestGateway();
    const detailOf = async (path: string) =>
      ((await (await fetch(`${gateway.url}${path}`)).json()) as { detail: string }).detail;

    expect(await detailOf('/messages')).toBe(
      '/messages is not a Vigil API route: its routes start with /v1 (/v1/messages).',
    );
    expect(await detailOf('/messages/msg_01JDX0000000000000000000AA/attempts')).toBe(
      '/messages/msg_01JDX0000000000000000000AA/attempts is not a Vigil API route: its routes start with /v1 (/v1/messages/msg_01JDX0000000000000000000AA/attempts).',
    );
    expect(await detailOf('/')).toBe('/ is not a Vigil API route (see the API reference, openapi.yaml).');
    expect(await detailOf(`/${'x'.repeat(5000)}`)).toBe(
      `/${'x'.repeat(199)}… is not a Vigil API route (see the API reference, openapi.yaml).`,
    );
  });
});

describe('a method a route does not take', () => {
  it('answers GET, PATCH and DELETE on the POST-only routes 405 with Allow: POST, before any key is checked (GET /v1/messages/batch was "No such message")', async () => {
    const gateway = await startTestGateway();
    for (const path of ['/v1/messages/batch', '/v1/messages/cancel', '/v1/messages/redeliver']) {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const response = await fetch(`${gateway.url}${path}`, { method, headers: { authorization: 'Bearer vgl_any' } });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get('allow')).toBe('POST');
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(await response.json()).toMatchObject({
          type: 'https://vigil.dev/problems/method-not-allowed',
          status: 405,
          detail: `${method} is not allowed here; use POST.`,
        });
      }
    }
  });
});

describe('rate limits', () => {
  /** Allows `Bearer <tenant id>` as that tenant, and `Bearer user-…` as a console user without a tenant (the claim route's). */
  const byToken: Authorizer = async (event) => {
    const token = String(event.headers?.authorization ?? '').replace('Bearer ', '');
    return {
      principalId: token,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }],
      },
      context: token.startsWith('user-')
        ? { userId: token, email: `${token}@example.com` }
        : { tenantId: token, plan: 'free' },
    };
  };
  const answered = <T>(): Promise<T> => Promise.resolve({ statusCode: 200, body: '' } as T);
  const statuses = async (url: string, token: string, count: number) => {
    const answers: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      await response.body?.cancel();
      answers.push(response.status);
    }
    return answers;
  };

  it("hold each tenant to its own plan's bucket, and a console user without a tenant to none (no usage plan on AWS): one never throttles another", async () => {
    const { url } = await startTestGateway({ authorizer: byToken, rateLimits: true, invocation: answered });
    // Past the free plan's burst of 20: the tenant is throttled, another tenant is not.
    expect(await statuses(`${url}/v1/messages`, 'tnt_noisy', 30)).toContain(429);
    expect(await statuses(`${url}/v1/messages`, 'tnt_quiet', 1)).toEqual([200]);
    // Users claiming their tenant: none is throttled, whatever the others sent (they shared one bucket).
    expect(await statuses(`${url}/v1/session/tenant`, 'user-1', 30)).not.toContain(429);
    expect(await statuses(`${url}/v1/session/tenant`, 'user-2', 1)).toEqual([200]);
  });
});

/** A page of a developer's own app on this machine, calling the API from a browser. */
const PAGE = 'http://localhost:5173';

describe("the refusals API Gateway answers itself, answered by the local gateway in the template's words", () => {
  /** The deployed gateway response for `responseType` (infra/api.ts), as a client reads it. */
  const deployed = (responseType: string) => {
    const answer = GATEWAY_PROBLEMS.find((problem) => problem.responseType === responseType);
    if (!answer) throw new Error(`the template answers no ${responseType}`);
    const { type, title, status } = JSON.parse(problemTemplate(answer));
    return { body: { type, title, status }, headers: answer.headers ?? {} };
  };
  const allowing: Authorizer = async () => ({
    principalId: 'tnt_test',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }],
    },
    context: { tenantId: 'tnt_test', plan: 'free' },
  });
  /** Every function answers 200 at once. */
  const answered = <T>(): Promise<T> => Promise.resolve({ statusCode: 200, body: '' } as T);

  it.each([
    [
      'UNAUTHORIZED',
      'a key the authorizer refuses',
      async () => {
        const gateway = await startTestGateway();
        return fetch(`${gateway.url}/v1/messages`, { headers: { authorization: 'Bearer vgl_any', origin: PAGE } });
      },
    ],
    [
      'MISSING_AUTHENTICATION_TOKEN',
      "a browser's preflight on a path no route has (a failed preflight to the browser, as on AWS)",
      async () => {
        const gateway = await startTestGateway();
        return fetch(`${gateway.url}/v1/nope`, {
          method: 'OPTIONS',
          headers: { origin: PAGE, 'access-control-request-method': 'GET' },
        });
      },
    ],
    [
      'MISSING_AUTHENTICATION_TOKEN',
      'a path no route has',
      async () => {
        const gateway = await startTestGateway();
        return fetch(`${gateway.url}/v1/v1/messages`, { headers: { origin: PAGE } });
      },
    ],
    [
      'AUTHORIZER_FAILURE',
      'an authorizer that fails',
      async () => {
        const gateway = await startTestGateway({
          authorizer: async () => {
            throw new Error('the store did not answer');
          },
        });
        return fetch(`${gateway.url}/v1/messages`, { headers: { authorization: 'Bearer vgl_any', origin: PAGE } });
      },
    ],
    [
      'THROTTLED',
      "a tenant past its plan's burst",
      async () => {
        const gateway = await startTestGateway({ authorizer: allowing, rateLimits: true, invocation: answered });
        const sent = () =>
          fetch(`${gateway.url}/v1/messages`, { headers: { authorization: 'Bearer vgl_any', origin: PAGE } });
        for (let i = 0; i < 40; i += 1) {
          const response = await sent();
          if (response.status === 429) return response;
          await response.body?.cancel();
        }
        throw new Error('40 requests at once were never throttled');
      },
    ],
    [
      'DEFAULT_5XX',
      'a function that runs past its timeout',
      async () => {
        const gateway = await startTestGateway({
          functionTimeoutMs: 100,
          invocation: async (_name, run) => {
            await sleep(300);
            return run();
          },
        });
        return fetch(`${gateway.url}/health`, { headers: { origin: PAGE } });
      },
    ],
    [
      'INTEGRATION_FAILURE',
      'a request that waited its turn too long (maxRequestsInFlight)',
      async () => {
        const gateway = await startTestGateway({ maxRequestsInFlight: 0, admissionWaitMs: 50 });
        return fetch(`${gateway.url}/health`, { headers: { origin: PAGE } });
      },
    ],
  ] as const)('%s: %s', async (responseType, _, refused) => {
    const response = await refused();
    const { body, headers } = deployed(responseType);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject(body);
    expect(response.status).toBe(body.status);
    for (const [name, value] of Object.entries(headers)) expect(response.headers.get(name), name).toBe(value);
    expectReadableBy(PAGE, response, responseType);
  });

  /**
   * A script on `page` may read the refusal and its Retry-After and RateLimit-*, as the deployed
   * gateway response lets one on the console's origin (its Access-Control-* headers).
   */
  const expectReadableBy = (page: string, response: Response, responseType: string) => {
    const deployedHeaders = Object.values(gatewayResponseResources()).find(
      (resource) => resource.Properties?.ResponseType === responseType,
    )?.Properties?.ResponseParameters as Record<string, unknown>;
    expect(deployedHeaders['gatewayresponse.header.Access-Control-Allow-Origin']).toBeDefined();
    expect(response.headers.get('access-control-allow-origin')).toBe(page);
    expect(`'${response.headers.get('access-control-expose-headers')}'`).toBe(
      deployedHeaders['gatewayresponse.header.Access-Control-Expose-Headers'],
    );
  };

  it('REQUEST_TOO_LARGE: a body over 6 MiB has the type, title and status API Gateway answers past its own 10 MB', async () => {
    const gateway = await startTestGateway();
    const response = await fetch(`${gateway.url}/canary-receiver`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: PAGE },
      body: 'x'.repeat(6 * 1024 * 1024 + 1),
    });
    expect(await response.json()).toMatchObject(deployed('REQUEST_TOO_LARGE').body);
    expectReadableBy(PAGE, response, 'REQUEST_TOO_LARGE');
  });
});

describe("a browser's page on another origin (CORS), answered as the deployment answers one", () => {
  /** The paths of API_ROUTES, each with its methods and one path it matches (`{messageId}` → `x_1`). */
  const paths = [...new Set(API_ROUTES.map((route) => route.path))].map((path) => ({
    path,
    concrete: path.replace(/\{\w+\}/g, 'x_1'),
    methods: API_ROUTES.filter((route) => route.path === path).map((route) => route.method),
  }));
  const preflight = (url: string, origin: string, method: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });

  it("answers a page of this machine's preflight on every /v1 route as the deployed OPTIONS method does (200, the path's methods, 600 s), with no key and no turn, and the rest as the deployed ANY method does (405)", async () => {
    // Every key refused and no request admitted: a preflight needs neither.
    const gateway = await startTestGateway({ maxRequestsInFlight: 0, admissionWaitMs: 50 });
    for (const { path, concrete, methods } of paths) {
      const response = await preflight(`${gateway.url}${concrete}`, PAGE, methods[0]!);
      await response.body?.cancel();
      const cors = corsFor(path);
      expect(response.headers.get('access-control-allow-origin'), path).toBe(PAGE);
      if (cors === undefined) {
        expect(response.status, path).toBe(405);
        expect(response.headers.get('allow'), path).toBe(methods.join(', '));
        continue;
      }
      expect(response.status, path).toBe(200);
      expect(response.headers.get('access-control-allow-headers'), path).toBe(cors.headers.join(','));
      expect(response.headers.get('access-control-allow-methods')?.split(',').sort(), path).toEqual(
        ['OPTIONS', ...methods].sort(),
      );
      expect(response.headers.get('access-control-max-age'), path).toBe(String(cors.maxAge));
      expect(response.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
    expect(paths.filter(({ path }) => corsFor(path) !== undefined).length).toBeGreaterThan(20);
  });

  it("lets a page of this machine read a function's answer, whichever port it is served on (the local console's, a developer's app's)", async () => {
    const gateway = await startTestGateway({
      invocation: async <T>() => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ran' }) as T,
    });
    for (const page of ['http://localhost:3000', PAGE, 'http://127.0.0.1:8080', 'http://[::1]:5173']) {
      const response = await fetch(`${gateway.url}/health`, { headers: { origin: page } });
      expect(await response.text()).toBe('ran');
      expect(response.headers.get('access-control-allow-origin'), page).toBe(page);
      expect(response.headers.get('access-control-expose-headers'), page).toBe(
        'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset',
      );
      expect(response.headers.get('vary'), page).toBe('Origin');
    }
  });

  it('allows a page from anywhere else nothing: no allow-origin on its preflight, its refusals or its answers', async () => {
    const gateway = await startTestGateway({
      invocation: async <T>() => ({ statusCode: 200, headers: {}, body: 'ran' }) as T,
    });
    for (const page of ['https://example.com', 'http://localhost.example.com:5173', 'null']) {
      const answers = [
        await preflight(`${gateway.url}/v1/messages`, page, 'POST'),
        await fetch(`${gateway.url}/v1/messages`, { headers: { origin: page, authorization: 'Bearer vgl_any' } }),
        await fetch(`${gateway.url}/health`, { headers: { origin: page } }),
      ];
      expect(
        answers.map((response) => response.status),
        page,
      ).toEqual([200, 401, 200]);
      for (const response of answers) {
        await response.body?.cancel();
        expect(response.headers.get('access-control-allow-origin'), page).toBeNull();
        expect(response.headers.get('vary'), page).toBe('Origin');
      }
    }
  });

  it("grants Chromium's Private Network Access to a VIGIL_WEB_ORIGIN off this machine (a LAN host's app) on the preflights that ask, and to no other origin: its calls to the local API were blocked", async () => {
    const lanPage = 'http://192.168.1.20:5173';
    const asking = (gatewayUrl: string, origin: string, ask = true) =>
      fetch(`${gatewayUrl}/v1/messages`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          ...(ask && { 'access-control-request-private-network': 'true' }),
        },
      });
    const granted = async (response: Response) => {
      await response.body?.cancel();
      expect(response.status).toBe(200);
      return response.headers.get('access-control-allow-private-network');
    };
    const lan = await startTestGateway({ webOrigin: lanPage });
    expect(await granted(await asking(lan.url, lanPage))).toBe('true');
    expect(await granted(await asking(lan.url, lanPage, false))).toBeNull();
    expect(await granted(await asking(lan.url, 'https://example.com'))).toBeNull();
    expect(await granted(await asking(lan.url, PAGE))).toBeNull();
    // Not on an answer that is not a preflight.
    const answer = await fetch(`${lan.url}/v1/messages`, {
      headers: { origin: lanPage, 'access-control-request-private-network': 'true', authorization: 'Bearer vgl_any' },
    });
    await answer.body?.cancel();
    expect(answer.status).toBe(401);
    expect(answer.headers.get('access-control-allow-private-network')).toBeNull();
    await lan.stop();
    // A page of this machine is in the gateway's own address space: nothing to grant.
    for (const webOrigin of [undefined, PAGE]) {
      const local = await startTestGateway({ webOrigin });
      expect(await granted(await asking(local.url, PAGE)), String(webOrigin)).toBeNull();
      await local.stop();
    }
  });

  /** The status and headers of a raw answer (names in lower case). */
  const headOf = (answer: string) => {
    const [statusLine = '', ...fields] = answer.slice(0, answer.indexOf('\r\n\r\n')).split('\r\n');
    const headers = new Map(
      fields.map((field) => [
        field.slice(0, field.indexOf(':')).toLowerCase(),
        field.slice(field.indexOf(':') + 1).trim(),
      ]),
    );
    return { status: Number(statusLine.split(' ')[1]), headers };
  };
  /** The answer to `bytes` written at once on a connection of their own. */
  const rawAnswer = async (port: number, bytes: string) => {
    const client = await rawHttpConnection(port);
    try {
      client.write(bytes);
      return await client.answer();
    } finally {
      client.socket.destroy();
    }
  };
  const PAD = `X-Pad: ${'p'.repeat(20_000)}\r\n`;

  it('lets a page of this machine read the answers written on the socket outside any response (431, 400, 408): its browser saw a network error, not the problem', async () => {
    const gateway = await startTestGateway({ requestArrivalTimeoutMs: 300 });
    const head = (origin: string) => `GET /v1/messages HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\n`;
    const cases = [
      ['a head over 16 KiB, Origin before its big header', `${head(PAGE)}${PAD}\r\n`, 431, PAGE],
      [
        'a head over 16 KiB, Origin after its big header',
        `GET /v1/messages HTTP/1.1\r\nHost: x\r\n${PAD}Origin: ${PAGE}\r\n\r\n`,
        431,
        PAGE,
      ],
      ['a header that is not HTTP after its Origin', `${head(PAGE)}Bad Header: x\r\n\r\n`, 400, PAGE],
      [
        'a body that stalls halfway',
        `POST /canary-receiver HTTP/1.1\r\nHost: x\r\nOrigin: ${PAGE}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"u`,
        408,
        PAGE,
      ],
      ['a head over 16 KiB from a page elsewhere', `${head('https://example.com')}${PAD}\r\n`, 431, undefined],
      // No request line, no head: nothing to read an Origin in.
      ['bytes that are not HTTP', `HELLO there\r\nOrigin: ${PAGE}\r\n\r\n`, 400, undefined],
      // Node's parser hands on no field of a head that has not arrived whole.
      ['a head that stalls halfway', head(PAGE), 408, undefined],
    ] as const;
    for (const [what, bytes, status, allowed] of cases) {
      const answer = headOf(await rawAnswer(gateway.port, bytes));
      expect(answer.status, what).toBe(status);
      expect(answer.headers.get('content-type'), what).toBe('application/problem+json');
      expect(answer.headers.get('access-control-allow-origin'), what).toBe(allowed);
      if (allowed)
        expect(answer.headers.get('access-control-expose-headers'), what).toBe(
          'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset',
        );
      expect(answer.headers.get('vary'), what).toBe('Origin');
    }
  });

  it('names VIGIL_WEB_ORIGIN in the answers written on the socket too, whoever asks, a head that stalled halfway included', async () => {
    const gateway = await startTestGateway({ webOrigin: 'https://console.example.com', requestArrivalTimeoutMs: 300 });
    const answers = [
      await rawAnswer(gateway.port, `GET /v1/messages HTTP/1.1\r\nHost: x\r\n${PAD}\r\n`),
      await rawAnswer(gateway.port, 'HELLO there\r\n\r\n'),
      await rawAnswer(gateway.port, 'GET /health HTTP/1.1\r\nHost: x\r\n'),
    ].map(headOf);
    expect(answers.map(({ status }) => status)).toEqual([431, 400, 408]);
    for (const { headers } of answers)
      expect(headers.get('access-control-allow-origin')).toBe('https://console.example.com');
  });

  it("names VIGIL_WEB_ORIGIN (the deployment's webOrigin) in every answer, whoever asks, as the deployment names the console's origin", async () => {
    const gateway = await startTestGateway({ webOrigin: 'https://console.example.com' });
    const answers = [
      await preflight(`${gateway.url}/v1/messages`, PAGE, 'POST'),
      await fetch(`${gateway.url}/v1/messages`, {
        headers: { origin: 'https://example.com', authorization: 'Bearer vgl_any' },
      }),
      await fetch(`${gateway.url}/v1/nope`),
    ];
    expect(answers.map((response) => response.status)).toEqual([200, 401, 404]);
    for (const response of answers) {
      await response.body?.cancel();
      expect(response.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    }
  });
});
