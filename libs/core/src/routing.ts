import type { EngineSettings } from './settings';

/** SQS accepts DelaySeconds from 0 to 900. */
export const MAX_QUEUE_DELAY_S = 900;

export type Route = { path: 'near'; delaySeconds: number } | { path: 'far'; bucketAt: number };

/**
 * Near or far: a message due within the near window goes on the delivery queue with a delay that
 * surfaces it about `armLeadMs` before it is due (DelaySeconds is whole seconds, so it surfaces
 * between armLead and armLead + 1 s early). Anything later waits in a far-path bucket whose
 * timer fires at least `farLeadMs` before the message is due.
 */
export const routeFor = (dueAt: number, now: number, s: EngineSettings): Route => {
  const remaining = dueAt - now;
  if (remaining <= s.nearWindowMs) return { path: 'near', delaySeconds: queueDelaySeconds(dueAt, now, s) };
  return { path: 'far', bucketAt: bucketFor(dueAt, s) };
};

export const queueDelaySeconds = (dueAt: number, now: number, s: EngineSettings): number => {
  const seconds = Math.floor((dueAt - now - s.armLeadMs) / 1000);
  return Math.min(MAX_QUEUE_DELAY_S, Math.max(0, seconds));
};

/** The bucket a far message waits in: the bucket containing `dueAt - farLead`. */
export const bucketFor = (dueAt: number, s: EngineSettings): number =>
  Math.floor((dueAt - s.farLeadMs) / s.bucketMs) * s.bucketMs;
