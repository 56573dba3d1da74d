/**
 * Every problem the API answers with (RFC 9457), in one catalogue: its status, type, title and the
 * detail it says when the refusal has nothing more precise to say. The domain's errors (errors.ts),
 * the handlers' edge (functions/api/http.ts), API Gateway's own answers as the template deploys
 * them (infra/api.ts) and the local gateway standing in for it (libs/local gateway.ts) all take
 * their words from here, so a client meets one problem in one shape, whoever answered it.
 *
 * A client branches on `type` (its last part, the slug), never on `title` or `detail`. Several
 * refusals may share a type (every "no such thing" is `not-found`): they share its title too, as
 * openapi.yaml promises ("the same for every occurrence"), and say what differs in the detail
 * (problems.test.ts holds every type to one title).
 */

/** What every problem's type URI starts with; the slug follows. */
export const PROBLEM_TYPE_BASE = 'https://vigil.dev/problems/';

export interface ProblemKind {
  status: number;
  /** The type's last part, what a client branches on: `validation-failed`, `not-found`, ... */
  slug: string;
  title: string;
  /** The detail when the refusal has nothing more precise to say (an answer may say more). */
  detail: string;
  /** Headers the answer always carries beside its content type (a 401's WWW-Authenticate, say). */
  headers?: Readonly<Record<string, string>>;
}

/** A problem's `type`: `https://vigil.dev/problems/<slug>`. */
export const problemType = (kind: Pick<ProblemKind, 'slug'>): string => `${PROBLEM_TYPE_BASE}${kind.slug}`;

/** The wait a 503 asks for: a second, after which the request is worth trying again. */
export const UNAVAILABLE_RETRY_AFTER_S = 1;

/**
 * The answer headers a browser script may read (CORS's Access-Control-Expose-Headers; beyond the
 * safelisted ones, such as Content-Type): when to send a refused request again (a 429's or a 503's
 * `Retry-After`, which @vigil/client waits out) and the limit a 429 hit (`RateLimit-*`). Without
 * them a browser hands the script none of these, and a client there retried at once.
 */
export const CORS_EXPOSED_HEADERS = ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

/**
 * The request headers a browser script may send to /v1 beyond the CORS-safelisted ones (the
 * preflight's Access-Control-Allow-Headers): the credential, a JSON body's type and the create
 * routes' Idempotency-Key. The deployment's preflights (infra/api.ts) and the local gateway's allow these.
 */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key'];

/** How long a browser may keep a preflight's answer (Access-Control-Max-Age), in seconds. */
export const CORS_MAX_AGE_S = 600;

