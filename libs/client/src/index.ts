/**
 * `@vigil/client`: Vigil's TypeScript client. Fetch only, so it runs on Node 20+, browsers and edge
 * runtimes. Receivers verify deliveries with `@vigil/client/verify`.
 */
export { Vigil, BATCH_CHUNK, messageIn } from './vigil.js';
export type { CallOptions, CreateMessage, ListMessages, UpdateMessage, VigilOptions, When } from './vigil.js';
export {
  VigilAuthError,
  VigilBatchError,
  VigilConflictError,
  VigilError,
  VigilNetworkError,
  VigilNotFoundError,
  VigilRateLimitError,
  VigilServerError,
  VigilTimeoutError,
  VigilValidationError,
} from './errors.js';
export type { FieldError, Problem } from './errors.js';
export { parseDuration } from './duration.js';
export type { Duration } from './duration.js';
export type { RetryOptions } from './retry-policy.js';
export type { Fetch } from './transport.js';
export type * from './types.js';
