/**
 * The HTTP edge shared by every API handler: a middy chain that parses and validates the request
 * once (JSON body, query, headers) with zod, hands a typed request to the route, shapes the JSON
 * response, and maps every error to an RFC 9457 problem+json answer. A service that was
 * unavailable (throttled, failing, out of reach) is a 503 with Retry-After; other unexpected errors
 * become a plain 500 carrying the request id; their details go to the log only.
 */
import middy from '@middy/core';
import { isDependencyUnavailable } from '@vigil/aws/dependency-errors';
import { base } from '@vigil/aws/wiring/base';
import type { FieldError, ProblemKind, SessionIdentity, WebUser } from '@vigil/core';
import {
  CORS_EXPOSED_HEADERS,
  PROBLEMS,
  problemDocument,
  safeParseRequest,
  validationErrorOf,
  MalformedRequestError,
  PayloadTooLargeError,
  parseRequestJson,
  stringifyExactJson,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  VigilError,
} from '@vigil/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';

/** Whole request bodies above this are refused before parsing (a batch of 100 small messages fits). */
export const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface ApiRequest<B, Q> {
  requestId: string;
  /** The calling tenant ('' on routes without one: /health, and the session-user route). */
  tenantId: string;
  /** The calling tenant's plan, as the authorizer passed it ('' where there is none: the free plan's limits apply). */
  plan: string;
  /** The calling API key's id, or SESSION_KEY_ID for the console ('' where there is no tenant caller). */
  keyId: string;
  /** The signed-in console user, on `caller: 'session-user'` routes only. */
  user?: WebUser;
  /** The console session calling, when the caller is one (not an API key). */
  session?: SessionIdentity;
  body: B;
  query: Q;
  params: Record<string, string>;
  headers: Record<string, string>;
  /** The body exactly as received (for signature checks). */
  rawBody: string;
}

export interface ApiResponse {
  status: number;
  /** Written as JSON (application/json). */
  body?: unknown;
  /** Or written as it is, in the content type the route's `headers` give: not read or rewritten. */
  text?: string;
  headers?: Record<string, string>;
}

interface RouteSpec<B extends z.ZodType, Q extends z.ZodType> {
  body?: B;
  query?: Q;
  /** False only for /health. */
  auth?: boolean;
  /** Who calls: a tenant (the default), or a console user who may have no tenant yet (`sessionUser` routes). */
  caller?: 'tenant' | 'session-user';
}

/** The console user the authorizer passed (userId, email, name?), if it passed one. */
const sessionUserOf = (context: Record<string, unknown> | null | undefined): WebUser | undefined => {
  const { userId, email, name } = context ?? {};
  if (typeof userId !== 'string' || typeof email !== 'string') return undefined;
  return { id: userId, email, ...(typeof name === 'string' && { name }) };
};

/** The console session the authorizer passed (API Gateway hands context values on as strings). */
const sessionOfContext = (context: Record<string, unknown> | null | undefined): SessionIdentity | undefined => {
  const { sessionId, sessionEndsAt } = context ?? {};
  const endsAt = Number(sessionEndsAt);
  if (typeof sessionId !== 'string' || !Number.isSafeInteger(endsAt)) return undefined;
  return { sessionId, endsAt };
};

const allowWebOrigin = (response: APIGatewayProxyResult | undefined) => {
  const origin = base().config.webOrigin;
  if (!response || !origin) return;
  response.headers = {
    ...response.headers,
    'access-control-allow-origin': origin,
    'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', '),
    vary: 'Origin',
  };
};

/** What an answer says beyond its problem's catalogue entry: a more precise detail, field errors, headers. */
export interface ProblemSpecifics {
  detail?: string;
  errors?: FieldError[] | undefined;
  headers?: Record<string, string> | undefined;
}

const lowerCaseKeys = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

/**
 * `kind` (an entry of the problem catalogue, @vigil/core problems.ts) as the answer: its headers
 * and the answer's own, its words with the answer's detail when it says more.
 */
