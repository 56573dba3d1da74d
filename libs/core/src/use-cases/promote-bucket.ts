/**
 * Far path: a bucket's timer fired. Every message still waiting in the bucket goes onto the
 * delivery queue with its exact delay. Messages that were cancelled or rescheduled since are
 * skipped (a stale version would be skipped by the worker anyway). The bucket is read as a stream
 * and handed to the queue a page at a time, so a bucket of any size fits in memory.
 */
import { WAITING_STATUSES } from '../lifecycle';
import type { SchedulingDeps } from './deps';
import { enqueueTickets, pagesOf, ticketForRef } from './dispatch';

/**
 * How many pages of a bucket are on their way to the queue at once. One page at a time is one
 * queue round trip per 100 tickets (about 5,000 tickets a second on SQS), so a bucket of a million
 * reminders would take 200 s to hand over where the far lead gives it 60–120 s (docs/CAPACITY.md);
 * eight (one per bucket shard) hand it over in about 25 s. Memory stays bounded: eight pages.
 */
export const PROMOTE_PAGES_IN_FLIGHT = 8;

export const promoteBucket = async (deps: SchedulingDeps, bucketAt: number): Promise<{ promoted: number }> => {
  let promoted = 0;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  for await (const page of pagesOf(deps.store.bucketMembers(bucketAt))) {
    const tickets = page.filter((ref) => WAITING_STATUSES.includes(ref.status)).map(ticketForRef);
    const handing: Promise<void> = enqueueTickets(deps, tickets)
      .then(
        () => void (promoted += tickets.length),
        (error: unknown) => void (failure ??= { error }),
      )
      .finally(() => inFlight.delete(handing));
    inFlight.add(handing);
    if (inFlight.size >= PROMOTE_PAGES_IN_FLIGHT) await Promise.race(inFlight);
    // A page the queue refused fails the promote (its timer's retry promotes the bucket again),
    // after the pages already on their way have settled; no further page is read.
    if (failure) break;
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  deps.log.info('bucket promoted', { bucketAt: new Date(bucketAt).toISOString(), promoted });
  return { promoted };
};
