/**
 * The API's shapes as the web app names them: the types `@vigil/client` has (generated from
 * openapi.yaml by `npm run contract:types`), and the core's own status lists. Nothing here is
 * typed by hand, so the app cannot drift from the contract.
 */
import type { Problem as ClientProblem } from '@vigil/client';
import { isTerminal, MESSAGE_STATUSES } from '@vigil/core/message';
import { MESSAGE_ORIGIN_KINDS } from '@vigil/core/message-filter';
import type { Attempt, MessageStatus, Usage } from '@vigil/client';

export type {
  ApiKey,
  ApiKeyCreated,
  ApiKeyNotShown,
  Attempt,
  AttemptList,
  BulkJob,
  FailureReason,
  Message,
  MessageOriginKind,
  MessagePage,
  MessageStatus,
  NotificationEndpoint,
  NotificationEventType,
  SessionTenant,
  Usage,
  UsageDay,
} from '@vigil/client';
/** How an attempt went wrong, as the API says it (`errorKind`). */
export type AttemptErrorKind = NonNullable<Attempt['errorKind']>;
/**
 * A problem document; a validation problem names each bad field in `errors`. The console adds what
 * a 429's headers said (lib/api.ts): `retryAfter`, the seconds `Retry-After` asked to wait, and on
 * a used-up monthly quota `renewsAt`, the instant it renews (the start of the next UTC month).
 */
export type Problem = ClientProblem & { retryAfter?: number; renewsAt?: string };

export { MESSAGE_ORIGIN_KINDS, MESSAGE_STATUSES };
/** Statuses a message can still leave on its own: rows in these are refreshed while on screen. */
export const LIVE_STATUSES: readonly MessageStatus[] = MESSAGE_STATUSES.filter((status) => !isTerminal(status));

/**
 * What a server action hands back to the page: data, or an error a person can read (and, refused for
 * the month's quota, when it renews, which the page says in the viewer's zone).
 */
export type ActionResult<T = undefined> = { ok: true; data: T } | ActionFailure;
export type ActionFailure = { ok: false; error: string; renewsAt?: string };

/**
 * Whether an action's failure is the month's quota (it says when it renews): the same action cannot
 * be done before then, so a dialog offers no button to try it again, only to close.
 */
export const waitsForRenewal = (error: string | ActionFailure | undefined): boolean =>
  typeof error === 'object' && error.renewsAt !== undefined;

/** Whether the month's message quota is used up (or passed, after a move to a smaller plan). */
export const quotaUsedUp = ({ monthToDate, plan }: Usage): boolean => monthToDate.scheduled >= plan.monthlyMessages;
