/**
 * The safety net. Every message that still has something to happen to it sits in the pending
 * index under the time that something is due (for a message a worker holds: when its lease ends).
 * The sweep re-enqueues whatever is overdue: a crash between write and enqueue, a lost timer, a
 * worker that died holding a message. Duplicates are harmless: the worker's take is conditional.
 *
 * `horizonMs` says how far to look: a negative grace for the periodic sweep (only what is clearly
 * overdue), the whole near window at start-up of the local stack (whose queue does not persist).
 */
import type { DeliveryTicket } from '../ports';
import { queueDelaySeconds } from '../routing';
import type { SchedulingDeps } from './deps';
import { ticketForRef } from './dispatch';

export const sweepPending = async (deps: SchedulingDeps, horizonMs: number): Promise<{ requeued: number }> => {
  const now = deps.clock.now();
  let batch: Array<{ ticket: DeliveryTicket; delaySeconds: number }> = [];
  let requeued = 0;
  for await (const ref of deps.store.pendingBefore(now + horizonMs)) {
    // A held message can be taken again once its lease has run out.
    const wakeAt = ref.status === 'delivering' ? Math.max(ref.dueAt, (ref.leaseUntil ?? 0) + 1_000) : ref.dueAt;
    batch.push({
      ticket: { ...ticketForRef(ref), dueAt: wakeAt },
      delaySeconds: queueDelaySeconds(wakeAt, now, deps.settings),
    });
    if (batch.length === 10) {
      await deps.queue.enqueue(batch);
      requeued += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await deps.queue.enqueue(batch);
    requeued += batch.length;
  }
  if (requeued > 0) deps.log.warn('sweep re-enqueued pending messages', { requeued, horizonMs });
  return { requeued };
};
