/**
 * Where a waiting message waits, decided once: `routeFor` decides near or far when the message is
 * placed (create, reschedule, retry), `placeMessage` records the decision on the message (its
 * far-path bucket, or none), and `routeOf` reads that record back for dispatch, so a message read
 * from the store (an idempotent retry finishing an earlier request) dispatches the same way.
 */
import type { Message } from './message';
import type { EngineSettings } from './settings';

/** SQS accepts DelaySeconds from 0 to 900. */
export const MAX_QUEUE_DELAY_S = 900;

export type Route = { path: 'near' } | { path: 'far'; bucketAt: number };

/**
 * Near or far: a message due within the near window goes on the delivery queue with a delay that
 * hands it to a worker about `armLeadMs` before it is due (see `queueDelaySeconds`; the prompt
 * queue when it need not be gathered, `placeTickets`). Anything later waits
 * in a far-path bucket whose timer fires at least `farLeadMs` before the message is due.
 */
export const routeFor = (dueAt: number, now: number, s: EngineSettings): Route => {
  const remaining = dueAt - now;
  if (remaining <= s.nearWindowMs) return { path: 'near' };
  return { path: 'far', bucketAt: bucketFor(dueAt, s) };
};

/** The route `placeMessage` recorded on a message: far when it waits in a bucket, near otherwise. */
export const routeOf = (message: Pick<Message, 'bucketAt'>): Route =>
  message.bucketAt === undefined ? { path: 'near' } : { path: 'far', bucketAt: message.bucketAt };

/**
 * Tickets a worker is handed at once, at most (deliver's batch size on its queues, infra/functions.ts).
 * Tickets enqueued together that surface in the same second this many or more fill a batch by
 * themselves: gathering them would only make a worker hold them a window longer.
 */
export const DELIVERY_BATCH_SIZE = 10;

/**
 * The queue delay that hands a ticket to a worker about `armLeadMs` before it is due: a gathered
 * ticket surfaces `gatherWindowMs` earlier still, the longest its consumer may keep it to fill a
 * batch. DelaySeconds is whole seconds, so it surfaces up to 1 s earlier; never negative, never
 * past 900 s (a ticket surfacing too early is put back by the worker).
 */
export const queueDelaySeconds = (dueAt: number, now: number, s: EngineSettings, gathered = true): number => {
  const seconds = Math.floor((dueAt - now - s.armLeadMs - (gathered ? s.gatherWindowMs : 0)) / 1000);
  return Math.min(MAX_QUEUE_DELAY_S, Math.max(0, seconds));
};

/** Where one ticket goes: its delay, and whether it skips the gathering (the prompt queue). */
export interface TicketPlacement<T> {
  ticket: T;
  delaySeconds: number;
  prompt: boolean;
}

/**
 * Places tickets enqueued together (only `enqueueTickets` calls this). With gathering, a ticket goes
 * on the prompt queue, handed to a worker as it comes, when it is due too soon to wait out the
 * window (less than `armLeadMs + gatherWindowMs` away) or when `DELIVERY_BATCH_SIZE` or more of
 * those enqueued with it surface in the same second (a batch create, a promoted bucket: they fill
 * batches by themselves). The rest, one here and one there, are gathered. Without gathering
 * (`gatherWindowMs` 0) every ticket is placed as it comes, on the one queue.
 */
export const placeTickets = <T extends { dueAt: number }>(
  tickets: readonly T[],
  now: number,
  s: EngineSettings,
): Array<TicketPlacement<T>> => {
  const direct = tickets.map((ticket) => queueDelaySeconds(ticket.dueAt, now, s, false));
  const sameSecond = new Map<number, number>();
  for (const delay of direct) sameSecond.set(delay, (sameSecond.get(delay) ?? 0) + 1);
  return tickets.map((ticket, i) => {
    const delay = direct[i] as number;
    const prompt =
      s.gatherWindowMs > 0 &&
      (ticket.dueAt - now < s.armLeadMs + s.gatherWindowMs || (sameSecond.get(delay) ?? 0) >= DELIVERY_BATCH_SIZE);
    return { ticket, delaySeconds: prompt ? delay : queueDelaySeconds(ticket.dueAt, now, s), prompt };
  });
};

/** The bucket a far message waits in: the bucket containing `dueAt - farLead`. */
export const bucketFor = (dueAt: number, s: EngineSettings): number =>
  Math.floor((dueAt - s.farLeadMs) / s.bucketMs) * s.bucketMs;
