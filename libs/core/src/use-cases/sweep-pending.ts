/**
 * The safety net. Every message that still has something to happen to it sits in the pending
 * index under the time that something is due (a worker's take puts it there too: a message a worker
 * holds is overdue only once its lease ends, which the sweep reads with it). The sweep re-enqueues
 * whatever is overdue: a crash between write and enqueue, a lost timer, a worker that died holding
 * a message. Duplicates are harmless: the worker's take is conditional.
 *
 * A re-enqueued ticket may wait in a backlogged queue for a while. So that every later sweep does
 * not add one more ticket per minute to that backlog, the sweep first moves the message's place in
 * the pending index ahead by the flight allowance (a conditional write: a message that moved on in
 * the meantime is left alone, and not re-enqueued); only when the ticket has not arrived by then is
 * the message found, and re-enqueued, again. When the enqueue itself fails, the page's deferrals are
 * put back (best effort), so the next sweep finds those messages instead of an allowance later.
 *
 * An account event the operator's shell stored for the sweep to send (event-deliveries.ts
 * StoredEventDeps) is handed on the same way, but it is no lost ticket: it is counted apart
 * (`storedEvents`, logged as info), so the warning and `requeued` stay what they tell operators.
 *
 * A periodic run has a budget (`budgetMs`, sweep.ts SWEEP_RUN_BUDGET_MS): once it is spent, the run
 * hands on no further page and the next run finds the rest where they are, so a pending index with a
 * hundred thousand overdue entries (a day's outage caught up) is worked off in bounded runs, each
 * ended well before its timeout and its next minute, oldest first in each shard.
 *
 * `horizonMs` says how far to look: a negative grace for the periodic sweep (only what is clearly
 * overdue), the whole near window at start-up of the local stack (whose queue does not persist).
 * With `queueLost` (that start-up) no ticket is in flight any more, so deferrals do not count: the
 * sweep looks a flight allowance further and takes every message whose own time is within the horizon.
 * Nor is any worker alive: a message still `delivering` was held by the process that stopped (a
 * crash between send and record, say), so it is re-enqueued for the end of its lease however far
 * past the horizon that is, instead of waiting for the first periodic sweep after it (a lease of
 * 45 s plus up to a minute's wait).
 */
import { aboutMessage, eventFoundation } from '../event-webhooks';
import type { Message } from '../message';
import type { DeliveryTicket, MessageStore, PendingRef } from '../ports';
import { longestRetentionMs } from '../retention';
import type { SchedulingDeps } from './deps';
import { enqueueTickets, pagesOf, ticketForRef } from './dispatch';
import { withdrawEventDeliveries } from './event-deliveries';

export const sweepPending = async (
  deps: SchedulingDeps,
  horizonMs: number,
  options: { queueLost?: boolean; budgetMs?: number; noteIn?: Set<string>; signal?: AbortSignal } = {},
): Promise<{ requeued: number; storedEvents: number }> => {
  const runs = pendingRuns(deps, horizonMs, options);
  let run: PendingRun | void;
  try {
    ({ value: run } = await runs.next());
  } finally {
    // Past its budget, the run hands on no further page: the next run finds the rest where they are.
    await runs.return();
  }
  const { requeued, storedEvents, done } = run ?? { requeued: 0, storedEvents: 0, done: true };
  if (!done)
    deps.log.warn('sweep stopped at its run budget; the next run goes on', { requeued, budgetMs: options.budgetMs });
  if (requeued > 0) deps.log.warn('sweep re-enqueued pending messages', { requeued, horizonMs });
  if (storedEvents > 0) deps.log.info('sweep handed on event deliveries stored for it', { storedEvents });
  return { requeued, storedEvents };
};

/** What one run of the sweep handed on, and whether it has seen the whole horizon (`done`). */
export interface PendingRun {
  requeued: number;
  storedEvents: number;
  done: boolean;
}

/**
 * The pending index swept in runs, in one read of it, earliest first in each shard: each `next()`
 * hands pages on for `budgetMs` (the first page whatever the budget; to the end without one) and
 * gives what that run handed on; the last says `done`. A periodic run is the first of them alone
 * (sweepPending); the local stack's start-up goes on run after run until it has seen the whole
 * near window (start-up-sweep.ts). Once `signal` is aborted no further page is handed on (the one
 * under way is), and the runs end without a last `done`. `return()` lets go of the index (a shard
 * whose reads failed throws there).
 *
 * A message this read handed on is left alone when it finds it again further on, unchanged (with the
 * queue lost the read goes a flight allowance past the horizon, where each was just moved): one
 * ticket, not two. `handedOn` keeps them, when given, for a read that takes over from a failed one.
 * `noteIn`: another read's `handedOn` (the local stack's start-up read, going on while a periodic run
 * does): what this one hands on is noted there too, so that read leaves it alone when it reaches it
 * where this one moved it; this one leaves nothing alone for it (what that read handed on is found
 * here only once overdue again where it was moved, its ticket lost).
 */
