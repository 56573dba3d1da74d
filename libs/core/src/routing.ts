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
 * surfaces it about `armLeadMs` before it is due (see `queueDelaySeconds`). Anything later waits
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
 * The queue delay that surfaces a ticket about `armLeadMs` before it is due. DelaySeconds is whole
 * seconds, so it surfaces between armLead and armLead + 1 s early; never negative, never past 900 s
 * (a ticket surfacing too early is put back by the worker). Only `enqueueTickets` calls this.
 */
export const queueDelaySeconds = (dueAt: number, now: number, s: EngineSettings): number => {
  const seconds = Math.floor((dueAt - now - s.armLeadMs) / 1000);
  return Math.min(MAX_QUEUE_DELAY_S, Math.max(0, seconds));
};

/** The bucket a far message waits in: the bucket containing `dueAt - farLead`. */
export const bucketFor = (dueAt: number, s: EngineSettings): number =>
  Math.floor((dueAt - s.farLeadMs) / s.bucketMs) * s.bucketMs;
