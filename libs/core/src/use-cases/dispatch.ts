/**
 * Hands waiting messages to whatever will wake them: near ones to the delivery queue, far ones
 * to their bucket's timer. A failure here never loses a message: it is already stored with its
 * due time, and the sweep re-enqueues anything that is overdue.
 */
import type { Message } from '../message';
import type { DeliveryTicket, PendingRef } from '../ports';
import { queueDelaySeconds } from '../routing';
import type { SchedulingDeps } from './deps';

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

export const dispatchMessages = async (deps: SchedulingDeps, messages: readonly Message[]): Promise<void> => {
  const now = deps.clock.now();
  const near = messages.filter((m) => m.bucketAt === undefined);
  const buckets = new Set(messages.flatMap((m) => (m.bucketAt === undefined ? [] : [m.bucketAt])));
  const results = await Promise.allSettled([
    near.length > 0
      ? deps.queue.enqueue(
          near.map((m) => ({
            ticket: ticketFor(m),
            delaySeconds: queueDelaySeconds(m.dueAt, now, deps.settings),
          })),
        )
      : Promise.resolve(),
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
