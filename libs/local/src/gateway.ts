/**
 * The local API Gateway: a node:http server that turns requests into API Gateway REST (v1) proxy
 * events for the very handlers and authorizer deployed on AWS, using the route table in
 * functions/api/routes.ts. Like API Gateway it caches authorizer results per Authorization header.
 */
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Logger, PlanName } from '@vigil/core';
import { PLANS, rateLimitHeaders } from '@vigil/core';
import { MAX_REQUEST_BYTES, problemResponse } from '@vigil/functions/api/http';
import type { ApiHandler, ApiRoute } from '@vigil/functions/api/routes';
import { API_ROUTES } from '@vigil/functions/api/routes';
import type { RateDecision } from './rate-limiter';
import { TenantRateLimiter } from './rate-limiter';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';

export type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface GatewayOptions {
  port: number;
  host: string;
  authorizer: Authorizer;
  /** How long an authorizer answer is reused for the same Authorization header (API Gateway: up to 60 s). */
  authCacheMs: number;
  /** Throttle each tenant to its plan's rate and burst, as API Gateway usage plans do. */
  rateLimits: boolean;
  /** When this file changes (a key was revoked elsewhere), cached authorizer answers are dropped. */
  keysChangedFile?: string;
  log: Logger;
}

export interface Gateway {
  url: string;
  port: number;
  /** Forgets every cached authorizer answer (after a key is revoked). */
  clearAuthCache(): void;
  stop(): Promise<void>;
}

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  paramNames: string[];
  handler?: ApiHandler;
}

const compile = (route: ApiRoute): CompiledRoute => {
  const paramNames: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), paramNames };
};

const lambdaContext = (functionName: string, requestId: string): Context =>
  ({
    functionName,
    awsRequestId: requestId,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }) as Context;

const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });

export const startGateway = async (options: GatewayOptions): Promise<Gateway> => {
  const routes = API_ROUTES.map(compile);
  const limiter = new TenantRateLimiter();
  const authCache = new Map<string, { context: Record<string, unknown>; principalId: string; expires: number }>();

  const send = (res: ServerResponse, result: APIGatewayProxyResult) => {
    res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>) });
    res.end(result.body);
  };

  let keysChanged = { checkedAt: 0, mtimeMs: 0 };
  /** Drops the auth cache when another process signalled a revocation (checked at most every 100 ms). */
  const forgetRevokedKeys = () => {
    const now = Date.now();
    if (!options.keysChangedFile || now - keysChanged.checkedAt < 100) return;
    const mtimeMs = statSync(options.keysChangedFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (mtimeMs !== keysChanged.mtimeMs) authCache.clear();
    keysChanged = { checkedAt: now, mtimeMs };
  };

  const authorize = async (event: APIGatewayProxyEvent, route: ApiRoute) => {
    const header = event.headers.authorization ?? event.headers.Authorization ?? '';
    forgetRevokedKeys();
    const cached = authCache.get(header);
    if (cached && cached.expires > Date.now()) return cached;
    try {
      const result = await options.authorizer({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:000000000000:vigil/local/${route.method}${route.path}`,
        resource: route.path,
        path: event.path,
        httpMethod: route.method,
        headers: event.headers,
        multiValueHeaders: event.multiValueHeaders,
        pathParameters: event.pathParameters,
        queryStringParameters: event.queryStringParameters,
        multiValueQueryStringParameters: event.multiValueQueryStringParameters,
        stageVariables: null,
        requestContext: event.requestContext,
      } as APIGatewayRequestAuthorizerEvent);
      const allowed = result.policyDocument.Statement.some((s) => s.Effect === 'Allow');
      if (!allowed) return undefined;
      const entry = {
        context: result.context ?? {},
        principalId: result.principalId,
        expires: Date.now() + options.authCacheMs,
      };
      if (options.authCacheMs > 0) authCache.set(header, entry);
      return entry;
    } catch (error) {
      if ((error as Error).message !== 'Unauthorized') options.log.error('authorizer failed', { error: String(error) });
      return undefined;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).filter((x) => x.m !== null);
    if (match.length === 0) {
      return send(
        res,
        problemResponse(404, 'not-found', 'No such route', `${url.pathname} is not a Vigil API route.`, requestId),
      );
    }
    const chosen = match.find((x) => x.r.route.method === req.method);
    if (!chosen) {
      const allow = match.map((x) => x.r.route.method).join(', ');
      return send(
        res,
        problemResponse(
          405,
          'method-not-allowed',
          'Method not allowed',
          `${req.method} is not allowed here; use ${allow}.`,
          requestId,
          undefined,
          { allow },
        ),
      );
    }
    const { r: compiled, m } = chosen as { r: CompiledRoute; m: RegExpExecArray };
    const body = await readBody(req);
    if (body === 'too-large') {
      return send(
        res,
        problemResponse(
          413,
          'payload-too-large',
          'The payload is too large',
          'The request body is larger than 6 MiB.',
          requestId,
        ),
      );
    }
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      headers[name] = values.join(', ');
      multiValueHeaders[name] = values;
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      multiQuery[name] = [...(multiQuery[name] ?? []), value];
    }
    const pathParameters = Object.fromEntries(
      compiled.paramNames.map((name, i) => [name, decodeURIComponent(m[i + 1] ?? '')]),
    );
    const event: APIGatewayProxyEvent = {
      resource: compiled.route.path,
      path: url.pathname,
      httpMethod: compiled.route.method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
      pathParameters: compiled.paramNames.length > 0 ? pathParameters : null,
      stageVariables: null,
      body: body.length > 0 ? body.toString('utf8') : null,
      isBase64Encoded: false,
      requestContext: {
        requestId,
        resourcePath: compiled.route.path,
        httpMethod: compiled.route.method,
        path: url.pathname,
        stage: 'local',
        identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
      } as APIGatewayProxyEvent['requestContext'],
    };
    if (compiled.route.auth) {
      const identity = await authorize(event, compiled.route);
      if (!identity) {
        return send(
          res,
          problemResponse(
            401,
            'unauthorized',
            'Missing or invalid API key',
            'Send a valid API key as Authorization: Bearer vgl_...',
            requestId,
            undefined,
            { 'www-authenticate': 'Bearer' },
          ),
        );
      }
      event.requestContext.authorizer = { ...identity.context, principalId: identity.principalId };
      const plan = PLANS[String(identity.context.plan) as PlanName] ?? PLANS.free;
      const decision: RateDecision = options.rateLimits
        ? limiter.take(String(identity.context.tenantId), plan)
        : { allowed: true };
      if (!decision.allowed) {
        return send(
          res,
          problemResponse(
            429,
            'rate-limited',
            'Too many requests',
            `Your plan allows ${plan.ratePerSecond} requests per second (bursts of ${plan.burst}); retry after ${decision.retryAfterSeconds} s.`,
            requestId,
            undefined,
            // The bucket holds `burst` requests; none is left until the next token, in Retry-After s.
            rateLimitHeaders({ limit: plan.burst, remaining: 0, resetSeconds: decision.retryAfterSeconds }),
          ),
        );
      }
    }
    compiled.handler ??= (await compiled.route.load()).handler;
    send(res, await compiled.handler(event, lambdaContext(compiled.route.functionName, requestId)));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      options.log.error('gateway failed', { error: String(error) });
      if (!res.headersSent)
        send(res, problemResponse(500, 'internal', 'Internal error', 'The local gateway failed.', 'unknown'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${options.port} on ${options.host} is already in use: stop the other process or set VIGIL_PORT`,
            )
          : error,
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    clearAuthCache: () => authCache.clear(),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
