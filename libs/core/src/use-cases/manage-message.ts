/** Reading and changing one tenant's messages: get, list, patch, cancel, redeliver. */
import type { BackoffPolicy } from '../backoff';
import { retryDelayMs } from '../backoff';
import { withEarlierRequests } from '../earlier-requests';
import { ConcurrentChangeError, MessageNotFoundError, ValidationError } from '../errors';
import type { FlowControl } from '../flow-control';
import {
  assertCanCancel,
  assertCanPatch,
  assertCanRedeliver,
  assertCanRetryNow,
  lastAttemptNumber,
  placeMessage,
} from '../lifecycle';
import type { BulkRedeliver, Message } from '../message';
import { assertMessageWithinLimits } from '../message-limits';
import type { MessageFilter } from '../message-filter';
import { decodeListCursor, encodeListCursor } from '../message-filter';
import type { MessageStore } from '../ports';
import type { MessagePatch } from '../schemas';
import { TIMEZONE_ALONE } from '../schemas';
import { targetErrors } from '../targets';
import { newMessageId, randomTag } from '../ids';
import { requestFingerprint } from '../request-fingerprint';
import { retentionMs, withRetention } from '../retention';
import { countAgainstQuota, NO_RESERVATION, roundOf, scheduledUsage, withReleaseOnFailure } from '../usage';
import type { SchedulingDeps } from './deps';
import { dispatchMessages, enqueueTickets, ticketFor } from './dispatch';
import { encodeBody, resolveSendAt } from './schedule-message';
import { runIdempotently } from './idempotent-request';

export const getMessage = async (store: MessageStore, tenantId: string, messageId: string): Promise<Message> => {
  const message = await store.get(tenantId, messageId);
  if (!message) throw new MessageNotFoundError(messageId);
  return message;
};

/** A page of a listing as the API shows it: its cursors encoded. */
export interface MessageListPage {
  items: Message[];
  nextCursor?: string;
  previousCursor?: string;
}

/**
 * One page of the messages a filter selects, newest first. A previous page that reaches the
 * newest messages with room to spare is the first page, full: paging back always ends where the
 * listing starts, never on a short or empty page.
 */
export const listMessages = async (
  store: MessageStore,
  tenantId: string,
  query: { filter?: MessageFilter; limit: number; cursor?: string },
): Promise<MessageListPage> => {
  const filter = query.filter ?? {};
  const cursor = query.cursor === undefined ? undefined : decodeListCursor(query.cursor, tenantId);
  let page = await store.list(tenantId, { filter, limit: query.limit, ...(cursor && { cursor }) });
  if (cursor?.direction === 'previous' && page.previous === undefined && page.items.length < query.limit) {
    page = await store.list(tenantId, { filter, limit: query.limit });
  }
  return {
    items: page.items,
    ...(page.next && { nextCursor: encodeListCursor(page.next) }),
    ...(page.previous && { previousCursor: encodeListCursor(page.previous) }),
  };
};

/** What a command did to one message: changed it, or found it as asked already (a bulk job counts these). */
export interface CommandOutcome {
  /** The message as stored now. */
  message: Message;
  changed: boolean;
}

/**
 * Read, change, write back if nobody else wrote in between (optimistic concurrency on the
 * version); a few tries, then the conflict is reported. Returns the stored message.
 *
 * Every change bumps the version, whatever it changes: a request that read the message before
 * this one wrote it then fails its conditional write and reads it again, so it writes over this
 * change, never instead of it; and a ticket in flight goes stale with the old version (a change
 * that keeps the message waiting dispatches it again).
 *
 * A write can land and its answer be lost (a timeout, a reset). The store knows its own write when
 * the SDK's retry meets it unchanged; but a worker may take the message in between (a ticket the
 * sweep sent at the version this change wrote), and the retry, refused, would read it `delivering`
 * and answer 409 for a change that was made; or the error reaches here after the write landed.
 * Each request marks what it writes with a `changeId` of its own, which the engine's writes keep:
 * a read that finds it (the next try's, or one more read after an error, on that rare path only)
 * is this request's change, landed; it answers with the message as it is now, and dispatches it
 * only if nothing has moved it on since (a worker that took it needs no ticket). The message keeps
 * the last few changes' ids (`withChangeId`), so another request's change that lands before the
 * SDK's resend does not hide this one's: it would apply again on top (a redeliver answering 409
 * with its quota given back, though its round went out).
 */
