/**
 * Event webhooks: the deliveries Vigil makes of its own accord. A message's **callback** (its
 * round ended `delivered` or `failed`) and an event for one of the tenant's **notification
 * endpoints** (`message.failed`, `key.created`, `key.revoked`) are each a message of their own,
 * due now, whose `origin` says what it is about. They therefore go through the one delivery
 * engine: signed with the tenant's secret (Standard Webhooks), retried with backoff up to
 * EVENT_MAX_ATTEMPTS, their attempts recorded and shown, swept if a dispatch is lost. They are not
 * metered, have no callback of their own and notify nobody, so an event can never cause another.
 *
 * The body is a Standard Webhooks-style envelope `{ type, timestamp, data }`.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { placeMessage } from './lifecycle';
import { isTerminal } from './message';
import type {
  CallbackEvent,
  CallbackRef,
  Message,
  MessageOrigin,
  NotificationEventType,
  TEST_EVENT_TYPE,
} from './message';
import { toMessageOut } from './message-view';
import type { EngineSettings } from './settings';
import { roundOf } from './usage';

/** Attempts of one event delivery (a round's callback, a notification): its own retries, bounded. */
export const EVENT_MAX_ATTEMPTS = 5;
/** How long an event delivery waits for its receiver's answer. */
export const EVENT_TIMEOUT_MS = 10_000;
/** Callback deliveries a message keeps links to (the newest; one per round at most). */
export const MAX_CALLBACK_REFS = 10;
/** Notification endpoints a tenant may have. */
export const MAX_NOTIFICATION_ENDPOINTS = 5;
/** Deliveries shown per notification endpoint, newest first. */
export const RECENT_DELIVERIES_LIMIT = 20;
/** How long an endpoint remembers a delivery made to it (the delivery itself follows its plan's retention). */
export const RECENT_DELIVERY_KEEP_MS = 7 * 24 * 3_600_000;

export const NOTIFICATION_ENDPOINT_ID_PATTERN = /^nep_[0-9A-HJKMNP-TV-Z]{26}$/;
export const newNotificationEndpointId = (nowMs: number): string => `nep_${ulid(nowMs)}`;

/** A URL of the tenant's that receives events about its account. */
export interface NotificationEndpoint {
  id: string;
  tenantId: string;
  url: string;
  /** The events it receives. */
  events: NotificationEventType[];
  description?: string;
  createdAt: number;
}

