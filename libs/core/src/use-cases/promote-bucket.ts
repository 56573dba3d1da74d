/**
 * Far path: a bucket's timer fired. Every message still waiting in the bucket goes onto the
 * delivery queue with its exact delay. Messages that were cancelled or rescheduled since are
 * skipped (a stale version would be skipped by the worker anyway).
 */
import { WAITING_STATUSES } from '../lifecycle';
import type { DeliveryTicket } from '../ports';
import { queueDelaySeconds } from '../routing';
import type { SchedulingDeps } from './deps';
import { ticketForRef } from './dispatch';

const SEND_BATCH = 10;

export const promoteBucket = async (deps: SchedulingDeps, bucketAt: number): Promise<{ promoted: number }> => {
  let batch: Array<{ ticket: DeliveryTicket; delaySeconds: number }> = [];
  let promoted = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await deps.queue.enqueue(batch);
    promoted += batch.length;
    batch = [];
  };
  for await (const ref of deps.store.bucketMembers(bucketAt)) {
    if (!WAITING_STATUSES.includes(ref.status)) continue;
    batch.push({
      ticket: ticketForRef(ref),
      delaySeconds: queueDelaySeconds(ref.dueAt, deps.clock.now(), deps.settings),
    });
    if (batch.length === SEND_BATCH) await flush();
  }
  await flush();
  deps.log.info('bucket promoted', { bucketAt: new Date(bucketAt).toISOString(), promoted });
  return { promoted };
};