const changeMessage = async (
  deps: SchedulingDeps,
  tenantId: string,
  messageId: string,
  change: (current: Message, now: number) => { next: Message; dispatch: boolean } | 'unchanged',
): Promise<CommandOutcome> => {
  const changeId = randomTag();
  let written: { next: Message; dispatch: boolean } | undefined;
  const landed = async (found: Message): Promise<CommandOutcome> => {
    const { next, dispatch } = written as { next: Message; dispatch: boolean };
    if (dispatch && found.version === next.version) await dispatchMessages(deps, [found]);
    return { message: found, changed: true };
  };
  for (let tries = 1; ; tries += 1) {
    const current = await getMessage(deps.store, tenantId, messageId);
    if (written !== undefined && madeChange(current, changeId)) return landed(current);
    const now = deps.clock.now();
    const outcome = change(current, now);
    if (outcome === 'unchanged') return { message: current, changed: false };
    const next = {
      ...outcome.next,
      version: current.version + 1,
      updatedAt: now,
      changeId: withChangeId(current, changeId),
    };
    written = { next, dispatch: outcome.dispatch };
    let saved: boolean;
    try {
      saved = await deps.store.save(next, current.version);
    } catch (error) {
      const found = await deps.store.get(tenantId, messageId).catch(() => undefined);
      if (found === undefined || !madeChange(found, changeId)) throw error;
      return landed(found);
    }
    if (saved) {
      if (outcome.dispatch) await dispatchMessages(deps, [next]);
      return { message: next, changed: true };
    }
    if (tries >= CHANGE_TRIES) break;
    await deps.clock.sleepUntil(deps.clock.now() + retryDelayMs(tries, CHANGE_BACKOFF, deps.random?.() ?? 0.5));
  }
  throw new ConcurrentChangeError(`Message ${messageId} changed while this request ran; try again.`, {
    sendAgain: true,
  });
};

/**
 * How many of the API's last changes to a message it keeps the ids of (`Message.changeId`): a
 * request whose write landed knows it as its own though this many less one others landed after it
 * before its next read. 12 characters and a space each, on the messages the API changed only.
 */
export const CHANGE_IDS_KEPT = 4;

/** `Message.changeId` once change `changeId` is made: its id first, then the last few before it. */
const withChangeId = (current: Message, changeId: string): string =>
  [changeId, ...(current.changeId?.split(' ') ?? [])].slice(0, CHANGE_IDS_KEPT).join(' ');

/** Whether change `changeId` is one of those `message` keeps: made, whatever others landed after it. */
const madeChange = (message: Message, changeId: string): boolean =>
  message.changeId?.split(' ').includes(changeId) ?? false;

const sameFlowControl = (a: FlowControl | undefined, b: FlowControl): boolean =>
  a?.key === b.key && a.parallelism === b.parallelism && a.ratePerSecond === b.ratePerSecond;

/** Tries of a change that keeps finding the message changed by others, before it answers 409. */
export const CHANGE_TRIES = 5;

/**
 * The pauses between those tries: 10 ms doubling, half of each random, so changes sent at once
 * spread out instead of colliding again (all four: 75–150 ms, a small part of the API's 10 s).
 */
export const CHANGE_BACKOFF: BackoffPolicy = { baseMs: 10, factor: 2, capMs: 80 };

const changedMessage = async (outcome: Promise<CommandOutcome>): Promise<Message> => (await outcome).message;