export const problemResponse = (
  kind: ProblemKind,
  requestId: string,
  { detail, errors, headers = {} }: ProblemSpecifics = {},
): APIGatewayProxyResult => ({
  statusCode: kind.status,
  headers: {
    'content-type': 'application/problem+json',
    'x-request-id': requestId,
    ...lowerCaseKeys({ ...kind.headers, ...headers }),
  },
  body: JSON.stringify({ ...problemDocument(kind, requestId, detail), ...(errors && { errors }) }),
});

const lowerCaseHeaders = (headers: APIGatewayProxyEvent['headers']): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k.toLowerCase(), v]])),
  );

/**
 * The request's body as text. A body handed over as base64 (bytes that were not UTF-8, or binary as
 * API Gateway passes it) must decode as UTF-8: decoded leniently, a bad byte would turn into U+FFFD
 * and be stored changed, a URL or a key name included.
 */
const rawBodyOf = (event: APIGatewayProxyEvent): string => {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) return raw;
  try {
    return STRICT_UTF8.decode(Buffer.from(raw, 'base64'));
  } catch {
    throw new MalformedRequestError('The body is not valid UTF-8: JSON is UTF-8 text (RFC 8259).');
  }
};
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A body still compressed (API Gateway decompresses the codings it knows, the local gateway none)
 * reads as bytes that are not UTF-8, or as broken JSON, whose error quotes its bytes: say what is
 * wrong instead. Undefined when no coding was declared.
 */
const stillCompressed = (headers: Record<string, string>): UnsupportedMediaTypeError | undefined => {
  const coding = (headers['content-encoding'] ?? '').trim();
  if (coding === '' || coding.toLowerCase() === 'identity') return undefined;
  return new UnsupportedMediaTypeError(`Content-Encoding ${coding} is not supported; send the body uncompressed.`, {
    headers: { 'accept-encoding': 'identity' },
  });
};

const readJsonBody = (event: APIGatewayProxyEvent, headers: Record<string, string>): unknown => {
  let text: string;
  try {
    text = rawBodyOf(event);
  } catch (error) {
    throw stillCompressed(headers) ?? error;
  }
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES)
    throw new PayloadTooLargeError('The request body is larger than 6 MiB.');
  if (text.trim() === '') throw ValidationError.single('', 'a JSON body is required');
  const type = headers['content-type'] ?? '';
  if (type !== '' && !/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new UnsupportedMediaTypeError(`Content-Type ${type} is not supported; send application/json.`);
  }
  // JSON is UTF-8 (RFC 8259), and the body is read so: another charset named would be read wrong.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type charset ${charset.slice(0, 40)} is not supported; send the body as UTF-8 (charset=utf-8, or none).`,
    );
  }
  try {
    return parseRequestJson(text);
  } catch (error) {
    if (error instanceof VigilError) throw error; // a request past a bound (413), refused before parsing
    throw (
      stillCompressed(headers) ?? new MalformedRequestError(`The body is not valid JSON: ${(error as Error).message}`)
    );
  }
};

/**
 * The query or the body of a tenant's route that takes none: any parameter or field is refused as
 * unknown, as on the routes that take some, so `?limit=10` on a route without paging or
 * `{"delay": 60}` on a redeliver is a 422, not silently ignored (no body, or `{}`, is fine). The
 * open routes (/health, the canary's receiver, which reads the raw body), called by machines,
 * ignore both.
 */
const NOTHING = z.strictObject({});

/**
 * The query, each parameter given once: API Gateway (and the local gateway) would hand the handler
 * the last of a repeated one, so `?status=failed&status=queued` would list only `queued` without a
 * word. A list is one parameter with commas (`status=failed,queued`).
 */
const queryOf = <Q extends z.ZodType>(spec: RouteSpec<z.ZodType, Q>, event: APIGatewayProxyEvent) => {
  const schema = spec.query ?? (spec.auth === false ? undefined : NOTHING);
  if (!schema) return undefined;
  const repeated = Object.entries(event.multiValueQueryStringParameters ?? {}).filter(
    ([, values]) => (values?.length ?? 0) > 1,
  );
  if (repeated.length > 0) {
    throw new ValidationError(
      repeated.map(([name, values]) => ({
        path: `query.${name}`,
        message: `given ${values?.length} times: give it once (a list is one parameter with commas, e.g. status=failed,queued)`,
      })),
    );
  }
  return validate(schema, event.queryStringParameters ?? {}, 'query');
};

