import type { ApiKeyNotShown } from './types.ts';

/**
 * The client's errors: one class per kind of answer a caller acts on differently, each built from
 * the API's RFC 9457 problem document (`type`, `title`, `status`, `detail`, `errors[]` with a dot
 * path per bad field). Branch on the class or on `type` (a URI ending in `validation-failed`,
 * `not-found`, `idempotency-key-reused`, `quota-exceeded`, ...), never on `title` or `detail`.
 */

/** One problem with one part of the request: `path` is a dot path into it (`messages.3.url`; `""` for the root). */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem document as the API sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [member: string]: unknown;
}

/** Every error the client throws (but an abort by the caller's own signal, which is rethrown as given). */
export class VigilError extends Error {
  /** The problem's type: a URI ending in a stable name (`validation-failed`, `not-found`, ...). */
  readonly type: string;
  readonly title: string;
  /** The HTTP status, or 0 when no answer came (network error, timeout). */
  readonly status: number;
  readonly detail: string;
  /** Every bad field the API named (422, 413), each with its path. Empty otherwise. */
  readonly errors: FieldError[];
  /** The id of the request in Vigil's logs (always on a 500): quote it in a support request. */
  readonly requestId: string | undefined;
  /** The problem document as received. */
  readonly problem: Problem;
  /**
   * The URL of the request it is about (`http://localhost:4000/v1/messages`): the one that was
   * answered so, or got no answer. Undefined for a request refused before it was sent.
   */
  readonly url: string | undefined;

  /**
   * `options.detail`: the client's own words in place of the problem's (what the API could not know:
   * that the call sent no key, that baseUrl ends in /v1); `problem` stays as received.
   */
  constructor(problem: Problem, options: { cause?: unknown; url?: string | undefined; detail?: string } = {}) {
    const detail = options.detail ?? problem.detail;
    super(detail || problem.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.problem = problem;
    this.url = options.url;
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.requestId = typeof problem.requestId === 'string' ? problem.requestId : undefined;
  }

  /** True when `type` ends with `name` (`error.is('quota-exceeded')`), whatever URI prefix the API uses. */
  is(name: string): boolean {
    return this.type === name || this.type.endsWith(`/${name}`);
  }
}

/** 400, 413, 415, 422: the request as sent is refused (`errors` names each bad field for 422 and 413). */
export class VigilValidationError extends VigilError {
  override readonly name = 'VigilValidationError';
}

/**
 * A request refused before it is sent, as the API refuses one: a VigilValidationError (422) naming
 * the field, so a caller's `instanceof VigilValidationError` covers it too (no `requestId`: the
 * API never saw it).
 */
export const refusedBeforeSending = (path: string, message: string): VigilValidationError =>
  new VigilValidationError({
    type: 'validation-failed',
    title: 'The request is not valid',
    status: 422,
    detail: `${path === '' ? '' : `${path}: `}${message} (checked before sending)`,
    errors: [{ path, message }],
  });

/**
 * A success that cannot be the Vigil API's answer, `invalid-response` (a type the API never
 * answers): a web page or nothing from a URL that is not the API's, JSON without what the API's
 * answer has (`mismatch`, in words: `no message id`), or a listing that would never end. `url`
 * when one request was answered so.
 */
export const notFromTheApi = (status: number, detail: string, url?: string, mismatch?: string): VigilError =>
  new VigilError(
    {
      type: 'invalid-response',
      title: 'The answer is not from the Vigil API',
      status,
      detail,
      ...(mismatch !== undefined && { mismatch }),
    },
    { url },
  );

/** 401, 403: the API key (or session) is missing, unknown or revoked. */
export class VigilAuthError extends VigilError {
  override readonly name = 'VigilAuthError';
}

/** 404: no such message or key for this tenant. */
export class VigilNotFoundError extends VigilError {
  override readonly name = 'VigilNotFoundError';
}

/** 409: the message's status does not allow this, or a request with the same Idempotency-Key is in progress. */
export class VigilConflictError extends VigilError {
  override readonly name = 'VigilConflictError';
}

/** 429: the plan's request rate (`rate-limited`) or monthly quota (`quota-exceeded`). */
export class VigilRateLimitError extends VigilError {
  override readonly name = 'VigilRateLimitError';
  /** Seconds the API asked to wait (`Retry-After`), when it said. */
  readonly retryAfter: number | undefined;

  constructor(problem: Problem, retryAfter: number | undefined, options: { url?: string | undefined } = {}) {
    super(problem, options);
    this.retryAfter = retryAfter;
  }
}

/** 5xx: something failed on Vigil's side (quote `requestId`). */
export class VigilServerError extends VigilError {
  override readonly name = 'VigilServerError';
}

/** No answer: the connection failed or was closed before a response arrived. */
export class VigilNetworkError extends VigilError {
  override readonly name: string = 'VigilNetworkError';
  /**
   * The system's code for why, when the runtime gives one (Node's fetch does, in its error's cause):
   * `ECONNREFUSED` (nothing listens there), `ENOTFOUND` (no such host), `ECONNRESET`, ...
   */
  readonly code: string | undefined;

