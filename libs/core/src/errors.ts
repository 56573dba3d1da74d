/**
 * Typed errors of the domain. Each carries what the HTTP edge needs to answer with an RFC 9457
 * problem: a stable `type` slug, a title and a status. One place (functions/api/http.ts) maps
 * them to responses; anything that is not a VigilError becomes a generic 500.
 */

export interface FieldError {
  /** Dot path into the request, e.g. `retry.maxAttempts` or `messages.3.url`; '' for the root. */
  path: string;
  message: string;
}

export abstract class VigilError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  abstract readonly title: string;
  /** Response headers the answer carries besides the problem (e.g. Retry-After on a 429). */
  readonly headers?: Record<string, string>;

  constructor(message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options);
    this.name = new.target.name;
    this.headers = options?.headers;
  }
}

/**
 * The most field errors one problem lists: a request can carry hundreds of thousands of mistakes (a
 * 6 MiB body of unknown fields), and its answer must stay a small problem document, not 30 MB.
 */
export const MAX_FIELD_ERRORS = 50;

/** The first MAX_FIELD_ERRORS of `total` problems, and a last entry saying how many more there were. */
const bounded = (errors: readonly FieldError[], total: number): FieldError[] =>
  total <= MAX_FIELD_ERRORS
    ? [...errors]
    : [
        ...errors.slice(0, MAX_FIELD_ERRORS),
        { path: '', message: `and ${total - MAX_FIELD_ERRORS} more problems not listed` },
      ];

export class ValidationError extends VigilError {
  readonly status = 422;
  readonly type = 'validation-failed';
  readonly title = 'The request is not valid';
  /** Every problem found, up to MAX_FIELD_ERRORS (then one entry tells how many more). */
  readonly errors: FieldError[];

  /** `total`: how many problems there are, when `errors` lists only the first of them. */
  constructor(errors: readonly FieldError[], total = errors.length) {
    const listed = bounded(errors, total);
    super(listed.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; '));
    this.errors = listed;
  }

  static single(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

export class MalformedRequestError extends VigilError {
  readonly status = 400;
  readonly type = 'malformed-request';
  readonly title = 'The request could not be read';
}

export class UnsupportedMediaTypeError extends VigilError {
  readonly status = 415;
  readonly type = 'unsupported-media-type';
  readonly title = 'The request body must be JSON';
}

export class PayloadTooLargeError extends VigilError {
  readonly status = 413;
  readonly type = 'payload-too-large';
  readonly title = 'The payload is too large';
  /** Which message(s) of the request are too large, when the request is readable. */
  readonly errors?: FieldError[];

  constructor(message: string, options?: { cause?: unknown; errors?: FieldError[] }) {
    super(message, options);
    if (options?.errors) this.errors = options.errors;
  }
}

export class UnauthorizedError extends VigilError {
  readonly status = 401;
  readonly type = 'unauthorized';
  readonly title = 'Missing or invalid API key';

  constructor(message: string) {
    // A 401 names the scheme it wants (RFC 9110 §11.6.1), as the gateway's own 401 does.
    super(message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class MessageNotFoundError extends VigilError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'No such message';

  /** `notAnId`: the text is not even shaped like a message id (`msg_` and 26 characters), so none has it. */
  constructor(messageId: string, options: { notAnId?: boolean } = {}) {
    super(
      options.notAnId
        ? `${JSON.stringify(messageId.length > 60 ? `${messageId.slice(0, 60)}…` : messageId)} is not a message id (msg_ and 26 characters), so it names no message.`
        : `Message ${messageId} does not exist.`,
    );
  }
}

export class MessageStateConflictError extends VigilError {
  readonly status = 409;
  readonly type = 'state-conflict';
  readonly title = 'The message is not in a state that allows this';
}

export class MessageAlreadyExistsError extends VigilError {
  readonly status = 409;
  readonly type = 'already-exists';
  readonly title = 'A message with this id already exists';
}

/** How long a request refused by others' changes is told to wait before it is sent again (`Retry-After`). */
export const CONCURRENT_CHANGE_RETRY_AFTER_S = 1;

/**
 * Others' changes kept winning while this request ran. With `sendAgain`, nothing of the request was
 * applied and sending it again as it was is the way on: the answer says so with `Retry-After`, which
 * the client library takes as leave to retry. Without it the caller must look again first.
 */
export class ConcurrentChangeError extends VigilError {
  readonly status = 409;
  readonly type = 'state-conflict';
  readonly title = 'Changed by another request';

  constructor(message: string, options: { sendAgain: boolean }) {
    super(message, options.sendAgain ? { headers: { 'retry-after': String(CONCURRENT_CHANGE_RETRY_AFTER_S) } } : {});
  }
}

/** The Idempotency-Key was first used for a different request (another route or another body). */
export class IdempotencyKeyReusedError extends VigilError {
  readonly status = 422;
  readonly type = 'idempotency-key-reused';
  readonly title = 'The Idempotency-Key was used for a different request';

  constructor(key: string) {
    super(
      `Idempotency-Key ${JSON.stringify(key)} was first used within the last 24 hours for a different request (another route or body); use a new key for a new request.`,
    );
  }
}

/** Another request with the same Idempotency-Key is still being processed. */
export class IdempotencyKeyInUseError extends VigilError {
  readonly status = 409;
  readonly type = 'idempotency-key-in-use';
  readonly title = 'A request with this Idempotency-Key is in progress';

  constructor(key: string) {
    super(`A request with Idempotency-Key ${JSON.stringify(key)} is still being processed; retry in a few seconds.`);
  }
}

export class ApiKeyNotFoundError extends VigilError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'No such API key';
}

/** The tenant a message belongs to no longer exists (its deliveries can never be signed). */
export class TenantNotFoundError extends VigilError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'No such tenant';

  constructor(tenantId: string) {
    super(`Tenant ${tenantId} does not exist.`);
  }
}

export class NotificationEndpointNotFoundError extends VigilError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'No such notification endpoint';

  constructor(endpointId: string) {
    super(`Notification endpoint ${endpointId} does not exist.`);
  }
}

/** A tenant has as many notification endpoints as it may (MAX_NOTIFICATION_ENDPOINTS). */
export class NotificationEndpointLimitError extends VigilError {
  readonly status = 409;
  readonly type = 'endpoint-limit';
  readonly title = 'Too many notification endpoints';
}

export class NotificationEndpointExistsError extends VigilError {
  readonly status = 409;
  readonly type = 'endpoint-exists';
  readonly title = 'An endpoint for this URL exists';
}

export class BulkJobNotFoundError extends VigilError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'No such job';

  constructor(jobId: string) {
    super(`Job ${jobId} does not exist.`);
  }
}

/** A tenant has as many bulk jobs running as it may (MAX_RUNNING_JOBS): a 429 until one ends. */
export class TooManyRunningJobsError extends VigilError {
  readonly status = 429;
  readonly type = 'too-many-jobs';
  readonly title = 'Too many bulk jobs running';

  constructor(max: number, retryAfterS: number) {
    super(`${max} bulk jobs are running already, the most at once; start this one when one of them has ended.`, {
      headers: { 'retry-after': String(retryAfterS) },
    });
  }
}
