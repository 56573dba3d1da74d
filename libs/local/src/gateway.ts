/**
 * The local API Gateway: a node:http server that turns requests into API Gateway REST (v1) proxy
 * events for the very handlers and authorizer deployed on AWS, using the route table in
 * functions/api/routes.ts. Like API Gateway it caches authorizer results per Authorization header.
 * Its parts: the router (gateway-router.ts), the event builder (gateway-event.ts), the authorizer
 * step and its cache (gateway-auth.ts), CORS for browsers (gateway-cors.ts); this file is the
 * server and the order of the steps.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StallAwareDeadline } from '@vigil/aws/stall-aware-deadline';
import { stallAwareDeadline } from '@vigil/aws/stall-aware-deadline';
import type { Logger } from '@vigil/core';
import { methodNotAllowed, planNamed, PROBLEMS, rateLimitHeaders } from '@vigil/core';
import { MAX_REQUEST_BYTES, problemResponse } from '@vigil/functions/api/http';
import { API_ROUTES, API_TIMEOUT_S } from '@vigil/functions/api/routes';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { boundConnectionsInProcessTime } from './connection-deadlines';
import type { Authorizer } from './gateway-auth';
import { AuthorizerCache } from './gateway-auth';
import type { GatewayCors } from './gateway-cors';
import { gatewayCors, hasPreflight, originOfUnparsed } from './gateway-cors';
import { lambdaContext, proxyEvent } from './gateway-event';
import type { RouteMatch } from './gateway-router';
import { compileRoute, matchRoute } from './gateway-router';
import type { RateDecision } from './rate-limiter';
import { TenantRateLimiter } from './rate-limiter';
import { RequestAdmission } from './request-admission';

export type { Authorizer } from './gateway-auth';

export interface GatewayOptions {
  port: number;
  host: string;
  /** The port held for it since before the stack started (holdGatewayPort): listened on instead of `port`. */
  heldPort?: HeldPort;
  authorizer: Authorizer;
  /** How long an authorizer answer is reused for the same Authorization header (API Gateway: up to 60 s). */
  authCacheMs: number;
  /** Throttle each tenant to its plan's rate and burst, as API Gateway usage plans do. */
  rateLimits: boolean;
  /** When this file changes (a key was revoked elsewhere), cached authorizer answers are dropped. */
  keysChangedFile?: string;
  log: Logger;
  /** Runs each route handler call as one invocation of its function (the stack's observer). */
  invocation?<T>(functionName: string, run: () => Promise<T>): Promise<T>;
  /**
   * How long a route's function may take before the answer is API Gateway's to a function that
   * failed, 502 (default: the deployed functions' timeout, API_TIMEOUT_S). The handler runs on. In
   * the process's own time: a stall of the process is given back, up to the timeout again.
   */
  functionTimeoutMs?: number;
  /**
   * How long a client may take to send a whole request, head and body (default
   * REQUEST_ARRIVAL_TIMEOUT_MS; its head: HEAD_ARRIVAL_TIMEOUT_MS, or this if shorter); one that
   * stalls past it is answered 408 and its connection closed. In the process's own time.
   */
  requestArrivalTimeoutMs?: number;
  /**
   * How long a kept-alive connection may sit idle between requests (default KEEP_ALIVE_TIMEOUT_MS),
   * advertised in Keep-Alive. In the process's own time.
   */
  keepAliveTimeoutMs?: number;
  /**
   * How many requests are handled at once, at most (default MAX_REQUESTS_IN_FLIGHT); one beyond
   * them waits its turn for up to `admissionWaitMs` (default ADMISSION_WAIT_MS), then is answered 503
   * with Retry-After (request-admission.ts).
   */
  maxRequestsInFlight?: number;
  admissionWaitMs?: number;
  /**
   * How many connections are kept at once, at most (default MAX_CONNECTIONS); up to
   * REFUSED_CONNECTIONS more are answered 503 and closed, and past them one is closed as it opens.
   */
  maxConnections?: number;
  /**
   * The one origin a browser may call the API from (VIGIL_WEB_ORIGIN, the deployment's `webOrigin`);
   * unset, any page served from this machine (gateway-cors.ts).
   */
  webOrigin?: string;
}