  constructor(
    detail: string,
    options: {
      cause?: unknown;
      type?: string;
      title?: string;
      url?: string | undefined;
      code?: string | undefined;
    } = {},
  ) {
    const { cause, type = 'network-error', title = 'The Vigil API could not be reached', url } = options;
    super({ type, title, status: 0, detail }, { cause, url });
    this.code = options.code;
  }
}

/** No answer within the request's `timeoutMs`, on any of its `tries`. */
export class VigilTimeoutError extends VigilNetworkError {
  override readonly name = 'VigilTimeoutError';
  /** How long each try waited for its answer. */
  readonly timeoutMs: number;
  /** How many tries went unanswered (the first and its retries). */
  readonly tries: number;

  constructor(timeoutMs: number, options: { url?: string | undefined; tries?: number | undefined } = {}) {
    const tries = options.tries ?? 1;
    super(`No answer from the Vigil API within ${timeoutMs} ms${tries > 1 ? ` (${tries} tries)` : ''}.`, {
      // The API's title for its own timeouts (a 408, a 504): one title per type, whoever made it.
      type: 'timeout',
      title: 'Request timed out',
      url: options.url,
    });
    this.timeoutMs = timeoutMs;
    this.tries = tries;
  }
}

/**
 * `createBatch` stopped part-way: the chunks before `failedChunk` were created (`created`), the
 * rest were not. Call `createBatch` again with the same messages and this `idempotencyKey`: the
 * chunks already created come back as they are and only the rest are created.
 */
export class VigilBatchError extends VigilError {
  override readonly name = 'VigilBatchError';

  constructor(
    override readonly cause: VigilError,
    readonly created: unknown[],
    readonly failedChunk: number,
    readonly idempotencyKey: string,
  ) {
    super(
      { ...cause.problem, detail: `Chunk ${failedChunk} of the batch failed: ${cause.message}` },
      { cause, url: cause.url },
    );
  }
}

/**
 * `keys.create` found the key its Idempotency-Key made already (a retry after a lost answer, or
 * your own repeat with the key): no second key was made, but the key's secret was in the first
 * answer only, and the API keeps only its hash, so it cannot be shown again. `apiKey` is the key as
 * it is now (its id, and `lastUsedAt` if it was ever used). If that first answer was lost, nobody
 * holds the secret: revoke the key (`keys.revoke(error.apiKey.id)`) and create another with a new
 * Idempotency-Key.
 */
export class VigilKeyNotShownError extends VigilError {
  override readonly name = 'VigilKeyNotShownError';

  constructor(
    readonly apiKey: ApiKeyNotShown,
    readonly idempotencyKey: string,
    url?: string,
  ) {
    super(
      {
        type: 'key-not-shown',
        title: 'The API key was made by an earlier request; its secret is not shown again',
        status: 200,
        detail: `${apiKey.id} (${apiKey.name}) was made by an earlier request with Idempotency-Key ${JSON.stringify(idempotencyKey)}. ${apiKey.keyNotShown}`,
      },
      { url },
    );
  }
}

/** Seconds from a `Retry-After` header (delta seconds or an HTTP date), or undefined. */
export const parseRetryAfter = (value: string | null, now = Date.now()): number | undefined => {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
};

const isProblem = (value: unknown): value is Problem =>
  typeof value === 'object' && value !== null && typeof (value as Problem).title === 'string';

/** The problem an error answer carries, or one made from its status and text when it carries none (a proxy's page). */
export const problemOf = (status: number, body: unknown): Problem => {
  if (isProblem(body)) {
    return { ...body, type: body.type || 'about:blank', status, detail: String(body.detail ?? '') };
  }
  // A proxy's page (HTML, with its line breaks): its start, on one line.
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return { type: 'about:blank', title: `The Vigil API answered ${status}`, status, detail: text };
};

/** The typed error for an error answer (to the request for `url`). */
export const errorFromResponse = (status: number, body: unknown, headers: Headers, url?: string): VigilError => {
  const problem = problemOf(status, body);
  const options = { url };
  if (status === 429) return new VigilRateLimitError(problem, parseRetryAfter(headers.get('retry-after')), options);
  if (status === 401 || status === 403) return new VigilAuthError(problem, options);
  if (status === 404) return new VigilNotFoundError(problem, options);
  if (status === 409) return new VigilConflictError(problem, options);
  if (status === 400 || status === 413 || status === 415 || status === 422)
    return new VigilValidationError(problem, options);
  if (status >= 500) return new VigilServerError(problem, options);
  return new VigilError(problem, options);
};