const bodyOf = <B extends z.ZodType>(
  spec: RouteSpec<B, z.ZodType>,
  event: APIGatewayProxyEvent,
  headers: Record<string, string>,
) => {
  if (spec.body) return validate(spec.body, readJsonBody(event, headers), 'body');
  if (spec.auth === false || rawBodyOf(event).trim() === '') return undefined;
  validate(NOTHING, readJsonBody(event, headers), 'body');
  return undefined;
};

const validate = <S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query'): z.output<S> => {
  const result = safeParseRequest(schema, input);
  if (result.success) return result.data;
  throw validationErrorOf(result.error, where === 'query' ? ['query'] : [], schema);
};

export const httpRoute = <B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<B, Q>,
  route: (request: ApiRequest<z.output<B>, z.output<Q>>) => Promise<ApiResponse>,
) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use({
      // Runs last on the way out, for answers and problems alike: with Lambda proxy integration
      // the CORS header of real responses comes from the function, not from API Gateway.
      after: async (request) => allowWebOrigin(request.response),
      onError: async (request) => allowWebOrigin(request.response),
    })
    .use({
      onError: async (request) => {
        const requestId = request.event.requestContext?.requestId ?? 'unknown';
        const error = request.error;
        if (error instanceof VigilError) {
          request.response = problemResponse(error.problem, requestId, {
            detail: error.message,
            errors:
              error instanceof ValidationError || error instanceof PayloadTooLargeError ? error.errors : undefined,
            headers: error.headers,
          });
          return;
        }
        const route = `${request.event.httpMethod} ${request.event.resource}`;
        if (isDependencyUnavailable(error)) {
          base().log.warn('a service Vigil depends on was unavailable', {
            requestId,
            route,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          // The SDK's own retries (backoff included) were used up within the request: the next try
          // is worth a second's pause (the problem's Retry-After), no more.
          request.response = problemResponse(PROBLEMS.dependencyUnavailable, requestId);
          return;
        }
        base().log.error('unexpected error', {
          requestId,
          route,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        request.response = problemResponse(PROBLEMS.internal, requestId);
      },
    })
    .handler(async (event) => {
      const requestId = event.requestContext?.requestId ?? 'unknown';
      const headers = lowerCaseHeaders(event.headers);
      const tenantId = event.requestContext?.authorizer?.tenantId;
      const plan = event.requestContext?.authorizer?.plan;
      const keyId = event.requestContext?.authorizer?.keyId;
      const user = spec.caller === 'session-user' ? sessionUserOf(event.requestContext?.authorizer) : undefined;
      const session = sessionOfContext(event.requestContext?.authorizer);
      if (spec.caller === 'session-user' && !user)
        throw new UnauthorizedError("This route is for the web console's sign-in: it needs a user's session.");
      if (spec.auth !== false && spec.caller !== 'session-user' && typeof tenantId !== 'string')
        throw new UnauthorizedError('This route needs an API key.');
      const request: ApiRequest<z.output<B>, z.output<Q>> = {
        requestId,
        tenantId: typeof tenantId === 'string' && spec.caller !== 'session-user' ? tenantId : '',
        plan: typeof plan === 'string' ? plan : '',
        keyId: typeof keyId === 'string' && spec.caller !== 'session-user' ? keyId : '',
        ...(user && { user }),
        ...(session && { session }),
        body: bodyOf(spec, event, headers),
        query: queryOf(spec, event),
        params: Object.fromEntries(Object.entries(event.pathParameters ?? {}).map(([k, v]) => [k, v ?? ''])),
        headers,
        rawBody: rawBodyOf(event),
      } as ApiRequest<z.output<B>, z.output<Q>>;
      const response = await route(request);
      return {
        statusCode: response.status,
        headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...response.headers },
        body: response.text ?? (response.body === undefined ? '' : stringifyExactJson(response.body)),
      };
    });