export async function* pendingRuns(
  deps: SchedulingDeps,
  horizonMs: number,
  options: {
    queueLost?: boolean;
    budgetMs?: number;
    signal?: AbortSignal;
    handedOn?: Set<string>;
    noteIn?: Set<string>;
  } = {},
): AsyncGenerator<PendingRun, void> {
  const { budgetMs, signal, handedOn = new Set<string>(), noteIn } = options;
  const horizon = deps.clock.now() + horizonMs;
  const lookTo = options.queueLost ? horizon + deps.settings.flightAllowanceMs : horizon;
  let run = { requeued: 0, storedEvents: 0, pages: 0, startedAt: deps.clock.now() };
  const refs = overdue(deps.store.pendingBefore(lookTo), { horizon, lookTo }, options.queueLost === true);
  for await (const found of pagesOf(refs)) {
    if (signal?.aborted) return;
    if (budgetMs !== undefined && run.pages > 0 && deps.clock.now() - run.startedAt >= budgetMs) {
      yield { requeued: run.requeued, storedEvents: run.storedEvents, done: false };
      if (signal?.aborted) return;
      run = { requeued: 0, storedEvents: 0, pages: 0, startedAt: deps.clock.now() };
    }
    run.pages += 1;
    const page = found.filter((ref) => !handedOn.has(handedOnKey(ref)));
    // Now, not when the read began: a message found minutes into the start-up's runs is moved an
    // allowance past the moment it was handed on.
    const now = deps.clock.now();
    const messages = readOnce(deps.store);
    const handed = await Promise.all(page.map((ref) => handOn(deps, ref, now, messages)));
    const deferred = handed.flatMap((d) => (d ? [d] : []));
    const keys = deferred.map(({ ref }) => handedOnKey(ref));
    // Noted before the enqueue: the other read may reach one where it was just moved meanwhile.
    const noted = keys.filter((key) => noteIn && !noteIn.has(key));
    for (const key of noted) noteIn?.add(key);
    try {
      await enqueueTickets(
        deps,
        deferred.map((d) => d.ticket),
      );
    } catch (error) {
      for (const key of noted) noteIn?.delete(key);
      // Not in flight after all: back where the next sweep finds them, not a flight allowance later
      // (from the place this sweep moved each to: one another sweep moved since is its to hand on).
      await Promise.all(
        deferred.map(({ ref, placedAt }) =>
          deps.store.deferPending({ ...ref, pendingAt: placedAt }, wakeAtOf(ref)).catch(() => false),
        ),
      );
      throw error;
    }
    for (const key of keys) handedOn.add(key);
    const stored = deferred.filter(({ ref }) => storedForSweep(ref)).length;
    run.storedEvents += stored;
    run.requeued += deferred.length - stored;
  }
  yield { requeued: run.requeued, storedEvents: run.storedEvents, done: true };
}

/** A message as a sweep handed it on: found again as it was (its version), it is the same ticket's. */
const handedOnKey = (ref: PendingRef): string => `${ref.tenantId}/${ref.messageId}@${ref.version}`;

/**
 * An event delivery stored for the sweep to hand on (`handedOnBy: 'sweep'`: the operator's shell has
 * no queue), found as it was stored: unwritten since (version 0, `queued`) and never deferred by a
 * sweep. No ticket was sent for it, so none was lost: it is counted apart (`storedEvents`), not in
 * `requeued` and its warning. Once a sweep has handed it on, it is deferred past its due time, so
 * finding it again means that sweep's ticket was lost, and it counts as any other.
 */
const storedForSweep = (ref: PendingRef): boolean =>
  ref.origin?.kind === 'notification' &&
  ref.origin.handedOnBy === 'sweep' &&
  ref.status === 'queued' &&
  ref.version === 0 &&
  (ref.pendingAt === undefined || ref.pendingAt <= ref.dueAt);

/**
 * What needs a worker by the horizon. A worker's take leaves a message at its due time in the
 * pending index, so a held message is found from then on: it is overdue only once its lease has run
 * out. With the queue lost, only what is due within the horizon (deferrals past it do not hide a
 * message), and every message a dead worker held, whenever its lease ends.
 */
async function* overdue(
  refs: AsyncIterable<PendingRef>,
  { horizon, lookTo }: { horizon: number; lookTo: number },
  queueLost: boolean,
) {
  for await (const ref of refs) {
    // Moved past the look since the index was read (its message is read after its entry): another
    // sweep running at the same time handed it on (the local stack's start-up read and a periodic
    // run), or a write put it later. Its place as read would let this one move it again: two tickets.
    if (ref.pendingAt !== undefined && ref.pendingAt >= lookTo) continue;
    const heldByDeadWorker = queueLost && ref.status === 'delivering';
    if (!heldByDeadWorker && wakeAtOf(ref) >= horizon) continue;
    yield ref;
  }
}

