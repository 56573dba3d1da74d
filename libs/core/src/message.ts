/** The message model: what Vigil stores about one scheduled webhook. */
import type { AttemptRequest } from './earlier-requests';
import type { FlowControl } from './flow-control';
import { MESSAGE_STATUSES } from './shared/message-values';

export { MESSAGE_STATUSES };

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const HTTP_METHODS = ['POST', 'PUT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** How the body was given: JSON is sent as `application/json`, text as given. */
export type BodyKind = 'json' | 'text' | 'none';

/**
 * What a target answered a delivery's request, or why nothing came: as the sender reports it
 * (`SendResult`, ports.ts) and as an attempt keeps it.
 */
export interface SendOutcome {
  statusCode?: number;
  /** Set when no HTTP response arrived: timeout, refused connection, blocked target... */
  error?: string;
  /**
   * How the attempt went wrong, as data (the sender reads it from the error's code, never its
   * text): set with `error`, and for a redirect (a 3xx is answered, never followed).
   */
  errorKind?: AttemptErrorKind;
  /** The start of the response body: at most 1024 UTF-8 bytes once decoded (see SNIPPET_MAX_BYTES). */
  responseSnippet?: string;
  /**
   * The receiver's response headers, names lower-cased, in the order they came: the first ones
   * that fit RESPONSE_HEADERS_MAX and RESPONSE_HEADERS_MAX_BYTES (boundResponseHeaders, attempt-log.ts).
   */
  responseHeaders?: Record<string, string>;
  /** How many response headers were left out of `responseHeaders` to stay within its bounds. */
  responseHeadersOmitted?: number;
  /**
   * What a 429 or 503 asked for in `Retry-After` (delta-seconds or HTTP-date), as a wait from now in
   * ms: the next attempt waits at least this long.
   */
  retryAfterMs?: number;
}

/** One try at delivering a message, as shown to the tenant: when it was made, and what it was answered. */
export interface Attempt extends SendOutcome {
  n: number;
  startedAt: string;
  durationMs: number;
  latenessMs: number;
  /** Why the attempt started late, when the engine knows for sure (LATENESS_REASONS). */
  latenessReason?: LatenessReason;
  /** The message's round when the attempt was made (0: before any redeliver; see `Message.round`). */
  round?: number;
  /**
   * What the request carried that the message alone does not tell (delivery-request.ts): enough to
   * derive every header it sent, and a digest to know the message still derives it.
   */
  sent?: SentFacts;
  /**
   * On a listing's latest attempt only (the store's summary of it, `latestAttemptSentAs`): where it
   * went and what of its request differs from the message's, when a change since made it differ,
   * as a listing reads neither the body nor the earlier requests that tell it. The log's attempts
   * never carry it.
   */
  sentAs?: AttemptRequest;
}

/**
 * How an attempt went wrong, without reading error texts. `timeout`: no complete answer within the
 * message's timeout; `connection-refused` / `connection-reset`: the receiver's host refused or cut
 * the connection; `dns`: the host name did not resolve; `unreachable`: no route to the host;
 * `tls`: the secure connection failed (certificate, protocol); `redirect`: it answered 3xx, which
 * Vigil does not follow; `blocked-target`: Vigil refused the address (private, loopback...);
 * `invalid-request`: the request could never be sent as given; `invalid-response`: the receiver
 * answered, but not in HTTP (a malformed status line or header, a status under 100, more than
 * 64 KiB or 32 informational responses before the answer's status line), or its head was over
 * 64 KiB (then with its status, which counts); `other`: anything else.
 */
export const ATTEMPT_ERROR_KINDS = [
  'timeout',
  'connection-refused',
  'connection-reset',
  'dns',
  'unreachable',
  'tls',
  'redirect',
  'blocked-target',
  'invalid-request',
  'invalid-response',
  'other',
] as const;
export type AttemptErrorKind = (typeof ATTEMPT_ERROR_KINDS)[number];

/**
 * The parts of an attempt's request that change from one attempt to the next (the rest follows
 * from the message): the signing timestamp, the signature masked, the user agent of the Vigil
 * version that sent it, and a digest of the whole request but its signature.
 */
export interface SentFacts {
  /** `webhook-timestamp`, epoch seconds. */
  timestamp: number;
  /** `webhook-signature` with each signature cut to its first characters (`v1,K5oZ…`). */
  signature: string;
  userAgent: string;
  /** SHA-256 (first 16 hex digits) of method, URL, headers but the signature, and body. */
  digest: string;
}

/** The parts of a message's request a PATCH can change after an attempt was sent (earlier-requests.ts). */
export const REQUEST_PARTS = ['url', 'method', 'headers', 'body'] as const;
export type RequestPart = (typeof REQUEST_PARTS)[number];

/**
 * One change of a message's request after attempts were sent: what those attempts were sent with
 * that the change replaced. A part set here covers the attempts numbered up to `upTo` that no
 * earlier entry (a smaller `upTo`) setting the same part covers; a part no entry covers for an
 * attempt is the message's own. Entries are kept in the order of `upTo`, each `upTo` once.
 */
export interface EarlierRequest {
  /** The number of the last attempt made before the change. */
  upTo: number;
  /** The URL those attempts were sent to. */
  url?: string;
  /** The URL's digest, in place of `url` once its text no longer fits the list's bound. */
  urlDigest?: string;
  method?: HttpMethod;
  /** A digest of the message's own headers they carried (names, values and order). */
  headers?: string;
  /** A digest of the body they carried, with its kind. */
  body?: string;
}

/**
 * Why an attempt started late, when the engine knows for sure (deliver-message.ts latenessReasonOf):
 * - `flow-control`: held back on purpose, its flow key had no free turn at the due instant;
 * - `recovered`: overdue and in no worker's hands (its queue ticket lost or late, a worker that died
 *   holding it, the engine down at the due instant), the sweep found it and sent it on (sweep-pending.ts);
 * - `timer-missed`: its far-future bucket's timer did not hand it on in time (never fired, could not
 *   be set, or its promote failed), the sweep promoted the bucket (promote-bucket.ts promoteMissedBuckets);
 * - `engine-busy`: a worker held it ready for its due instant, but its process did not run then
 *   (paused, or too busy): it woke over STALL_LATENESS_MS late, and sent at once;
 * - `receiver-busy`: its request waited for a connection to the receiver, every one the sender may
 *   open to its origin in use (earlier requests still waiting on its answers), for most of its lateness.
 * A retry's backoff is no lateness: a retry's lateness counts from the time its backoff made it due.
 */
export const LATENESS_REASONS = ['flow-control', 'recovered', 'timer-missed', 'engine-busy', 'receiver-busy'] as const;
export type LatenessReason = (typeof LATENESS_REASONS)[number];
/**
 * The reasons a ticket carries, set by whoever sent it: the sweep's nets (`recovered`,
 * `timer-missed`), or a worker that hands a message back already late (the reason it was late for,
 * kept for the attempt that sends it: `engine-busy` too).
 */
export const TICKET_LATENESS_REASONS = [
  'recovered',
  'timer-missed',
  'engine-busy',
] as const satisfies readonly LatenessReason[];
export type TicketLatenessReason = (typeof TICKET_LATENESS_REASONS)[number];

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
  | {
      kind: 'notification';
      endpointId: string;
      event: NotificationEventType | typeof TEST_EVENT_TYPE;
      /** `message.failed`: the message and round it tells of (absent on those made before 2026-12-06). */
      messageId?: string;
      round?: number;
      /**
       * `sweep`: stored for the engine's sweep to hand on, not dispatched (StoredEventDeps: an account
       * event from the operator's shell, which has no queue), so the sweep finding it unsent is no
       * lost ticket. Vigil's own: not shown in the API (message-view.ts).
       */
      handedOnBy?: 'sweep';
    };

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
  /**
   * Set on a taken message while its worker waits for its flow key's turn longer than
   * FLOW_CANCELLABLE_AFTER_MS: the instant the wait began. A cancel may end such a wait (the worker
   * ends it with a write the cancel's makes fail, and the other way round); a take clears it.
   */
  flowWaitingSince?: number;
  attempts: Attempt[];
  /**
   * What the attempts made before a change of the message (a PATCH of its url, method, headers or
   * body) were sent with, where the change replaced it (earlier-requests.ts): absent until such a
   * change follows an attempt, so an attempt no entry covers went to the message as it is.
   */
  earlierRequests?: EarlierRequest[];
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
  /** The bulk job whose redeliver started the current round (absent: a create, or a single redeliver). */
  redeliveredBy?: RedeliveredBy;
  /** The bulk job that cancelled it (absent: not cancelled, or by a single cancel): a re-run step counts it as its own. */
  cancelledBy?: string;
  /**
   * The changes API requests (PATCH, cancel, retry now, redeliver) last made (`changeMessage`): a
   * random id each, newest first, space-separated, the last `CHANGE_IDS_KEPT` (one string, as the
   * item's bytes are billed on every write): a request whose write landed with its answer lost (the
   * SDK's retry refused by its own write, a worker's take or another request's change since; or the
   * error reached it) knows the write as its own by it. The engine's writes keep it. Never shown.
   */
  changeId?: string;
}

/**
 * A bulk redeliver's mark on the round it started: a run of the same selection that was already
 * started when this round began leaves the message alone (two runs of one request side by side
 * redeliver it once); one started after redelivers it again.
 */
export interface RedeliveredBy {
  jobId: string;
  /** The job's selection (bulk-jobs.ts's `selectionKeyOf`). */
  selectionKey: string;
}

/** A bulk redeliver asking: its mark, and when its job was started (`createdAt`). */
export interface BulkRedeliver extends RedeliveredBy {
  startedAt: number;
}

export const TERMINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'failed', 'cancelled'];

export const isTerminal = (status: MessageStatus): boolean => TERMINAL_STATUSES.includes(status);