export const patchMessage = (deps: SchedulingDeps, tenantId: string, messageId: string, patch: MessagePatch) =>
  changedMessage(
    changeMessage(deps, tenantId, messageId, (current, now) => {
      assertCanPatch(current, Object.keys(patch));
      const refused = patch.url === undefined ? [] : targetErrors(deps.targets, patch.url, 'url');
      if (refused.length > 0) throw new ValidationError(refused);
      let next: Message = {
        ...current,
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.method !== undefined && { method: patch.method }),
        ...(patch.headers !== undefined && { headers: patch.headers }),
        ...(patch.metadata !== undefined && { metadata: patch.metadata }),
        ...('body' in patch && encodeBody(patch.body)),
      };
      if (patch.labels?.length === 0) delete next.labels;
      else if (patch.labels !== undefined) next.labels = patch.labels;
      if (patch.flowControl === null) {
        // Held by its key until now: no longer held, so it goes now, not at the key's next slot (and
        // no wait of the key's is later told as Vigil's lateness).
        const { flowControl: _flow, flowHeldFrom, ...free } = next;
        next = flowHeldFrom === undefined ? free : { ...free, dueAt: Math.max(free.sendAt, now) };
      } else if (patch.flowControl !== undefined) {
        // Held by its key until now, and given another key or other limits: it asks for its turn
        // now, not at the slot the old ones gave it (the hold so far is still flow control's).
        if (next.flowHeldFrom !== undefined && !sameFlowControl(next.flowControl, patch.flowControl)) {
          next = { ...next, dueAt: Math.max(next.flowHeldFrom, now) };
        }
        next.flowControl = patch.flowControl;
      }
      // The message as it will be after the patch obeys the same rules as a new one.
      assertMessageWithinLimits(next);
      const rescheduled = patch.sendAt !== undefined || patch.delay !== undefined;
      if (patch.timezone !== undefined && !rescheduled) {
        throw new ValidationError([{ path: 'timezone', message: TIMEZONE_ALONE }]);
      }
      if (rescheduled) {
        // A wall time without a zone of its own is read in the zone the message was scheduled in.
        const resolved = resolveSendAt(patch, now, '', current.timezone);
        if ('error' in resolved) throw new ValidationError([resolved.error]);
        // A new due time ends a flow control hold: lateness counts from the new one.
        const { flowHeldFrom: _heldFrom, ...unheld } = next;
        next = {
          ...unheld,
          sendAt: resolved.sendAt,
          ...(resolved.timezone !== undefined && { timezone: resolved.timezone, localSendAt: resolved.localSendAt }),
          dueAt: Math.max(resolved.sendAt, now),
        };
      }
      // The attempts sent before keep what this change replaces of their request (earlier-requests.ts).
      next = withEarlierRequests(current, next);
      // The version changeMessage bumps makes the ticket in flight stale: re-dispatch.
      return {
        next: placeMessage(next, now, deps.settings, current.status === 'retrying' ? 'retry' : 'fresh'),
        dispatch: true,
      };
    }),
  );

/**
 * Cancels a waiting message. Cancelled is final: the message expires after the retention of the
 * tenant's `plan` (the caller's plan, as the authorizer passed it), counted from now.
 */
export const cancelMessage = (deps: SchedulingDeps, tenantId: string, messageId: string, plan: string) =>
  changedMessage(cancelMessageOutcome(deps, tenantId, messageId, plan));

/**
 * The same cancel, saying whether it changed the message (false: it was cancelled already). A bulk
 * job names itself (`byJob`): the message keeps it, so a re-run of the job's step knows its own.
 *
 * A round cancelled before its first attempt echoes the round's `scheduled` event, as that attempt
 * would have: the create (or redeliver) that began the round may have died between its write and
 * its meter call, and its idempotent retry counts nothing. Counted already, the echo counts nothing.
 */
export const cancelMessageOutcome = async (
  deps: SchedulingDeps,
  tenantId: string,
  messageId: string,
  plan: string,
  byJob?: string,
): Promise<CommandOutcome> => {
  const outcome = await cancelWaiting(deps, tenantId, messageId, plan, byJob);
  const { message } = outcome;
  const attemptedThisRound = lastAttemptNumber(message) > (message.roundStart ?? 0);
  if (outcome.changed && !message.origin && !attemptedThisRound) {
    await deps.meter?.record([{ ...scheduledUsage(message), echo: true }]);
  }
  return outcome;
};