export interface Gateway {
  url: string;
  port: number;
  /** Forgets every cached authorizer answer (after a key is revoked). */
  clearAuthCache(): void;
  /**
   * Stops taking requests; those under way get up to `drainMs` to be answered (a batch's writes
   * finished or rolled back, not cut off with the stores under them), then every connection closes.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

/**
 * A request's head and body must arrive within 30 s (its head within 10 s): a client that stalls
 * halfway would otherwise hold a socket for Node's default of 5 minutes. API Gateway bounds a
 * request's arrival on its side too.
 */
export const REQUEST_ARRIVAL_TIMEOUT_MS = 30_000;
export const HEAD_ARRIVAL_TIMEOUT_MS = 10_000;

/**
 * At most this many requests are handled at once (their authorizer and function), as Lambda's
 * concurrency bounds a deployment's. Enough to keep the cores and the store's thread busy; more at
 * once only make each slower: on a loaded 2-core machine making a dozen creates a second, 128 at
 * once took some past the function's 10 s timeout (502, the create perhaps made).
 */
export const MAX_REQUESTS_IN_FLIGHT = 64;
/** How long a request beyond them waits for its turn before it is refused (503, Retry-After). */
export const ADMISSION_WAIT_MS = 5_000;

/**
 * At most this many client connections are kept at once; one more is answered 503 (REFUSED_CONNECTIONS).
 * Each holds a file descriptor of the process that also holds the store's: 200
 * tenants' clients held up to 3,500 at once, and once the process ran out (EMFILE; seen with its
 * limit at 600) LevelDB, refused a file, stopped the store, and with it the stack. 1,024 leaves
 * room within the 4,096 a process may open on many machines (Node raises its limit to the hard one).
 */
export const MAX_CONNECTIONS = 1_024;

/**
 * Up to this many connections past the kept ones are held just long enough to answer their first
 * request 503 with Retry-After, a problem document, and then closed: the client retries it as any
 * 503, where a connection closed as it opened was a reset it could not tell from a crash. Nothing
 * of the request runs (no authorizer, no function). Past them too, a connection is closed as it
 * opens, as before, so the file descriptors held stay bounded (1,088 by default).
 */
export const REFUSED_CONNECTIONS = 64;

/** How long an idle kept-alive connection stays open (Node's default is 5 s). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The body, or why there is none to answer: over the limit, or the client went away mid-body. */
const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large' | 'gone'> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks)));
    // Reset, or ended by the arrival timeout (answered 408 by answerLate): nobody to answer.
    req.on('error', () => resolve('gone'));
  });

/**
 * The URL of a request's target, its path as sent: `//host/v1/usage` is the path `//host/v1/usage`
 * (no route), not `/v1/usage` on a host `host`, as URL's own reading of a relative reference has it
 * (and `//[` threw). Undefined for a target that is not a path (`*`, an absolute URL).
 */
const requestUrl = (target: string): URL | undefined => {
  if (!target.startsWith('/')) return undefined;
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
};

const send = (res: ServerResponse, result: APIGatewayProxyResult) => {
  res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
  res.end(result.body);
};

const NO_BODY = Buffer.alloc(0);

/** A request's turn (request-admission.ts), held past its answer `until` its function ends (one that ran past its timeout). */
interface TurnHeld {
  until?: Promise<unknown>;
}

/** Why Node's parser gave up on a request (its error's code), as the problem the client gets. */
const unreadableProblem = (code: string | undefined) => {
  if (code === 'HPE_HEADER_OVERFLOW') return problemResponse(PROBLEMS.requestHeadTooLarge, 'unknown');
  return problemResponse(PROBLEMS.malformedRequest, 'unknown', {
    detail: `The request is not valid HTTP (${code ?? 'parse error'}).`,
  });
};

