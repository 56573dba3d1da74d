/**
 * Hands waiting messages to whatever will wake them: near ones to the delivery queue, far ones
 * to their bucket's timer, each by the route recorded when it was placed (`routeOf`). A failure
 * here never loses a message: it is already stored with its due time, and the sweep re-enqueues
 * anything that is overdue.
 *
 * Every ticket goes onto the queue through `enqueueTickets`, the one place a queue delay is worked
 * out. Use cases hand the queue whole lists (streams in pages of `TICKET_PAGE`, a memory bound);
 * how many tickets go to the queue per call is the queue adapter's business.
 */
import type { Message, TicketLatenessReason } from '../message';
import type { DeliveryTicket, PendingRef } from '../ports';
import { placeTickets, routeOf } from '../routing';
import type { SchedulingDeps } from './deps';

/**
 * How many tickets a use case reading a stream (a bucket, the pending index) gathers before it
 * hands them to the queue: it bounds memory for a bucket of any size. Not a queue batch size.
 */
export const TICKET_PAGE = 100;

export const ticketFor = (m: Pick<Message, 'tenantId' | 'id' | 'version' | 'dueAt'>): DeliveryTicket => ({
  tenantId: m.tenantId,
  messageId: m.id,
  version: m.version,
  dueAt: m.dueAt,
});

export const ticketForRef = (ref: PendingRef): DeliveryTicket => ({
  tenantId: ref.tenantId,
  messageId: ref.messageId,
  version: ref.version,
  dueAt: ref.dueAt,
});

/**
 * Puts tickets on the delivery queue, each delayed so a worker gets it about the arm lead before its
 * `dueAt`, and marked prompt when it need not be gathered into a batch (`placeTickets`).
 */
export const enqueueTickets = async (
  deps: Pick<SchedulingDeps, 'queue' | 'clock' | 'settings'>,
  tickets: readonly DeliveryTicket[],
): Promise<void> => {
  if (tickets.length === 0) return;
  await deps.queue.enqueue(placeTickets(tickets, deps.clock.now(), deps.settings));
};

/**
 * Reads a stream in pages of at most `size` items (the last one may be shorter, none is empty). A
 * stream that fails part-way gives the items read so far as a last page before its error: what the
 * store could read (the shards it could) is handed on, not dropped with the page being filled. A
 * reader that stops early gets the error the source raises as it is let go of (a store's failed
 * shard), not the page it had already been given over again.
 */
export async function* pagesOf<T>(source: AsyncIterable<T>, size = TICKET_PAGE): AsyncGenerator<T[]> {
  let page: T[] = [];
  try {
    for await (const item of source) {
      page.push(item);
      if (page.length >= size) {
        const full = page;
        page = [];
        yield full;
      }
    }
  } catch (error) {
    if (page.length > 0) yield page;
    throw error;
  }
  if (page.length > 0) yield page;
}

/**
 * `latenessReason`: why the messages are late already (a worker handing one back), carried on
 * their tickets for the attempt that sends them. A far one's bucket carries none (it is not late).
 */
export const dispatchMessages = async (
  deps: SchedulingDeps,
  messages: readonly Message[],
  { latenessReason }: { latenessReason?: TicketLatenessReason | undefined } = {},
): Promise<void> => {
  const near: DeliveryTicket[] = [];
  const buckets = new Set<number>();
  for (const m of messages) {
    const route = routeOf(m);
    if (route.path === 'near') near.push({ ...ticketFor(m), ...(latenessReason && { latenessReason }) });
    else buckets.add(route.bucketAt);
  }
  const results = await Promise.allSettled([
    enqueueTickets(deps, near),
    ...[...buckets].map((bucketAt) => deps.timer.ensureBucket(bucketAt)),
  ]);
  for (const result of results) {
    if (result.status === 'rejected') {
      deps.log.error('dispatch failed; the sweep will re-enqueue the message when it is overdue', {
        messageIds: messages.slice(0, 10).map((m) => m.id),
        error: String(result.reason),
      });
    }
  }
};
