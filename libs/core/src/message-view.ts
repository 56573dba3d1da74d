/** How a stored message is shown through the API (`MessageOut` in openapi.yaml). */

import { sentHeadersByAttempt } from './delivery-request';
import type { AttemptRequest } from './earlier-requests';
import { attemptRequests } from './earlier-requests';
import { parseExactJson } from './exact-json';
import { readJsonText } from './json-text';
import { isWaitingForTurn, WAITING_STATUSES } from './lifecycle';
import type { FlowControl } from './flow-control';
import type {
  Attempt,
  CallbackRef,
  FailureReason,
  HttpMethod,
  Message,
  MessageCallback,
  MessageOrigin,
  MessageStatus,
  RequestPart,
} from './message';

const iso = (ms: number) => new Date(ms).toISOString();

/** An origin as the API shows it: without how Vigil hands the delivery on (`handedOnBy`, its own). */
const originOut = (origin: MessageOrigin): MessageOrigin => {
  if (origin.kind !== 'notification' || origin.handedOnBy === undefined) return origin;
  const { handedOnBy: _own, ...shown } = origin;
  return shown;
};

/**
 * The body as the API shows it: a text body as its string, a JSON body as the text it is sent as (a
 * JsonText, written into the answer as it is: not read into values, which would move names like
 * `"1"` first). A stored text that is not JSON (none is written) is read and written back.
 */
export const decodeBody = (message: Pick<Message, 'body' | 'bodyKind'>): unknown => {
  if (message.bodyKind === 'none') return undefined;
  if (message.bodyKind === 'text') return message.body;
  return readJsonText(message.body) ?? parseExactJson(message.body);
};

export interface MessageOut {
  id: string;
  status: Message['status'];
  url: string;
  method: Message['method'];
  headers: Record<string, string>;
  sendAt: string;
  timezone?: string;
  localSendAt?: string;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number;
  metadata: Record<string, string>;
  labels: string[];
  flowControl?: FlowControl;
  /** While flow control holds the message back: when it was due (its next try is `nextAttemptAt`). */
  heldByFlowControlSince?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  lastAttempt?: AttemptOut;
  failureReason?: FailureReason;
  /** In a final state: when the message and its attempts expire (its plan's retention after it got there). */
  expiresAt?: string;
  callback?: MessageCallback;
  /** The callback deliveries made for its rounds, with where each stands when it was read. */
  callbacks?: Array<CallbackRef & { status?: MessageStatus }>;
  /** On a message Vigil made itself: the callback or notification it delivers. */
  origin?: MessageOrigin;
  body?: unknown;
}

/**
 * When it was due, for a message flow control holds back: one waiting for its next try after a
 * hand-back, or one a worker holds at its key's gate long enough to be marked (lifecycle.ts,
 * isWaitingForTurn).
 */
const heldByFlowControlSince = (message: Message): number | undefined => {
  if (WAITING_STATUSES.includes(message.status)) return message.flowHeldFrom;
  return isWaitingForTurn(message) ? (message.flowHeldFrom ?? message.dueAt) : undefined;
};

export const toMessageOut = (
  message: Message,
  options: { withBody: boolean; callbackStatuses?: ReadonlyMap<string, MessageStatus> },
): MessageOut => {
  const lastAttempt = message.attempts.at(-1);
  const body = options.withBody ? decodeBody(message) : undefined;
  const heldSince = heldByFlowControlSince(message);
  return {
    id: message.id,
    status: message.status,
    url: message.url,
    method: message.method,
    headers: message.headers,
    sendAt: iso(message.sendAt),
    ...(message.timezone !== undefined && { timezone: message.timezone }),
    ...(message.localSendAt !== undefined && { localSendAt: message.localSendAt }),
    createdAt: iso(message.createdAt),
    updatedAt: iso(message.updatedAt),
    attempts: lastAttempt?.n ?? 0,
    maxAttempts: message.maxAttempts,
    timeoutMs: message.timeoutMs,
    metadata: message.metadata,
    labels: message.labels ?? [],
    ...(message.flowControl !== undefined && { flowControl: message.flowControl }),
    ...(heldSince !== undefined && { heldByFlowControlSince: iso(heldSince) }),
    ...(WAITING_STATUSES.includes(message.status) && { nextAttemptAt: iso(message.dueAt) }),
    ...(message.deliveredAt !== undefined && { deliveredAt: iso(message.deliveredAt) }),
    ...(lastAttempt && { lastAttempt: attemptOut(lastAttempt, undefined, lastAttemptRequest(message, lastAttempt)) }),
    ...(message.failureReason && { failureReason: message.failureReason }),
    ...(message.expiresAt !== undefined && { expiresAt: iso(message.expiresAt) }),
    ...(message.callback && { callback: message.callback }),
    ...(message.callbacks && {
      callbacks: message.callbacks.map((ref) => {
        const status = options.callbackStatuses?.get(ref.id);
        return status === undefined ? ref : { ...ref, status };
      }),
    }),
    ...(message.origin && { origin: originOut(message.origin) }),
    ...(body !== undefined && { body }),
  };
};

/**
 * `AttemptOut` in openapi.yaml: an attempt as stored, but for its sent facts, which the attempt
 * list turns into the headers it sent, and with the URL and method it was sent with and what of
 * its request differs from the message now (earlier-requests.ts): in the attempt list, and on the
 * message's `lastAttempt`.
 */
export type AttemptOut = Omit<Attempt, 'sent' | 'sentAs'> & {
  /** Every header the request carried, as the receiver got it (the signature masked). */
  sentHeaders?: Record<string, string>;
  /** The URL it was sent to (absent once a change left only its digest). */
  url?: string;
  method?: HttpMethod;
  /** The parts of its request a change of the message has made differ from the message's since. */
  differs?: RequestPart[];
};

/**
 * Where the latest attempt went, as the attempt list tells it: from a listing's summary, what the
 * store kept on it (`sentAs`, only when a change since made it differ); from the whole message,
 * worked out from its earlier requests.
 */
const lastAttemptRequest = (message: Message, last: Attempt): AttemptRequest | undefined =>
  last.sentAs ?? attemptRequests(message, [last]).get(last.n);

const attemptOut = (attempt: Attempt, sentHeaders?: Record<string, string>, request?: AttemptRequest): AttemptOut => {
  const { sent: _sent, sentAs: _sentAs, ...rest } = attempt;
  return {
    ...rest,
    ...(request?.url !== undefined && { url: request.url }),
    ...(request && { method: request.method }),
    ...(request && request.differs.length > 0 && { differs: request.differs }),
    ...(sentHeaders !== undefined && { sentHeaders }),
  };
};

/** `AttemptList` in openapi.yaml: the kept attempts, how many earlier ones were dropped, and why it failed. */
export interface AttemptListOut {
  items: AttemptOut[];
  /** Earlier attempts no longer kept (the log keeps the latest ATTEMPT_LOG_LIMIT, within a byte budget). */
  omitted: number;
  failureReason?: FailureReason;
}

export const toAttemptList = (message: Message): AttemptListOut => {
  const sentHeaders = sentHeadersByAttempt(message, message.attempts);
  const requests = attemptRequests(message, message.attempts);
  return {
    items: message.attempts.map((attempt) => attemptOut(attempt, sentHeaders.get(attempt.n), requests.get(attempt.n))),
    omitted: Math.max(0, (message.attempts[0]?.n ?? 1) - 1),
    ...(message.failureReason && { failureReason: message.failureReason }),
  };
};