/**
 * A request Node's parser refused before any route (a head over its 16 KiB, a request line that is
 * not HTTP): answered with a problem document, as every other refusal, CORS headers and all (the
 * Origin read from its bytes, originOfUnparsed), and the connection closed. In front of a
 * deployment API Gateway answers these itself.
 */
const answerUnreadable = (
  error: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number },
  socket: Duplex,
  cors: GatewayCors,
) => {
  // Bytes after a request that said `Connection: close`: that request is being handled, and its
  // answer (then the close) is the one this connection gets. A 400 written now would be read as
  // its answer, and a create it made be sent again.
  if (error.code === 'HPE_CLOSED_CONNECTION') return;
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  answerOnSocket(
    socket,
    unreadableProblem(error.code),
    cors.headersFor(originOfUnparsed(error.rawPacket, error.bytesParsed)),
  );
};

/**
 * A request that did not arrive in time (arrivalBounds): answered 408, and the connection closed;
 * only closed once an answer to it has begun (its body came too slowly after an early refusal).
 * `corsHeaders` are its Origin's, when its head arrived (`req`); one whose head did not has handed
 * on no header (Node's parser keeps a head's fields to itself until it is whole), so only
 * VIGIL_WEB_ORIGIN, named whoever asks, is allowed to read that 408.
 */
const answerLate = (
  socket: Duplex,
  answering: boolean,
  arrivalTimeoutMs: number,
  corsHeaders: Record<string, string>,
) => {
  if (answering || !socket.writable) {
    socket.destroy();
    return;
  }
  answerOnSocket(
    socket,
    problemResponse(PROBLEMS.requestArrivalTimeout, 'unknown', {
      detail: `The request's head and body must arrive within ${arrivalTimeoutMs / 1000} s; send it again.`,
    }),
    corsHeaders,
  );
};

/**
 * Writes `problem` straight to the connection, outside any response, and closes it; with the CORS
 * headers every answer carries (gatewayCors's headersFor), which no response's setHeader put here.
 */
const answerOnSocket = (socket: Duplex, problem: APIGatewayProxyResult, corsHeaders: Record<string, string>) => {
  const headers = {
    ...corsHeaders,
    ...(problem.headers as Record<string, string>),
    'content-length': String(Buffer.byteLength(problem.body)),
    connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(
    `HTTP/1.1 ${problem.statusCode} ${STATUS_CODES[problem.statusCode]}\r\n${head.join('')}\r\n${problem.body}`,
  );
};

/** A port the gateway cannot listen on, said as what to do (in use: another process has it). */
export const listenError = (error: NodeJS.ErrnoException, host: string, port: number): Error =>
  error.code === 'EADDRINUSE'
    ? new Error(`port ${port} on ${host} is already in use: stop the other process or set VIGIL_PORT`)
    : error;

/** The gateway's port, held from before the stack starts anything until the gateway listens on it. */
export interface HeldPort {
  readonly port: number;
  /** Has `server` listen on the held port: from then on the port is its (closed when it closes). */
  handTo(server: Server): Promise<void>;
  /** Lets the port go, unless it was handed to a server. */
  release(): Promise<void>;
}

/**
 * Holds the port the gateway will listen on: `port`, or a free one for 0 (whose number must be
 * known before the gateway starts). Listened on before the stack starts anything, so a port in use
 * stops a start before its pollers deliver a thing (or its endpoints file is written), and kept
 * until the gateway takes it: let go in between, a port the system chose for 0 was given to the
 * next socket asking for one (the stack's own services, another stack's), and the gateway's listen
 * failed with EADDRINUSE. A connection meanwhile is closed at once (the stack is not up).
 */
export const holdGatewayPort = (host: string, port: number): Promise<HeldPort> =>
  new Promise((resolve, reject) => {
    const holder = createNetServer((socket) => socket.destroy());
    holder.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
    holder.listen(port, host, () => {
      const address = holder.address();
      let held = true;
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        handTo: (server) =>
          new Promise<void>((listening, failed) => {
            server.once('error', failed);
            // Node's listen(handle): the server takes over the holder's listening socket.
            server.listen(holder, () => {
              server.off('error', failed);
              held = false;
              listening();
            });
          }),
        release: () =>
          held
            ? new Promise<void>((closed) => holder.close(() => closed())).finally(() => (held = false))
            : Promise.resolve(),
      });
    });
  });

