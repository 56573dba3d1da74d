/**
 * The API's shapes as the web app names them: the types generated from openapi.yaml
 * (`@vigil/contract`, `npm run contract:types`), and the core's own status lists. Nothing here is
 * typed by hand, so the app cannot drift from the contract.
 */
import type { components } from '@vigil/contract';
import { WAITING_STATUSES } from '@vigil/core/lifecycle';
import { isTerminal, MESSAGE_STATUSES } from '@vigil/core/message';

type Schemas = components['schemas'];

export type MessageStatus = Schemas['MessageStatus'];
export type Message = Schemas['MessageOut'];
export type MessagePage = Schemas['MessagePage'];
export type Attempt = Schemas['AttemptOut'];
export type AttemptList = Schemas['AttemptList'];
export type FailureReason = Schemas['FailureReason'];
export type ApiKey = Schemas['ApiKeyOut'];
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
export type Usage = Schemas['UsageOut'];
export type UsageDay = Schemas['UsageDay'];
/** A problem document; a validation problem names each bad field in `errors`. */
export type Problem = Schemas['Problem'] & { errors?: Schemas['FieldError'][] };

export { MESSAGE_STATUSES };
/** Statuses a message can still leave on its own: rows in these are refreshed while on screen. */
export const LIVE_STATUSES: readonly MessageStatus[] = MESSAGE_STATUSES.filter((status) => !isTerminal(status));
/** Statuses in which a message can still be cancelled or rescheduled. */
export const PENDING_STATUSES: readonly MessageStatus[] = WAITING_STATUSES;

/** What a server action hands back to the page: data, or an error a person can read. */
export type ActionResult<T = undefined> = { ok: true; data: T } | { ok: false; error: string };