const cancelWaiting = (deps: SchedulingDeps, tenantId: string, messageId: string, plan: string, byJob?: string) =>
  changeMessage(deps, tenantId, messageId, (current, now) => {
    assertCanCancel(current);
    if (current.status === 'cancelled') return 'unchanged';
    // A message waiting for its flow key's turn is a taken one: its take ends here too.
    const { bucketAt: _bucket, leaseUntil: _lease, takes: _takes, flowWaitingSince: _waiting, ...rest } = current;
    const cancelled: Message = {
      ...rest,
      status: 'cancelled',
      ...(byJob !== undefined && { cancelledBy: byJob }),
    };
    return { next: withRetention(cancelled, now, retentionMs(plan, deps.settings)), dispatch: false };
  });

/**
 * A retrying message's next attempt is made now instead of when its backoff (or the receiver's
 * Retry-After) said: for when the receiver is known to be back. Same round, same retry budget; a
 * message already due is left as it is, and handed to a worker again (`sendDueAgain`).
 */
export const retryMessageNow = async (deps: SchedulingDeps, tenantId: string, messageId: string) => {
  const { message, changed } = await changeMessage(deps, tenantId, messageId, (current, now) => {
    assertCanRetryNow(current);
    if (current.dueAt <= now) return 'unchanged';
    // A new due time: the ticket in flight (or the bucket entry) goes stale with the version, re-dispatch.
    const next: Message = { ...current, dueAt: now };
    return { next: placeMessage(next, now, deps.settings, 'retry'), dispatch: true };
  });
  if (!changed) await sendDueAgain(deps, message, 'retrying');
  return message;
};

/**
 * Sends a ticket for a message that is due and not yet taken, waiting as `waiting` says (`retrying`:
 * an attempt a retry now asked for; `queued`: a round a redeliver started), at its version and due
 * time, as the engine's scheduling and the sweep send one (`enqueueTickets`: due now, so on the
 * prompt queue at no delay): its own ticket may be lost (an enqueue that failed after its write),
 * and the sweep would find it only a minute or two later, though the request asks for it now. A
 * ticket still on its way makes this one a duplicate, which is harmless: the worker's take is
 * conditional on the version and a waiting status, so one ticket takes it and the other is
 * skipped; nothing is written, no attempt or retry is spent, no round started. A failed enqueue is
 * logged, and the sweep stays the net.
 */
export const sendDueAgain = async (
  deps: SchedulingDeps,
  message: Message,
  waiting: 'retrying' | 'queued',
): Promise<void> => {
  if (message.status !== waiting || message.dueAt > deps.clock.now()) return;
  try {
    await enqueueTickets(deps, [ticketFor(message)]);
  } catch (error) {
    deps.log.error('a due message could not be handed to a worker again; the sweep will re-enqueue it', {
      tenantId: message.tenantId,
      messageId: message.id,
      error: String(error),
    });
  }
};

/**
 * A delivered or failed message goes out again now, with a fresh retry budget, and no longer
 * expires (an expired one is gone: 404). It counts like a
 * new message: checked against the monthly quota (429) and metered as `scheduled`; but an event
 * delivery (a callback, a notification: `origin`) is Vigil's own and counts nowhere, redelivered too.
 */
export const redeliverMessage = async (
  deps: SchedulingDeps,
  tenantId: string,
  messageId: string,
  by?: BulkRedeliver,
) => {
  // The state is checked before the quota, so a message that cannot be redelivered gets its 409.
  const current = await getMessage(deps.store, tenantId, messageId);
  assertCanRedeliver(current, by);
  // The round begins at the instant it is counted at: its `scheduled` event and its quota count
  // fall in one month, however long the write then takes (a redeliver at 23:59:59.9 is the month's).
  const at = deps.clock.now();
  const counted = current.origin ? NO_RESERVATION : await countAgainstQuota(deps.quota, tenantId, 1, at);
  const { message } = await withReleaseOnFailure(counted, () => requeueFinished(deps, tenantId, messageId, at, by));
  // Keyed by the new round (sch_<id>_<round>), counted on the day of the redeliver.
  if (!message.origin) await deps.meter?.record([scheduledUsage(message)]);
  return message;
};

