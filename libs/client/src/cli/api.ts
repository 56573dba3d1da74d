/**
 * What the commands call: the SDK's message and bulk-job calls (`new Vigil(...)`'s `messages` and
 * `jobs`), and the API's shapes under the SDK's names. The CLI has no HTTP client of its own.
 */
import type { Vigil } from '../vigil';

export type Api = Pick<Vigil, 'messages' | 'jobs'>;
export type { CallOptions, CreateMessage, UpdateMessage } from '../vigil';
export type {
  Attempt,
  AttemptList,
  BulkJob,
  BulkJobIn,
  Message,
  MessageFilter,
  MessageOriginKind,
  MessagePage,
  MessageStatus,
} from '../types';