export const PROBLEMS = {
  // The request itself.
  malformedRequest: {
    status: 400,
    slug: 'malformed-request',
    title: 'The request could not be read',
    detail: 'The request is not valid HTTP.',
  },
  malformedPath: {
    status: 400,
    slug: 'malformed-path',
    title: 'Malformed path',
    detail: 'The path is not valid percent-encoding.',
  },
  validationFailed: {
    status: 422,
    slug: 'validation-failed',
    title: 'The request is not valid',
    detail: 'The request is not valid.',
  },
  unsupportedMediaType: {
    status: 415,
    slug: 'unsupported-media-type',
    title: 'The request body must be JSON',
    detail: 'Send JSON, as Content-Type: application/json.',
  },
  payloadTooLarge: {
    status: 413,
    slug: 'payload-too-large',
    title: 'The payload is too large',
    detail: 'The request body is larger than 6 MiB.',
  },
  /** The gateway's own limit, above the handlers' 6 MiB (API Gateway's REQUEST_TOO_LARGE). */
  requestTooLargeForGateway: {
    status: 413,
    slug: 'payload-too-large',
    title: 'The payload is too large',
    detail: 'The request is larger than API Gateway accepts (10 MB).',
  },
  requestHeadTooLarge: {
    status: 431,
    slug: 'request-head-too-large',
    title: 'The request head is too large',
    detail: 'The request line and headers together are over 16 KiB: send large data in the body.',
  },
  requestArrivalTimeout: {
    status: 408,
    slug: 'timeout',
    title: 'Request timed out',
    detail: "The request's head and body did not arrive in time; send it again.",
  },

  // Who is asking.
  /** It names the scheme it wants (RFC 9110 §11.6.1). */
  unauthorized: {
    status: 401,
    slug: 'unauthorized',
    title: 'Missing or invalid API key',
    detail: 'Send a valid API key as Authorization: Bearer <key>.',
    headers: { 'WWW-Authenticate': 'Bearer' },
  },
  forbidden: {
    status: 403,
    slug: 'forbidden',
    title: 'Forbidden',
    detail: 'This API key may not make this request.',
  },

  // Where it goes.
  /**
   * A path no route has (API Gateway's MISSING_AUTHENTICATION_TOKEN). Its own type, not
   * `not-found`: a client told so knows the URL is wrong (an API URL ending in /v1, say) without
   * asking again whether the thing it named exists; one that reads the status sees the 404 it did.
   */
  noSuchRoute: {
    status: 404,
    slug: 'no-such-route',
    title: 'No such route',
    detail: 'This method and path are not a Vigil API route (see the API reference, openapi.yaml).',
  },
  methodNotAllowed: {
    status: 405,
    slug: 'method-not-allowed',
    title: 'Method not allowed',
    detail: 'This method is not allowed here; use one the Allow header names.',
  },
  messageNotFound: { status: 404, slug: 'not-found', title: 'Not found', detail: 'No such message.' },
  apiKeyNotFound: { status: 404, slug: 'not-found', title: 'Not found', detail: 'No such API key.' },
  tenantNotFound: { status: 404, slug: 'not-found', title: 'Not found', detail: 'No such tenant.' },
  notificationEndpointNotFound: {
    status: 404,
    slug: 'not-found',
    title: 'Not found',
    detail: 'No such notification endpoint.',
  },
  bulkJobNotFound: { status: 404, slug: 'not-found', title: 'Not found', detail: 'No such job.' },

  // What it asks of the state.
  stateConflict: {
    status: 409,
    slug: 'state-conflict',
    title: 'The request conflicts with the current state',
    detail: "The message's status does not allow this.",
  },
  concurrentChange: {
    status: 409,
    slug: 'state-conflict',
    title: 'The request conflicts with the current state',
    detail: 'Others changed what this request changes while it ran.',
  },
  idempotentResultsRemoved: {
    status: 409,
    slug: 'state-conflict',
    title: 'The request conflicts with the current state',
    detail:
      'The request with this Idempotency-Key is done, and what it made has been removed since; nothing was made again.',
  },
  alreadyExists: {
    status: 409,
    slug: 'already-exists',
    title: 'A message with this id already exists',
    detail: 'A message with this id already exists.',
  },
  idempotencyKeyReused: {
    status: 422,
    slug: 'idempotency-key-reused',
    title: 'The Idempotency-Key was used for a different request',
    detail: 'This Idempotency-Key was first used for a different request; use a new key for a new request.',
  },
  idempotencyKeyInUse: {
    status: 409,
    slug: 'idempotency-key-in-use',
    title: 'A request with this Idempotency-Key is in progress',
    detail: 'A request with this Idempotency-Key is still being processed; retry in a few seconds.',
  },
  endpointLimit: {
    status: 409,
    slug: 'endpoint-limit',
    title: 'Too many notification endpoints',
    detail: 'This tenant has as many notification endpoints as it may.',
  },
  endpointExists: {
    status: 409,
    slug: 'endpoint-exists',
    title: 'An endpoint for this URL exists',
    detail: 'An endpoint for this URL exists.',
  },
  keyLimit: {
    status: 409,
    slug: 'key-limit',
    title: 'Too many API keys',
    detail: 'This tenant has as many API keys as it may.',
  },
  rotationLimit: {
    status: 409,
    slug: 'rotation-limit',
    title: 'Too many signing secrets in their overlap',
    detail: 'Too many signing secrets are in their overlap; rotate again once the oldest has ended.',
  },

  // How much.
  rateLimited: {
    status: 429,
    slug: 'rate-limited',
    title: 'Too many requests',
    detail: "The request rate is above the plan's limit; retry shortly.",
  },
  /** The plan's monthly message allowance (the domain's quota guard). */
  quotaExceeded: {
    status: 429,
    slug: 'quota-exceeded',
    title: 'Monthly quota exceeded',
    detail: "This month's message quota of the plan is used up; it renews on the 1st (UTC).",
  },
  /** The usage plan's monthly request quota (API Gateway's QUOTA_EXCEEDED). */
  requestQuotaExceeded: {
    status: 429,
    slug: 'quota-exceeded',
    title: 'Monthly quota exceeded',
    detail: "This month's request quota of the plan is used up.",
  },
  tooManyJobs: {
    status: 429,
    slug: 'too-many-jobs',
    title: 'Too many bulk jobs running',
    detail: 'As many bulk jobs are running as may; start this one when one of them has ended.',
  },

  // Vigil's side.
  internal: {
    status: 500,
    slug: 'internal',
    title: 'Internal error',
    detail: 'Something went wrong on our side. Quote the request id if you contact support.',
  },
  /** The authorizer answered what API Gateway cannot read: a fault of Vigil's, not of the moment. */
  authorizerMisconfigured: {
    status: 500,
    slug: 'internal',
    title: 'Internal error',
    detail: 'The credential could not be checked; quote the request id when you report it.',
  },
  /**
   * The function failed without an answer: it crashed or ran past its timeout. What it did before
   * may stand, so this is no "nothing happened": a create repeated with its Idempotency-Key returns
   * the message it made.
   */
  functionFailed: {
    status: 502,
    slug: 'internal',
    title: 'Internal error',
    detail: 'Vigil failed to answer this request; try again. Quote the request id if it persists.',
  },
  /** A service a handler depends on was unavailable after the SDK's own retries. */
  dependencyUnavailable: {
    status: 503,
    slug: 'unavailable',
    title: 'Service unavailable',
    detail:
      'A service Vigil depends on was unavailable (throttled or failing); try again after Retry-After. A create repeated with its Idempotency-Key is never made twice.',
    headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
  },
  /** API Gateway could not invoke the function (its concurrency used up, say): it never ran. */
  functionUnavailable: {
    status: 503,
    slug: 'unavailable',
    title: 'Service unavailable',
    detail: 'Vigil could not take this request just now; try again after Retry-After.',
    headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
  },
  /**
   * The authorizer failed (threw, timed out: nearly always a store it reads that did not answer):
   * no verdict on the credential, so never a 401 a client would take as final, but a 503 it retries.
   */
  authorizerFailed: {
    status: 503,
    slug: 'unavailable',
    title: 'Service unavailable',
    detail: 'The credential could not be checked just now; try again after Retry-After.',
    headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
  },
  /** No answer within API Gateway's 29 s (a function timeout above it, which Vigil's are not). */
  gatewayTimeout: {
    status: 504,
    slug: 'timeout',
    title: 'Request timed out',
    detail:
      'Vigil did not answer within 29 s and may have applied the request; repeat it (a create with the same Idempotency-Key returns the message it made).',
  },
} as const satisfies Record<string, ProblemKind>;

/** A method a route's path does not take: 405 naming those it does, in `Allow` (RFC 9110). */
export const methodNotAllowed = (method: string, allow: string): ProblemKind => ({
  ...PROBLEMS.methodNotAllowed,
  detail: `${method} is not allowed here; use ${allow}.`,
  headers: { Allow: allow },
});

/** A problem document as the API answers it. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
}

/** `kind` as a document, its detail replaced by `detail` when the refusal says more. */
export const problemDocument = (kind: ProblemKind, requestId: string, detail = kind.detail): ProblemDocument => ({
  type: problemType(kind),
  title: kind.title,
  status: kind.status,
  detail,
  requestId,
});