/** The body of every event delivery. */
export interface EventEnvelope {
  type: string;
  /** When the event happened (RFC 3339). */
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * A message id derived from what the message is about: the same key always gives the same id, so
 * an event delivery made twice (a worker that died after making it and is taken again) is stored
 * once. The time part is `atMs`, so it sorts among the messages of that time like any id.
 */
export const derivedMessageId = (atMs: number, key: string): string => {
  const digest = createHash('sha256').update(key).digest();
  let i = 0;
  const fromDigest = () => (digest[i++ % digest.length] as number) / 256;
  return `msg_${ulid(atMs, fromDigest)}`;
};

const eventDelivery = (
  tenantId: string,
  id: string,
  url: string,
  envelope: EventEnvelope,
  origin: MessageOrigin,
  now: number,
  settings: EngineSettings,
): Message =>
  placeMessage(
    {
      id,
      tenantId,
      status: 'queued',
      url,
      method: 'POST',
      headers: {},
      body: JSON.stringify(envelope),
      bodyKind: 'json',
      sendAt: now,
      dueAt: now,
      createdAt: now,
      updatedAt: now,
      maxAttempts: EVENT_MAX_ATTEMPTS,
      timeoutMs: EVENT_TIMEOUT_MS,
      metadata: {},
      attempts: [],
      roundStart: 0,
      version: 0,
      origin,
    },
    now,
    settings,
    'fresh',
  );

/** How a finished round ended, as a callback event; undefined while it has not ended so. */
const outcomeOf = (message: Message): CallbackEvent | undefined =>
  message.status === 'delivered' || message.status === 'failed' ? message.status : undefined;

/** What an event about a message's outcome says: the message (no body) with its last attempt, and the round. */
const outcomeData = (message: Message): Record<string, unknown> => ({
  message: toMessageOut(message, { withBody: false }),
  round: roundOf(message),
});

/**
 * The callback delivery of a message whose round just ended (`message` as it is finished), if
 * its callback asks for that outcome. Its id is derived from the message, its round, the round's
 * last due time and the outcome, so a round calls back once per outcome however often its end is
 * recorded; and a callback made for an end that was then not recorded (the record failed, the
 * message ended `failed`) is another delivery than the one for the end that was, and can be
 * withdrawn without touching it (deliver-message.ts).
 */
export const callbackDeliveryFor = (message: Message, now: number, settings: EngineSettings): Message | undefined => {
  const event = outcomeOf(message);
  if (message.origin || !message.callback || !event || !message.callback.on.includes(event)) return undefined;
  const round = roundOf(message);
  return eventDelivery(
    message.tenantId,
    derivedMessageId(message.dueAt, `callback:${message.id}:${round}:${event}`),
    message.callback.url,
    { type: `message.${event}`, timestamp: new Date(now).toISOString(), data: outcomeData(message) },
    { kind: 'callback', messageId: message.id, round, event },
    now,
    settings,
  );
};

/** `message.failed` for each endpoint that takes it, once per endpoint and round (derived ids). */
export const failureNotificationsFor = (
  message: Message,
  endpoints: readonly NotificationEndpoint[],
  now: number,
  settings: EngineSettings,
): Message[] => {
  if (message.origin || message.status !== 'failed') return [];
  const round = roundOf(message);
  const envelope = { type: 'message.failed', timestamp: new Date(now).toISOString(), data: outcomeData(message) };
  return endpoints
    .filter((endpoint) => endpoint.events.includes('message.failed'))
    .map((endpoint) =>
      eventDelivery(
        message.tenantId,
        derivedMessageId(message.dueAt, `notification:${endpoint.id}:${message.id}:${round}`),
        endpoint.url,
        envelope,
        { kind: 'notification', endpointId: endpoint.id, event: 'message.failed', messageId: message.id, round },
        now,
        settings,
      ),
    );
};

/**
 * An account event (`key.created`, a test, ...) for each endpoint that takes it. `key` names the
 * event for its derived ids (e.g. the API key's id), so a repeated call delivers it once.
 */
export const accountNotificationsFor = (
  endpoints: readonly NotificationEndpoint[],
  event: { type: NotificationEventType | typeof TEST_EVENT_TYPE; key: string; data: Record<string, unknown> },
  now: number,
  settings: EngineSettings,
): Message[] =>
  endpoints.map((endpoint) =>
    eventDelivery(
      endpoint.tenantId,
      derivedMessageId(now, `notification:${endpoint.id}:${event.type}:${event.key}`),
      endpoint.url,
      { type: event.type, timestamp: new Date(now).toISOString(), data: event.data },
      { kind: 'notification', endpointId: endpoint.id, event: event.type },
      now,
      settings,
    ),
  );

/**
 * Whether an event delivery tells an end its message's record holds. A round's event deliveries
 * are stored before its record and dispatched after it, so one that is found unsent (by the sweep)
 * may tell of an end that was never recorded: a worker that died between the two, or a record that
 * lost to another change, and a send taken again that was answered otherwise. Judged from the
 * message as it is now (`parent`; undefined once it is gone):
 * - `founded`: the record tells this end (a callback: its link on the message, or, where the
 *   failure write had to leave the links out, the round ended so); or it cannot be told (the
 *   message gone, a later round, a notification made before it named its message): sent as before;
 * - `open`: the round has not ended yet (the record may still land): wait;
 * - `unfounded`: the round ended otherwise (another end, cancelled, or another delivery linked for
 *   it): withdraw it.
 */
export type EventFoundation = 'founded' | 'open' | 'unfounded';

export const eventFoundation = (
  delivery: Pick<Message, 'id' | 'origin'>,
  parent: Pick<Message, 'status' | 'round' | 'callbacks'> | undefined,
): EventFoundation => {
  const about = aboutMessage(delivery.origin);
  if (!about || !parent) return 'founded';
  const { round, end } = about;
  if (delivery.origin?.kind === 'callback') {
    const linked = (parent.callbacks ?? []).filter((ref) => ref.round === round);
    if (linked.some((ref) => ref.id === delivery.id)) return 'founded';
    if (linked.length > 0) return 'unfounded';
  }
  if (roundOf(parent) !== round) return 'founded';
  if (parent.status === end) return 'founded';
  return isTerminal(parent.status) ? 'unfounded' : 'open';
};

/** The message, round and end an event delivery tells of: a callback, a `message.failed` notification. */
export const aboutMessage = (
  origin: MessageOrigin | undefined,
): { messageId: string; round: number; end: CallbackEvent } | undefined => {
  if (origin?.kind === 'callback') return { messageId: origin.messageId, round: origin.round, end: origin.event };
  if (origin?.kind === 'notification' && origin.event === 'message.failed' && origin.messageId !== undefined) {
    return { messageId: origin.messageId, round: origin.round ?? 0, end: 'failed' };
  }
  return undefined;
};

/** The message with links to the callback deliveries among `deliveries` (the newest MAX_CALLBACK_REFS kept). */
export const withCallbackRefs = (message: Message, deliveries: readonly Message[]): Message => {
  const refs: CallbackRef[] = deliveries.flatMap((d) =>
    d.origin?.kind === 'callback' && d.origin.messageId === message.id
      ? [{ id: d.id, round: d.origin.round, event: d.origin.event }]
      : [],
  );
  if (refs.length === 0) return message;
  const kept = (message.callbacks ?? []).filter((ref) => !refs.some((r) => r.id === ref.id));
  return { ...message, callbacks: [...kept, ...refs].slice(-MAX_CALLBACK_REFS) };
};

/** `NotificationEndpointOut` in openapi.yaml. */
export interface NotificationEndpointOut {
  id: string;
  url: string;
  events: NotificationEventType[];
  description?: string;
  createdAt: string;
}

export const toNotificationEndpointOut = (endpoint: NotificationEndpoint): NotificationEndpointOut => ({
  id: endpoint.id,
  url: endpoint.url,
  events: endpoint.events,
  ...(endpoint.description !== undefined && { description: endpoint.description }),
  createdAt: new Date(endpoint.createdAt).toISOString(),
});
