/**
 * Typed errors of the domain. Each names the problem the HTTP edge answers it with (RFC 9457), from
 * the one catalogue (problems.ts): a stable `type` slug, a title and a status. One place
 * (functions/api/http.ts) maps them to responses; anything that is not a VigilError becomes a
 * generic 500.
 */
import type { ProblemKind } from './problems';
import { PROBLEMS } from './problems';

export interface FieldError {
  /** Dot path into the request, e.g. `retry.maxAttempts` or `messages.3.url`; '' for the root. */
  path: string;
  message: string;
}

export abstract class VigilError extends Error {
  /** The problem this error is answered with (its status, type and title). */
  abstract readonly problem: ProblemKind;
  /** Response headers the answer carries besides the problem (e.g. Retry-After on a 429). */
  readonly headers?: Record<string, string>;

  constructor(message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options);
    this.name = new.target.name;
    this.headers = options?.headers;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The problem type's slug (`not-found`). */
  get type(): string {
    return this.problem.slug;
  }

  get title(): string {
    return this.problem.title;
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
  readonly problem = PROBLEMS.validationFailed;
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
  readonly problem = PROBLEMS.malformedRequest;
}

export class UnsupportedMediaTypeError extends VigilError {
  readonly problem = PROBLEMS.unsupportedMediaType;
}

export class PayloadTooLargeError extends VigilError {
  readonly problem = PROBLEMS.payloadTooLarge;
  /** Which message(s) of the request are too large, when the request is readable. */
  readonly errors?: FieldError[];

  constructor(message: string, options?: { cause?: unknown; errors?: FieldError[] }) {
    super(message, options);
    if (options?.errors) this.errors = options.errors;
  }
}

/** Its answer names the scheme it wants (WWW-Authenticate, RFC 9110 §11.6.1): the catalogue's entry carries it. */
export class UnauthorizedError extends VigilError {
  readonly problem = PROBLEMS.unauthorized;
}

/** The most of an id from a request's path an answer quotes. */
export const MAX_QUOTED_ID = 60;

/** The first MAX_QUOTED_ID characters of a longer id, marked as cut (`…`). */
const cutId = (id: string): string => (id.length > MAX_QUOTED_ID ? `${id.slice(0, MAX_QUOTED_ID)}…` : id);

/**
 * An id from a request's path as an answer quotes it: the first 60 characters of a longer one, and
 * how long it was. A path holds up to 16 KiB, which a 404 echoed whole (and the log with it).
 */
export const quotedId = (id: string): string =>
  id.length > MAX_QUOTED_ID ? `${cutId(id)} (${id.length.toLocaleString('en-US')} characters)` : id;

export class MessageNotFoundError extends VigilError {
  readonly problem = PROBLEMS.messageNotFound;

  /** `notAnId`: the text is not even shaped like a message id (`msg_` and 26 characters), so none has it. */
  constructor(messageId: string, options: { notAnId?: boolean } = {}) {
    super(
      options.notAnId
        ? `${JSON.stringify(cutId(messageId))} is not a message id (msg_ and 26 characters), so it names no message.`
        : `Message ${messageId} does not exist.`,
    );
  }
}

export class MessageStateConflictError extends VigilError {
  readonly problem = PROBLEMS.stateConflict;
}

export class MessageAlreadyExistsError extends VigilError {
  readonly problem = PROBLEMS.alreadyExists;
}

/** How long a request refused by others' changes is told to wait before it is sent again (`Retry-After`). */
export const CONCURRENT_CHANGE_RETRY_AFTER_S = 1;

/**
 * Others' changes kept winning while this request ran. With `sendAgain`, nothing of the request was
 * applied and sending it again as it was is the way on: the answer says so with `Retry-After`, which
 * the client library takes as leave to retry. Without it the caller must look again first.
 */
export class ConcurrentChangeError extends VigilError {
  readonly problem = PROBLEMS.concurrentChange;

  constructor(message: string, options: { sendAgain: boolean }) {
    super(message, options.sendAgain ? { headers: { 'retry-after': String(CONCURRENT_CHANGE_RETRY_AFTER_S) } } : {});
  }
}

/** The Idempotency-Key was first used for a different request (another route or another body). */
export class IdempotencyKeyReusedError extends VigilError {
  readonly problem = PROBLEMS.idempotencyKeyReused;

  constructor(key: string) {
    super(
      `Idempotency-Key ${JSON.stringify(key)} was first used within the last 24 hours for a different request (another route or body); use a new key for a new request.`,
    );
  }
}

/** Another request with the same Idempotency-Key is still being processed. */
export class IdempotencyKeyInUseError extends VigilError {
  readonly problem = PROBLEMS.idempotencyKeyInUse;

  constructor(key: string) {
    super(`A request with Idempotency-Key ${JSON.stringify(key)} is still being processed; retry in a few seconds.`);
  }
}

/**
 * The request an Idempotency-Key is bound to is done, and what it made has been removed since (by
 * the tenant, on purpose): a repeat makes nothing again. The detail names what is gone, where the
 * use case can (`IdempotentResults.removable`), and says to send a new key to make it anew.
 */
export class IdempotentRequestDoneError extends VigilError {
  readonly problem = PROBLEMS.idempotentResultsRemoved;

  constructor(key: string, what?: string) {
    super(
      `The request with Idempotency-Key ${JSON.stringify(key)} is done: ${what ?? 'what it made'} has been removed since, so nothing was made again. To make it anew, send the request with a new Idempotency-Key.`,
    );
  }
}

export class ApiKeyNotFoundError extends VigilError {
  readonly problem = PROBLEMS.apiKeyNotFound;
}

/** The tenant a message belongs to no longer exists (its deliveries can never be signed). */
export class TenantNotFoundError extends VigilError {
  readonly problem = PROBLEMS.tenantNotFound;

  constructor(tenantId: string) {
    super(`Tenant ${tenantId} does not exist.`);
  }
}

export class NotificationEndpointNotFoundError extends VigilError {
  readonly problem = PROBLEMS.notificationEndpointNotFound;

  constructor(endpointId: string) {
    super(`Notification endpoint ${quotedId(endpointId)} does not exist.`);
  }
}

/** A tenant has as many notification endpoints as it may (MAX_NOTIFICATION_ENDPOINTS). */
export class NotificationEndpointLimitError extends VigilError {
  readonly problem = PROBLEMS.endpointLimit;
}

export class NotificationEndpointExistsError extends VigilError {
  readonly problem = PROBLEMS.endpointExists;
}

export class BulkJobNotFoundError extends VigilError {
  readonly problem = PROBLEMS.bulkJobNotFound;

  constructor(jobId: string) {
    super(`Job ${quotedId(jobId)} does not exist.`);
  }
}

/** A tenant has as many bulk jobs running as it may (MAX_RUNNING_JOBS): a 429 until one ends. */
export class TooManyRunningJobsError extends VigilError {
  readonly problem = PROBLEMS.tooManyJobs;

  constructor(max: number, retryAfterS: number) {
    super(`${max} bulk jobs are running already, the most at once; start this one when one of them has ended.`, {
      headers: { 'retry-after': String(retryAfterS) },
    });
  }
}
