/**
 * `@vigil/client`: Vigil's TypeScript client. Fetch only, so it runs on Node 20+, browsers and edge
 * runtimes. Receivers verify deliveries with `@vigil/client/verify`.
 */
export { Vigil, BATCH_CHUNK, messageIn } from './vigil.ts';
export type { CallOptions, CreateMessage, ListJobs, ListMessages, UpdateMessage, VigilOptions, When } from './vigil.ts';
export {
  VigilAuthError,
  VigilBatchError,
  VigilConflictError,
  VigilError,
  VigilKeyNotShownError,
  VigilNetworkError,
  VigilNotFoundError,
  VigilRateLimitError,
  VigilServerError,
  VigilTimeoutError,
  VigilValidationError,
} from './errors.ts';
export type { FieldError, Problem } from './errors.ts';
export { parseDuration } from './duration.ts';
export { isLosslessNumber, LosslessNumber } from './exact-json.ts';
export { JsonText, jsonText } from './json-text.ts';
export { attemptOutcome, ERROR_KIND_WORDS } from './attempt-outcome.ts';
export type { AttemptErrorKind } from './attempt-outcome.ts';
export type { Duration } from './duration.ts';
export type { RetryOptions } from './retry-policy.ts';
export type { Fetch } from './transport.ts';
export type * from './types.ts';
