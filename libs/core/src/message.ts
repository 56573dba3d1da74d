/** The message model: what Vigil stores about one scheduled webhook. */
import type { FlowControl } from './flow-control';

export const MESSAGE_STATUSES = [
  'scheduled',
  'queued',
  'delivering',
  'delivered',
  'retrying',
  'failed',
  'cancelled',
] as const;

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const HTTP_METHODS = ['POST', 'PUT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** How the body was given: JSON is sent as `application/json`, text as given. */
export type BodyKind = 'json' | 'text' | 'none';

/** One try at delivering a message, as shown to the tenant. */
export interface Attempt {
  n: number;
  startedAt: string;
  durationMs: number;
  latenessMs: number;
  /** Why the attempt started late, when Vigil held it on purpose: its flow key had no free turn. */
  latenessReason?: LatenessReason;
  statusCode?: number;
  error?: string;
  /** At most 1024 UTF-8 bytes of the response body (see SNIPPET_MAX_BYTES). */
  responseSnippet?: string;
  /** What a 429 or 503 asked for in `Retry-After`, in ms: the next attempt waits at least this long. */
  retryAfterMs?: number;
}

export const LATENESS_REASONS = ['flow-control'] as const;
export type LatenessReason = (typeof LATENESS_REASONS)[number];

/** Why a message ended `failed` without its attempts being spent (absent when they were, or on 410). */
export const FAILURE_CODES = ['record-failed', 'poison', 'signing-failed', 'tenant-gone', 'flow-control'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export interface FailureReason {
  code: FailureCode;
  /** A sentence for people (at most FAILURE_DETAIL_MAX_BYTES bytes). */
  detail: string;
}

/** The outcomes a message's callback may be asked for. */
export const CALLBACK_EVENTS = ['delivered', 'failed'] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** Where to tell, and on which outcomes, when a message's round ends (QStash's callback and failure callback). */
export interface MessageCallback {
  url: string;
  on: CallbackEvent[];
}

/** The events a tenant's notification endpoints may receive. */
export const NOTIFICATION_EVENT_TYPES = ['message.failed', 'key.created', 'key.revoked'] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];
/** What a notification endpoint's test sends (not an event anyone subscribes to). */
export const TEST_EVENT_TYPE = 'notification.test';

/**
 * Why Vigil itself made a message: the callback of another message's round, or an event for one
 * of the tenant's notification endpoints. Such an event delivery is signed, retried and recorded
 * like any message, but it is not metered, has no callback of its own and notifies nobody.
 */
export type MessageOrigin =
  | { kind: 'callback'; messageId: string; round: number; event: CallbackEvent }
  | { kind: 'notification'; endpointId: string; event: NotificationEventType | typeof TEST_EVENT_TYPE };

/** A callback delivery made for a round of this message (the callback is a message of its own). */
export interface CallbackRef {
  id: string;
  round: number;
  event: CallbackEvent;
}

export interface Message {
  id: string;
  tenantId: string;
  status: MessageStatus;
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  /** The body exactly as it will be sent (JSON already serialised). */
  body: string;
  bodyKind: BodyKind;
  /** When the tenant asked for it (epoch ms). */
  sendAt: number;
  /** The IANA zone the message was scheduled in (its `sendAt` wall time was read in it), if any. */
  timezone?: string;
  /** With `timezone`: `sendAt` as a local time there, with its offset (`2026-03-29T03:30:00.000+02:00`). */
  localSendAt?: string;
  /** When the next delivery attempt is due (epoch ms): `sendAt` at first, later the retry time. */
  dueAt: number;
  createdAt: number;
  updatedAt: number;
  maxAttempts: number;
  timeoutMs: number;
  metadata: Record<string, string>;
  /** Labels to find the message by (message-filter.ts); absent when it has none. */
  labels?: string[];
  /** The flow key this message's requests count against, and its limits (flow-control.ts). */
  flowControl?: FlowControl;
  /**
   * Set while flow control holds the message back: the instant it was due before its `dueAt` was
   * moved to the next try. Its attempt's lateness counts from here.
   */
  flowHeldFrom?: number;
  attempts: Attempt[];
  /** Far path only: the start of the minute bucket whose timer promotes it (epoch ms). */
  bucketAt?: number;
  /** Attempts numbered up to this belong to an earlier round (a redeliver starts a new round). */
  roundStart: number;
  /** Redelivers so far: the round the message is in (absent: 0, the create's). Keys usage ids. */
  round?: number;
  /** When the current round began (epoch ms; absent: `createdAt`): the day its `scheduled` counts on. */
  roundAt?: number;
  /** Bumped by every change that makes queued copies of the message stale. */
  version: number;
  /** Set while a worker holds the message; after it passes, the message may be taken again. */
  leaseUntil?: number;
  deliveredAt?: number;
  idempotencyKey?: string;
  /** Takes since the last recorded attempt (counted by the take itself): a poison message keeps climbing. */
  takes?: number;
  /** Set when the message was finished `failed` for a reason other than its attempts' answers. */
  failureReason?: FailureReason;
  /**
   * Final states only: when the message (and its attempts) expires, epoch ms — its plan's
   * retention after it got there (retention.ts). Never set on a message still to be delivered.
   */
  expiresAt?: number;
  /** Called back when a round ends in one of `on` (a callback delivery per round, linked in `callbacks`). */
  callback?: MessageCallback;
  /** The callback deliveries made so far, newest last (at most MAX_CALLBACK_REFS). */
  callbacks?: CallbackRef[];
  /** Set on the messages Vigil makes itself (callbacks, notifications): what they are about. */
  origin?: MessageOrigin;
}

export const TERMINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'failed', 'cancelled'];

export const isTerminal = (status: MessageStatus): boolean => TERMINAL_STATUSES.includes(status);