/** When a pending message next needs a worker: a held one once its lease has run out. */
const wakeAtOf = (ref: PendingRef): number =>
  ref.status === 'delivering' ? Math.max(ref.dueAt, (ref.leaseUntil ?? 0) + 1_000) : ref.dueAt;

/**
 * The ticket for a pending message (inFlight); or, for an event delivery not sent yet whose round's
 * end is not the one it tells (event-webhooks.ts eventFoundation), none: it waits a flight allowance
 * while that round is open, and is withdrawn once it ended otherwise. Such a delivery was stored
 * before its message's record and dispatched only after it, so the sweep is how one of an end that
 * was never recorded would reach its receiver. A message that cannot be read is left to the next sweep.
 */
const handOn = async (
  deps: SchedulingDeps,
  ref: PendingRef,
  now: number,
  messages: MessageReads,
): Promise<HandedOn | undefined> => {
  const about = ref.status === 'queued' ? aboutMessage(ref.origin) : undefined;
  if (!about) return inFlight(deps, ref, now);
  const fields = { tenantId: ref.tenantId, messageId: ref.messageId, about: about.messageId, round: about.round };
  try {
    const parent = await messages(ref.tenantId, about.messageId);
    const foundation = eventFoundation({ id: ref.messageId, origin: ref.origin }, parent);
    if (foundation === 'founded') return inFlight(deps, ref, now);
    if (foundation === 'open') {
      await deps.store.deferPending(ref, now + deps.settings.flightAllowanceMs);
      deps.log.info('an event delivery waits for its message’s round to end', fields);
      return undefined;
    }
    const delivery = await deps.store.get(ref.tenantId, ref.messageId);
    if (delivery?.version !== ref.version) return undefined; // moved on since it was read
    const keepMs = parent?.expiresAt === undefined ? longestRetentionMs(deps.settings) : parent.expiresAt - now;
    if (await withdrawEventDeliveries(deps, [delivery], Math.max(0, keepMs))) {
      deps.log.warn('an event delivery told of an end its message did not record: withdrawn', {
        ...fields,
        ended: parent?.status,
      });
    }
  } catch (error) {
    deps.log.warn('an event delivery’s message could not be read; left to the next sweep', {
      ...fields,
      error: String(error),
    });
  }
  return undefined;
};

/** A message as the store has it, read once however many of a page's event deliveries are about it. */
type MessageReads = (tenantId: string, messageId: string) => Promise<Message | undefined>;

/** One page's reads: a round's callback and its `message.failed` notifications share their message's. */
const readOnce = (store: MessageStore): MessageReads => {
  const reads = new Map<string, Promise<Message | undefined>>();
  return (tenantId, messageId) => {
    const key = `${tenantId}/${messageId}`;
    let read = reads.get(key);
    if (read === undefined) {
      read = store.get(tenantId, messageId);
      reads.set(key, read);
    }
    return read;
  };
};

/** A pending message handed on: its ticket, and the place in the index it was moved to meanwhile. */
interface HandedOn {
  ref: PendingRef;
  ticket: DeliveryTicket;
  placedAt: number;
}

/**
 * The ticket for a pending message, once its place in the index is moved past the flight allowance:
 * marked `recovered`, which its attempt gives as its lateness reason when it went out late.
 * None when the message was taken, changed or finished since the index was read, or another sweep
 * running at the same time moved it first (that sweep hands it on: one ticket, counted once).
 */
const inFlight = async (deps: SchedulingDeps, ref: PendingRef, now: number): Promise<HandedOn | undefined> => {
  const wakeAt = wakeAtOf(ref);
  const placedAt = Math.max(wakeAt, now) + deps.settings.flightAllowanceMs;
  try {
    const deferred = await deps.store.deferPending(ref, placedAt);
    if (!deferred) return undefined; // taken, changed, finished or moved by another sweep since the index was read
  } catch (error) {
    // Better one ticket too many than a message left behind: enqueue all the same.
    deps.log.warn('could not move a pending message past its flight allowance', {
      tenantId: ref.tenantId,
      messageId: ref.messageId,
      error: String(error),
    });
  }
  // Its attempt, if late, tells it was the sweep's doing; not an event delivery stored for the sweep
  // to hand on: that is its way out, nothing was lost.
  const ticket: DeliveryTicket = {
    ...ticketForRef(ref),
    dueAt: wakeAt,
    ...(!storedForSweep(ref) && { latenessReason: 'recovered' as const }),
  };
  return { ref, ticket, placedAt };
};
