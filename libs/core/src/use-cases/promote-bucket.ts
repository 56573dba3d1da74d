/**
 * Far path: a bucket's timer fired. Every message still waiting in the bucket goes onto the
 * delivery queue with its exact delay. Messages that were cancelled or rescheduled since are
 * skipped (a stale version would be skipped by the worker anyway). The bucket is read as a stream
 * and handed to the queue a page at a time, so a bucket of any size fits in memory. A bucket handed
 * on to its end is noted in the store, so the sweep's net under the timer (promoteMissedBuckets)
 * leaves it alone.
 */
import { WAITING_STATUSES } from '../lifecycle';
import type { TicketLatenessReason } from '../message';
import type { EngineSettings } from '../settings';
import type { SchedulingDeps } from './deps';
import { enqueueTickets, pagesOf, ticketForRef } from './dispatch';

/**
 * How many pages of a bucket are on their way to the queue at once. One page at a time is one
 * queue round trip per 100 tickets (about 5,000 tickets a second on SQS), so a bucket of a million
 * reminders would take 200 s to hand over where the far lead gives it 60–120 s (docs/CAPACITY.md);
 * eight (one per bucket shard) hand it over in about 25 s. Memory stays bounded: eight pages.
 */
export const PROMOTE_PAGES_IN_FLIGHT = 8;

/**
 * `latenessReason`: what the bucket's tickets tell a worker of a lateness (promoteMissedBuckets's
 * `timer-missed`); none when the bucket's own timer fired.
 */
/** `promoted`: the tickets it handed to the queue, one for each member still waiting (not messages sent). */
export const promoteBucket = async (
  deps: SchedulingDeps,
  bucketAt: number,
  { latenessReason }: { latenessReason?: TicketLatenessReason } = {},
): Promise<{ promoted: number }> => {
  let promoted = 0;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  try {
    for await (const page of pagesOf(deps.store.bucketMembers(bucketAt))) {
      const tickets = page
        .filter((ref) => WAITING_STATUSES.includes(ref.status))
        .map((ref) => ({ ...ticketForRef(ref), ...(latenessReason && { latenessReason }) }));
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
  } catch (error) {
    // The store's read failed (a shard, raised at its end or as a stopped read lets go of it): the
    // pages on their way still settle before the promote fails.
    failure ??= { error };
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  try {
    await deps.store.markBucketPromoted(bucketAt);
  } catch (error) {
    // Its tickets are on their way: at worst the sweep promotes it again, and the workers skip the repeats.
    deps.log.warn('could not note a bucket as promoted', {
      bucketAt: new Date(bucketAt).toISOString(),
      error: String(error),
    });
  }
  // The tickets it handed to the queue, one for each member still waiting: not messages sent (a
  // repeat, from a retried or second promote, or a stale one is skipped by its worker).
  deps.log.info('bucket promoted', { bucketAt: new Date(bucketAt).toISOString(), enqueued: promoted });
  return { promoted };
};

/**
 * The buckets a sweep at `now` checks: each whose timer should have fired at least a bucket's width
 * ago (Scheduler fires anywhere inside its minute) and whose messages are not all past the sweep's
 * grace yet (those the pending sweep finds): with the defaults (60 s buckets, a 120 s lead) the two
 * whose timers fired 60–180 s ago, whose messages are due from 60 s ago to 120 s ahead.
 */
export const bucketsToCheck = (now: number, s: EngineSettings): number[] => {
  const buckets: number[] = [];
  const latest = Math.floor((now - s.bucketMs) / s.bucketMs) * s.bucketMs;
  for (let bucketAt = latest; bucketAt > now - s.farLeadMs - s.bucketMs; bucketAt -= s.bucketMs) buckets.push(bucketAt);
  return buckets;
};

/**
 * The net under the bucket timer, run by the periodic sweep: a recent bucket that was not promoted to
 * its end (its schedule never fired, could not be created when its messages were stored, or its
 * promote kept failing) is promoted now, so its messages still go out on time, where the pending
 * sweep alone would find them only once past its grace (60–120 s late). A bucket with no messages
 * costs its queries once, then is noted like any other. Its tickets are marked `timer-missed`: a
 * message of it that goes out late (due before this run) says why.
 */
export const promoteMissedBuckets = async (deps: SchedulingDeps): Promise<{ promoted: number }> => {
  let promoted = 0;
  const missed: string[] = [];
  for (const bucketAt of bucketsToCheck(deps.clock.now(), deps.settings)) {
    if (await deps.store.bucketPromoted(bucketAt)) continue;
    const bucket = await promoteBucket(deps, bucketAt, { latenessReason: 'timer-missed' });
    if (bucket.promoted === 0) continue;
    promoted += bucket.promoted;
    missed.push(new Date(bucketAt).toISOString());
  }
  if (promoted > 0)
    deps.log.warn('sweep promoted buckets their timer had not', { buckets: missed, enqueued: promoted });
  return { promoted };
};