/**
 * What a keyed command binds its Idempotency-Key to: the step of the message it starts (a round, an
 * attempt), `<messageId>#<step>-<n>#<request>` in place of a create's message id (the request part,
 * unique, makes each request the owner of its own claim, as a create's fresh message ids do).
 */
const stepRef = (messageId: string, step: string, n: number, request: string): string =>
  `${messageId}#${step}-${n}#${request}`;
const stepOfRef = (ref: string): number => Number(ref.split('#')[1]?.split('-').at(-1));

/** A command on one message that starts a step of it, and how a repeat finds that step started. */
interface MessageStepCommand {
  /** The route its fingerprint names: the key binds it and the message. */
  route: string;
  /** The step's name in the key's ref (`round`, `attempt`). */
  step: string;
  /** The number of the step a request starts, judged from the message before it runs. */
  next(current: Message): number;
  /** Whether step `n` of the message is started (or made), whoever started it. */
  started(message: Message, n: number): boolean;
  /** Starts the step: the command itself, which checks the message's state. */
  run(): Promise<Message>;
  /**
   * What a request that finds its step started, and so does not run the command, does for it: a
   * retry now hands a due attempt to a worker again, a redeliver a due round, whose ticket may be
   * lost. Writes nothing.
   */
  resume?(message: Message): Promise<void>;
}

/**
 * A message command made safe to repeat with an Idempotency-Key, as a create is
 * (idempotent-request.ts): the key binds the message and the step this request starts. The same
 * request again answers with the message (`created: false`) once that step is started, and runs
 * nothing; with another message or route the key is a 422; a request that failed (409, 429)
 * releases its key, and its repeat runs the command once. A step that is started counts as this
 * key's whoever started it, so two requests never start two steps where the caller asked for one.
 * Without a key the command runs as asked, each time (`created: true`).
 */
const runMessageCommandIdempotently = async (
  deps: SchedulingDeps,
  tenantId: string,
  messageId: string,
  idempotencyKey: string | undefined,
  command: MessageStepCommand,
): Promise<{ message: Message; created: boolean }> => {
  if (idempotencyKey === undefined) return { message: await command.run(), created: true };
  // Read before the key is claimed: a message that does not exist is a 404 and binds nothing. Its
  // state is checked when the step is started, never before: a repeat finds it started.
  const current = await getMessage(deps.store, tenantId, messageId);
  const request = newMessageId(deps.clock.now()).slice('msg_'.length);
  const ref = stepRef(messageId, command.step, command.next(current), request);
  const started = async (bound: string): Promise<Message | undefined> => {
    const message = await deps.store.get(tenantId, messageId);
    return message && command.started(message, stepOfRef(bound)) ? message : undefined;
  };
  let ran = false;
  const run = () => {
    ran = true;
    return command.run();
  };
  const { results, created } = await runIdempotently(
    deps,
    tenantId,
    { key: idempotencyKey, fingerprint: requestFingerprint(command.route, { messageId }) },
    [ref],
    {
      load: (refs) => Promise.all(refs.map(started)),
      // The step the key is bound to: started now, or found started meanwhile.
      write: async ([bound], stored) => [stored[0] ?? (await started(bound as string)) ?? (await run())],
    },
  );
  const message = results[0] as Message;
  // Found started (by this key's first request, or by whoever): what the key binds and answers is
  // as it was; the step is only helped on its way.
  if (!ran) await command.resume?.(message);
  return { message, created };
};

/** A command on one message that takes an Idempotency-Key (redeliver, retry now), as the API's routes call it. */
export type KeyedMessageCommand = (
  deps: SchedulingDeps,
  tenantId: string,
  messageId: string,
  idempotencyKey: string | undefined,
) => Promise<{ message: Message; created: boolean }>;

