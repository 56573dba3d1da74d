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

/** Where a take's lease starts: the window of the message taken is added to it by the store. */
export const leaseFrom = (dueAt: number, now: number, leaseMarginMs: number): number =>
  Math.max(dueAt, now) + leaseMarginMs;