export const startGateway = async (options: GatewayOptions): Promise<Gateway> => {
  const routes = API_ROUTES.map(compileRoute);
  /**
   * A path no route has: the one meant when it lacks the /v1 every route starts with
   * (`curl localhost:4000/messages`), else where the routes are listed.
   */
  const noSuchRouteDetail = (pathname: string): string => {
    const long = pathname.length > 200;
    const shown = long ? `${pathname.slice(0, 200)}…` : pathname;
    if (!long && !pathname.startsWith('/v1/') && matchRoute(routes, 'GET', `/v1${pathname}`).kind !== 'not-found')
      return `${shown} is not a Vigil API route: its routes start with /v1 (/v1${pathname}).`;
    return `${shown} is not a Vigil API route (see the API reference, openapi.yaml).`;
  };
  const functionTimeoutMs = options.functionTimeoutMs ?? API_TIMEOUT_S * 1000;
  const limiter = new TenantRateLimiter();
  const auth = new AuthorizerCache(options);
  const cors = gatewayCors(options.webOrigin);
  const admission = new RequestAdmission(
    options.maxRequestsInFlight ?? MAX_REQUESTS_IN_FLIGHT,
    options.admissionWaitMs ?? ADMISSION_WAIT_MS,
  );

  const keptConnections = options.maxConnections ?? MAX_CONNECTIONS;
  /** The connections kept (at most keptConnections), and those past them, to be answered 503 and closed. */
  const kept = new Set<Socket>();
  const refused = new WeakSet<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    if (refused.has(req.socket)) {
      return send(
        res,
        problemResponse(PROBLEMS.functionUnavailable, requestId, {
          detail: `The local stack holds as many connections as it keeps (${keptConnections} at once); try again after Retry-After.`,
          headers: { connection: 'close' },
        }),
      );
    }
    const url = requestUrl(req.url ?? '/');
    if (url === undefined) {
      return send(
        res,
        problemResponse(PROBLEMS.malformedRequest, requestId, {
          detail: 'The request target is not a path (it must start with a single /).',
        }),
      );
    }
    const match = matchRoute(routes, req.method ?? '', url.pathname);
    if (match.kind === 'not-found') {
      return send(res, problemResponse(PROBLEMS.noSuchRoute, requestId, { detail: noSuchRouteDetail(url.pathname) }));
    }
    if (match.kind === 'malformed-path') {
      return send(
        res,
        problemResponse(PROBLEMS.malformedPath, requestId, {
          detail: `${match.segment.slice(0, 100)} is not valid percent-encoding.`,
        }),
      );
    }
    if (match.kind === 'method-not-allowed') {
      // A browser's preflight, answered as the deployment's mock OPTIONS method does: no key, no turn.
      if (req.method === 'OPTIONS' && hasPreflight(url.pathname))
        return send(
          res,
          cors.preflight(match.allow.split(', '), {
            origin: req.headers.origin,
            privateNetwork: req.headers['access-control-request-private-network'] === 'true',
          }),
        );
      return send(res, problemResponse(methodNotAllowed(req.method ?? '', match.allow), requestId));
    }
    // Its turn (routes and methods no route has are answered without one, as they cost nothing).
    const turn = await admission.enter();
    if (!turn.admitted) {
      return send(
        res,
        problemResponse(PROBLEMS.functionUnavailable, requestId, {
          detail: `The local stack is handling as many requests as it can (${options.maxRequestsInFlight ?? MAX_REQUESTS_IN_FLIGHT} at once) and this one waited its turn for ${(options.admissionWaitMs ?? ADMISSION_WAIT_MS) / 1000} s; try again after Retry-After.`,
        }),
      );
    }
    // Its function, when it runs on past its timeout: the turn is given back when that ends.
    const turnHeld: TurnHeld = {};
    try {
      await handleInTurn(req, res, requestId, url, match, turnHeld);
    } finally {
      if (turnHeld.until) turnHeld.until.then(turn.release, turn.release);
      else turn.release();
    }
  };

  /** A request on a route, in its turn: resolves once answered. */
  const handleInTurn = async (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    url: URL,
    { compiled, pathParameters }: Extract<RouteMatch, { kind: 'matched' }>,
    turnHeld: TurnHeld,
  ) => {
    const eventWith = (body: Buffer) =>
      proxyEvent({ req, url, body, route: compiled.route, pathParameters, requestId });
    // Authorized (and rate-limited) before the body is read, as API Gateway does: a caller without
    // a key is answered at once, and holds no upload of up to 6 MiB in this process meanwhile (Node
    // reads what is left of a refused request's body and drops it).
    let authorizer: Record<string, unknown> | undefined;
    if (compiled.route.auth) {
      const decision = await auth.decide(eventWith(NO_BODY), compiled.route);
      if (decision.kind === 'denied') return send(res, problemResponse(PROBLEMS.unauthorized, requestId));
      // Logged by the cache.
      if (decision.kind === 'failed') return send(res, problemResponse(PROBLEMS.authorizerFailed, requestId));
      const { identity } = decision;
      authorizer = { ...identity.context, principalId: identity.principalId };
      const plan = planNamed(String(identity.context.plan));
      // A plan's limits are its tenant's. A console user who has no tenant yet (the one route it may
      // call, where it claims one) is held to none, as API Gateway applies no usage plan there: all
      // such users shared one bucket (keyed "undefined"), so one user's sign-ins throttled another's.
      const { tenantId } = identity.context;
      const rate: RateDecision =
        options.rateLimits && typeof tenantId === 'string' ? limiter.take(tenantId, plan) : { allowed: true };
      if (!rate.allowed) {
        return send(
          res,
          problemResponse(PROBLEMS.rateLimited, requestId, {
            detail: `Your plan allows ${plan.ratePerSecond} requests per second (bursts of ${plan.burst}); retry after ${rate.retryAfterSeconds} s.`,
            // The bucket holds `burst` requests; none is left until the next token, in Retry-After s.
            headers: rateLimitHeaders({ limit: plan.burst, remaining: 0, resetSeconds: rate.retryAfterSeconds }),
          }),
        );
      }
    }
    const body = await readBody(req);
    if (body === 'gone') return;
    if (body === 'too-large') {
      return send(res, problemResponse(PROBLEMS.payloadTooLarge, requestId));
    }
    const event = eventWith(body);
    if (authorizer) event.requestContext.authorizer = authorizer;
    const handler = (compiled.handler ??= (await compiled.route.load()).handler);
    const { functionName } = compiled.route;
    const invoke = () => handler(event, lambdaContext(functionName, requestId, functionTimeoutMs));
    const invocation = options.invocation ? options.invocation(functionName, invoke) : invoke();
    // On AWS Lambda ends a function at its timeout and API Gateway answers for it; here the
    // handler cannot be stopped, so it runs on and its late answer (or error) is dropped. The
    // timeout is the process's own time: a stall of the process (SIGSTOP, a paused VM) is given
    // back, up to the timeout again, so that the store's answers that came during it are read
    // first (a create made in time was answered 502, and its client sent it again).
    let deadline: StallAwareDeadline | undefined;
    const timedOut = new Promise<'timed-out'>((resolve) => {
      deadline = stallAwareDeadline(performance.now() + functionTimeoutMs, functionTimeoutMs, () =>
        resolve('timed-out'),
      );
    });
    const result = await Promise.race([invocation, timedOut]).finally(() => deadline?.cancel());
    if (result !== 'timed-out') return send(res, result);
    options.log.error('function timed out', { functionName, requestId, timeoutMs: functionTimeoutMs });
    invocation.catch((error: unknown) =>
      options.log.error('function failed after its timeout', { functionName, requestId, error: String(error) }),
    );
    turnHeld.until = invocation;
    send(res, problemResponse(PROBLEMS.functionFailed, requestId));
  };

  // Every route's function is loaded before the first request, as a Lambda function's code is at
  // its cold start. Loaded on a route's first request, a load that failed then (EMFILE: the process
  // out of file descriptors under a flood of connections) was kept by Node's module cache, and the
  // route answered 500 until the stack restarted.
  await Promise.all(
    routes.map(async (compiled) => {
      compiled.handler = (await compiled.route.load()).handler;
    }),
  );

  const arrivalTimeoutMs = options.requestArrivalTimeoutMs ?? REQUEST_ARRIVAL_TIMEOUT_MS;
  const server: Server = createServer(
    // Node's own bounds on a request's arrival are off: it judges them by the clock, in a check
    // that after a stall of the process (SIGSTOP, a paused VM) runs before the sockets are read, so
    // a request sent in good time was answered 408. boundConnectionsInProcessTime keeps them below.
    { requestTimeout: 0, headersTimeout: 0 },
    (req, res) => {
      // On every answer, the gateway's own and the functions' (whose own, when they set them, are the same).
      for (const [name, value] of Object.entries(cors.headersFor(req.headers.origin))) res.setHeader(name, value);
      handle(req, res).catch((error) => {
        options.log.error('gateway failed', { error: String(error) });
        if (!res.headersSent)
          send(res, problemResponse(PROBLEMS.internal, 'unknown', { detail: 'The local gateway failed.' }));
        else res.destroy();
      });
    },
  );
  server.on('clientError', (error, socket) => answerUnreadable(error, socket, cors));
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
  server.on('connection', (socket: Socket) => {
    if (kept.size >= keptConnections) {
      refused.add(socket);
      return;
    }
    kept.add(socket);
    socket.once('close', () => kept.delete(socket));
  });
  // Past the kept and the refused ones, Node closes a connection as it opens.
  server.maxConnections = keptConnections + REFUSED_CONNECTIONS;
  // A request's head and body must arrive in time, and an idle connection is closed after
  // keepAliveTimeout, both in the process's own time: a stall of the process is given back.
  boundConnectionsInProcessTime(server, {
    headMs: Math.min(HEAD_ARRIVAL_TIMEOUT_MS, arrivalTimeoutMs),
    requestMs: arrivalTimeoutMs,
    late: (socket, answering, req) =>
      answerLate(socket, answering, arrivalTimeoutMs, cors.headersFor(req?.headers.origin)),
  });
  // A client that half-closes its side once its request is sent (socket.end(), `curl` over some
  // proxies) still reads the answer, as from API Gateway: by default Node takes the half-close for
  // the client gone, drops the request under way and closes, and a create the function made was
  // answered with nothing (its client sent it again). The connection closes after that answer.
  // (Node's own switch, set on every http.Server since Node 0.x, not in its types.)
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  if (options.heldPort) await options.heldPort.handTo(server);
  else
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.host, options.port)));
      server.listen(options.port, options.host, resolve);
    });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    clearAuthCache: () => auth.clear(),
    async stop({ drainMs = 0 } = {}) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A kept-alive connection whose request was answered is closed as soon as it is idle.
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), drainMs);
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
    },
  };
};
