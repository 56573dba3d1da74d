/**
 * API Gateway's own answers to requests no route handler answered, as the problems the handlers
 * write (http.ts): infra/api.ts deploys them as gateway responses, and the local gateway answers
 * the same where it stands in for API Gateway. Without them API Gateway answers in its own shape
 * (`{"message": "Missing Authentication Token"}` for a mistyped path, `{"message": "Internal server
 * error"}` for a function that failed), which no client of a problem+json API can branch on.
 */

export interface GatewayProblem {
  status: number;
  slug: string;
  title: string;
  detail: string;
  /** Headers beside the problem's content type, e.g. a Retry-After. */
  headers?: Record<string, string>;
}

/**
 * No credential, or one that is not a live key or session: the authorizer's refusal, answered by
 * API Gateway (and the local gateway) before any function runs. It names the scheme it wants (RFC
 * 9110 §11.6.1), as a handler's own 401 does (UnauthorizedError).
 */
export const UNAUTHORIZED: GatewayProblem = {
  status: 401,
  slug: 'unauthorized',
  title: 'Missing or invalid API key',
  detail: 'Send a valid API key as Authorization: Bearer <key>.',
  headers: { 'WWW-Authenticate': 'Bearer' },
};

/** The API functions' timeout (Lambda), well inside API Gateway's 29 s integration limit. */
export const API_TIMEOUT_S = 10;

/**
 * A path no route has (API Gateway's MISSING_AUTHENTICATION_TOKEN: it names a request to no
 * resource so, and a resource's method it does not have, which an ANY method on every route's
 * resource now answers as METHOD_NOT_ALLOWED: infra/api.ts).
 */
export const NO_SUCH_ROUTE: GatewayProblem = {
  status: 404,
  slug: 'not-found',
  title: 'No such route',
  detail: 'This method and path are not a Vigil API route (see the API reference, openapi.yaml).',
};

/**
 * A method a route's path does not take (`GET /v1/messages/batch`): 405 naming those it does, in
 * `Allow`, as RFC 9110 asks. The local gateway and API Gateway (a mock ANY method on each route's
 * resource, infra/api.ts) answer it alike, before any credential is checked.
 */
export const methodNotAllowed = (method: string, allow: string): GatewayProblem => ({
  status: 405,
  slug: 'method-not-allowed',
  title: 'Method not allowed',
  detail: `${method} is not allowed here; use ${allow}.`,
  headers: { Allow: allow },
});

/**
 * The function failed without an answer: it crashed or ran past API_TIMEOUT_S. What it did before
 * may stand, so this is no "nothing happened": a create repeated with its Idempotency-Key returns
 * the message it made.
 */
export const FUNCTION_FAILED: GatewayProblem = {
  status: 502,
  slug: 'internal',
  title: 'Internal error',
  detail: 'Vigil failed to answer this request; try again. Quote the request id if it persists.',
};

/** API Gateway could not invoke the function (its concurrency used up, say): it never ran. */
export const FUNCTION_UNAVAILABLE: GatewayProblem = {
  status: 503,
  slug: 'unavailable',
  title: 'Service unavailable',
  detail: 'Vigil could not take this request just now; try again after Retry-After.',
  headers: { 'Retry-After': '1' },
};

/**
 * The authorizer failed (threw, timed out: nearly always a store it reads that did not answer):
 * no verdict on the credential, so never a 401 a client would take as final, but a 503 it retries.
 */
export const AUTHORIZER_FAILED: GatewayProblem = {
  ...FUNCTION_UNAVAILABLE,
  detail: 'The credential could not be checked just now; try again after Retry-After.',
};

/** No answer within API Gateway's 29 s (a function timeout above it, which Vigil's are not). */
export const GATEWAY_TIMEOUT: GatewayProblem = {
  status: 504,
  slug: 'timeout',
  title: 'Request timed out',
  detail:
    'Vigil did not answer within 29 s and may have applied the request; repeat it (a create with the same Idempotency-Key returns the message it made).',
};
