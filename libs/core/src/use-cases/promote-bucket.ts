/**
 * Far path: a bucket's timer fired. Every message still waiting in the bucket goes onto the
 * delivery queue with its exact delay. Messages that were cancelled or rescheduled since are
 * skipped (a stale version would be skipped by the worker anyway). The bucket is read as a stream
 * and handed to the queue a page at a time, so a bucket of any size fits in memory.
 */
import { WAITING_STATUSES } from '../lifecycle';
import type { SchedulingDeps } from './deps';
import { enqueueTickets, pagesOf, ticketForRef } from './dispatch';

export const promoteBucket = async (deps: SchedulingDeps, bucketAt: number): Promise<{ promoted: number }> => {
  let promoted = 0;
  for await (const page of pagesOf(deps.store.bucketMembers(bucketAt))) {
    const tickets = page.filter((ref) => WAITING_STATUSES.includes(ref.status)).map(ticketForRef);
    await enqueueTickets(deps, tickets);
    promoted += tickets.length;
  }
  deps.log.info('bucket promoted', { bucketAt: new Date(bucketAt).toISOString(), promoted });
  return { promoted };
};
