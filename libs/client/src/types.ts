/** The API's shapes under the names the client uses, all from the types generated from openapi.yaml. */
import type { components } from './generated/openapi.ts';

type Schemas = components['schemas'];

export type MessageStatus = Schemas['MessageStatus'];
/** Who made a message: `message` (you), `callback` or `notification` (Vigil's own event deliveries). */
export type MessageOriginKind = Schemas['MessageOriginKind'];
export type HttpMethod = Schemas['HttpMethod'];
/** A message as the API answers it (lists, cancel and redeliver leave out `body`). */
export type Message = Schemas['MessageOut'];
export type MessageIn = Schemas['MessageIn'];
export type MessagePatch = Schemas['MessagePatch'];
export type MessagePage = Schemas['MessagePage'];
/** Which messages: the listing's filter, as a bulk job takes it. */
export type MessageFilter = Schemas['MessageFilter'];
/** A bulk cancel or redeliver: `{ ids }` (up to 1000) or `{ filter }`. */
export type BulkJobIn = Schemas['BulkJobIn'];
/** A bulk job and how far it got. */
export type BulkJob = Schemas['BulkJobOut'];
/** One page of bulk jobs, newest first. */
export type BulkJobPage = Schemas['BulkJobPage'];
export type BulkJobState = BulkJob['state'];
export type Attempt = Schemas['AttemptOut'];
export type AttemptList = Schemas['AttemptList'];
export type FailureReason = Schemas['FailureReason'];
/** Flow control per destination: a key with its `parallelism` and/or `ratePerSecond`. */
export type FlowControl = Schemas['FlowControl'];
export type ApiKey = Schemas['ApiKeyOut'];
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
/** A key made by an earlier request with the same Idempotency-Key, as it is now, without its secret. */
export type ApiKeyNotShown = Schemas['ApiKeyNotShown'];
export type SigningSecret = Schemas['SigningSecretOut'];
export type SigningSecretRotated = Schemas['SigningSecretRotated'];
export type Usage = Schemas['UsageOut'];
export type UsageDay = Schemas['UsageDay'];
export type Health = Schemas['Health'];
export type SessionTenant = Schemas['SessionTenant'];
export type MessageCallback = Schemas['MessageCallback'];
export type CallbackEvent = Schemas['CallbackEvent'];
export type MessageOrigin = Schemas['MessageOrigin'];
export type EventEnvelope = Schemas['EventEnvelope'];
export type NotificationEventType = Schemas['NotificationEventType'];
export type NotificationEndpoint = Schemas['NotificationEndpointOut'];
export type NotificationEndpointIn = Schemas['NotificationEndpointIn'];

export type { components, paths } from './generated/openapi.ts';