/** The keyed command whose step command each request makes for its message. */
const keyedMessageCommand =
  (command: (deps: SchedulingDeps, tenantId: string, messageId: string) => MessageStepCommand): KeyedMessageCommand =>
  (deps, tenantId, messageId, idempotencyKey) =>
    runMessageCommandIdempotently(deps, tenantId, messageId, idempotencyKey, command(deps, tenantId, messageId));

/**
 * `redeliverMessage` made safe to repeat with an Idempotency-Key: the key binds the message and
 * the round this request starts, the next one, and a repeat answers with the message once the
 * message's round is at least that, however long after (runMessageCommandIdempotently). A round
 * started by a redeliver without a key, or a bulk job, counts: two redelivers of one message never
 * make two rounds of it where the caller asked for one. A repeat that finds the round waiting
 * (`queued`) and due hands it to a worker again (`sendDueAgain`): the first request's ticket may be
 * lost (its enqueue failed after the round was written, which the request does not fail for).
 */
export const redeliverMessageIdempotently = keyedMessageCommand((deps, tenantId, messageId) => ({
  route: 'POST /v1/messages/{messageId}/redeliver',
  step: 'round',
  next: (current) => roundOf(current) + 1,
  started: (message, round) => roundOf(message) >= round,
  run: () => redeliverMessage(deps, tenantId, messageId),
  // A round found started and still waiting (`queued`, due: its first request's ticket may be lost)
  // is handed to a worker again, as a retry now's repeat does; nothing is written, no round started.
  resume: (message) => sendDueAgain(deps, message, 'queued'),
}));

/**
 * `retryMessageNow` made safe to repeat with an Idempotency-Key: the key binds the message and the
 * attempt this request makes now, the next one (`retrying`: the one after its last; in any other
 * state the one after the next, since the next is made or being made anyway and a refused request's
 * repeat must not find it as its own). A repeat answers with the message, and moves nothing, once
 * that attempt is made or under way (being delivered, or due): so a repeat whose first request's
 * attempt has already failed again does not make one more attempt, or use one more of the budget.
 * An attempt found due and not yet taken (by a repeat, or by a first request that finds the message
 * due already) is handed to a worker again (`sendDueAgain`), its ticket may be lost: the take lets
 * one ticket have it, so a duplicate makes no second attempt.
 */
export const retryMessageNowIdempotently = keyedMessageCommand((deps, tenantId, messageId) => ({
  route: 'POST /v1/messages/{messageId}/retry',
  step: 'attempt',
  next: (current) => lastAttemptNumber(current) + (current.status === 'retrying' ? 1 : 2),
  started: (message, attempt) => {
    const last = lastAttemptNumber(message);
    if (last >= attempt) return true;
    const underWay =
      message.status === 'delivering' || (message.status === 'retrying' && message.dueAt <= deps.clock.now());
    return last === attempt - 1 && underWay;
  },
  run: () => retryMessageNow(deps, tenantId, messageId),
  // An attempt found due is handed to a worker again, as a first request's retry now does.
  resume: (message) => sendDueAgain(deps, message, 'retrying'),
}));

const requeueFinished = (
  deps: SchedulingDeps,
  tenantId: string,
  messageId: string,
  roundAt: number,
  by?: BulkRedeliver,
) =>
  changeMessage(deps, tenantId, messageId, (current, now) => {
    assertCanRedeliver(current, by);
    // A new round starts clean: no delivery time, no failure reason, no count of unrecorded takes,
    // no expiry (a message waiting to be delivered never expires), and no flow control hold.
    const {
      deliveredAt: _delivered,
      failureReason: _reason,
      takes: _takes,
      expiresAt: _expiresAt,
      flowHeldFrom: _heldFrom,
      redeliveredBy: _by,
      ...rest
    } = current;
    const next: Message = {
      ...rest,
      ...(by !== undefined && { redeliveredBy: { jobId: by.jobId, selectionKey: by.selectionKey } }),
      dueAt: now,
      roundStart: lastAttemptNumber(current),
      round: roundOf(current) + 1,
      roundAt,
    };
    return { next: placeMessage(next, now, deps.settings, 'fresh'), dispatch: true };
  });
