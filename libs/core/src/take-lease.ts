/**
 * A worker's take leases its message: nobody else may take it until the lease ends, and once it
 * has ended (the worker died, say) the sweep hands the message to another worker. The lease runs
 * `leaseMarginMs` (the record after the send, a slow start) plus the message's send window past
 * the later of its due instant and the take: a default message's (10 s timeout) ends 25 s after it
 * was due, one of 30 s 45 s after. The periodic sweep reads only what is `sweepGraceMs` (60 s)
 * past due, so there the grace decides; a restart's sweep, and one with a shorter grace, go by the lease.
 */
import { FLOW_HOLD_PER_TAKE_MS } from './flow-control';
import type { Message } from './message';
import { MESSAGE_TIMEOUT_MAX_MS } from './message-limits';

/**
 * How long after its due instant a taken message may still be on the wire: its own timeout, and
 * the hold flow control may add before the send (FLOW_HOLD_PER_TAKE_MS).
 */
export const sendWindowMs = (message: Pick<Message, 'timeoutMs' | 'flowControl'>): number =>
  message.timeoutMs + (message.flowControl === undefined ? 0 : FLOW_HOLD_PER_TAKE_MS);

/**
 * The send window of a message stored before its window was kept beside it (the store's
 * fallback): the longest timeout, as every lease was then.
 */
export const LEGACY_SEND_WINDOW_MS = MESSAGE_TIMEOUT_MAX_MS;

/**
 * The least a lease must run past the end of a send's timeout: room for the attempt's record. A
 * worker whose send could end later than that (late since its take: a slow read, a stalled
 * process) extends its lease first (`sendLeaseShortfall`).
 */
export const RECORD_ROOM_MS = 5_000;

/**
 * The lease a send starting `now` needs, when the take's own lease would end too soon for it (the
 * send's timeout and RECORD_ROOM_MS past now); undefined when the lease covers the send. A send on
 * time (at its due instant, or at once after a take past it) never needs one.
 */
export const sendLeaseShortfall = (
  message: Pick<Message, 'timeoutMs' | 'flowControl' | 'leaseUntil'>,
  now: number,
  leaseMarginMs: number,
): number | undefined => {
  if (message.leaseUntil === undefined || now + message.timeoutMs + RECORD_ROOM_MS <= message.leaseUntil)
    return undefined;
  return now + sendWindowMs(message) + leaseMarginMs;
};

/** Where a take's lease starts: the window of the message taken is added to it by the store. */
export const leaseFrom = (dueAt: number, now: number, leaseMarginMs: number): number =>
  Math.max(dueAt, now) + leaseMarginMs;
