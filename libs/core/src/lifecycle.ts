/**
 * The message state machine: which commands each status allows, and where a message waits
 * (its status and far-path bucket) given when it is next due.
 */
import { MessageStateConflictError } from './errors';
import type { BulkRedeliver, Message, MessageStatus } from './message';
import { routeFor } from './routing';
import type { EngineSettings } from './settings';

/** Not yet handed to a worker: may be changed, rescheduled or cancelled. */
export const WAITING_STATUSES: readonly MessageStatus[] = ['scheduled', 'queued', 'retrying'];

const isWaiting = (status: MessageStatus) => WAITING_STATUSES.includes(status);

/**
 * Taken, but held by its worker for its flow key's turn past FLOW_CANCELLABLE_AFTER_MS: nothing is
 * on the wire yet, and a cancel may stop it (the worker's write that ends the wait loses to it).
 */
export const isWaitingForTurn = (message: Message): boolean =>
  message.status === 'delivering' && message.flowWaitingSince !== undefined;

/** The fields of a patch that change what a message sends (and where). */
const SENT_FIELDS = ['url', 'method', 'headers', 'body'] as const;

/**
 * The commands that act on one message, named as the API's operations are: `update` (PATCH: move
 * it in time, change what it sends), `cancel`, `retry` (its next attempt now) and `redeliver`.
 */
export const MESSAGE_COMMANDS = ['update', 'cancel', 'retry', 'redeliver'] as const;
export type MessageCommand = (typeof MESSAGE_COMMANDS)[number];

/**
 * What the commands a message allows depend on: its status and, while `delivering`, whether its
 * worker only waits for its flow key's turn (`isWaitingForTurn`; the API shows it as
 * `heldByFlowControlSince`).
 */
export interface MessageCommandState {
  status: MessageStatus;
  waitingForTurn?: boolean;
}

/** A stored message's command state. */
export const commandStateOf = (message: Message): MessageCommandState => ({
  status: message.status,
  waitingForTurn: isWaitingForTurn(message),
});

/**
 * The commands a message in this state allows, the API's and the console's one rule: a waiting
 * message (scheduled, queued, retrying) may be updated or cancelled, a retrying one also retried
 * now, one waiting for its flow key's turn cancelled, a delivered or failed one redelivered. (The
 * API answers a cancel of a cancelled message as done, changing nothing: no command it allows.)
 */
export const allowedCommands = ({ status, waitingForTurn = false }: MessageCommandState): MessageCommand[] => {
  if (isWaiting(status)) return status === 'retrying' ? ['update', 'cancel', 'retry'] : ['update', 'cancel'];
  if (status === 'delivering' && waitingForTurn) return ['cancel'];
  if (status === 'delivered' || status === 'failed') return ['redeliver'];
  return [];
};

const allows = (message: Message, command: MessageCommand) =>
  allowedCommands(commandStateOf(message)).includes(command);

/**
 * `changes`: the fields the patch sets. An event delivery (`origin`: a callback, a notification) is
 * Vigil's own, uncounted and outside the quota, so what it sends is Vigil's too: it can be moved in
 * time or labelled, never made to send something else (that would be a free webhook of any kind).
 */
export const assertCanPatch = (message: Message, changes: readonly string[]): void => {
  if (!allows(message, 'update')) {
    throw new MessageStateConflictError(
      `Message ${message.id} is ${message.status}; only scheduled, queued or retrying messages can be changed.`,
    );
  }
  const sent = SENT_FIELDS.filter((field) => changes.includes(field));
  if (message.origin && sent.length > 0) {
    throw new MessageStateConflictError(
      `Message ${message.id} is an event delivery Vigil made (a ${message.origin.kind}): its ${sent.join(', ')} cannot be changed; it can be rescheduled, retried, redelivered or cancelled.`,
    );
  }
};

export const assertCanCancel = (message: Message): void => {
  if (!allows(message, 'cancel') && message.status !== 'cancelled') {
    throw new MessageStateConflictError(
      message.status === 'delivering'
        ? `Message ${message.id} is being delivered right now and can no longer be cancelled.`
        : `Message ${message.id} is ${message.status} and can no longer be cancelled.`,
    );
  }
};

/**
 * `by`: the bulk job redelivering it. A round started by a run of the same selection since this job
 * was started is not started again (two runs of one request side by side, or this job's own step run
 * again); a round from before it was started is the past this job was asked to redo.
 */
export const assertCanRedeliver = (message: Message, by?: BulkRedeliver): void => {
  if (!allows(message, 'redeliver')) {
    throw new MessageStateConflictError(
      `Message ${message.id} is ${message.status}; only delivered or failed messages can be redelivered.`,
    );
  }
  const mark = message.redeliveredBy;
  if (by !== undefined && mark?.selectionKey === by.selectionKey && (message.roundAt ?? 0) >= by.startedAt) {
    throw new MessageStateConflictError(
      `Message ${message.id} was redelivered already by job ${mark.jobId}, a run of the same selection, since this one started.`,
    );
  }
};

export const assertCanRetryNow = (message: Message): void => {
  if (!allows(message, 'retry')) {
    throw new MessageStateConflictError(
      `Message ${message.id} is ${message.status}; only a retrying message (its last attempt failed and it waits for the next) can be retried now.`,
    );
  }
};

/**
 * Sets where a waiting message sits for its `dueAt`: near ones are `queued` (or stay
 * `retrying`) with no bucket, far ones are `scheduled` (or stay `retrying`) in their bucket.
 * This is where the route is decided; dispatch reads it back with `routeOf`.
 */
export const placeMessage = (
  message: Message,
  now: number,
  settings: EngineSettings,
  waitingAs: 'fresh' | 'retry',
): Message => {
  const route = routeFor(message.dueAt, now, settings);
  const { bucketAt: _previous, leaseUntil: _lease, ...rest } = message;
  if (route.path === 'near') return { ...rest, status: waitingAs === 'retry' ? 'retrying' : 'queued' };
  return { ...rest, status: waitingAs === 'retry' ? 'retrying' : 'scheduled', bucketAt: route.bucketAt };
};

/** Attempts made in the current round (a redeliver starts a new round with a fresh budget). */
export const attemptsThisRound = (message: Message): number => lastAttemptNumber(message) - message.roundStart;

/** The number of the latest attempt (attempts are numbered from 1 across rounds). */
export const lastAttemptNumber = (message: Message): number => message.attempts.at(-1)?.n ?? 0;
