/**
 * A deadline that knows a stall of the process. After a stall (SIGSTOP, a VM paused, a laptop
 * asleep, a long synchronous task) Node runs its due timers before it reads its sockets, so a plain
 * `setTimeout` deadline fires before an answer that came during the stall, and is already waiting
 * on the socket, is read: a request answered in time is called a timeout (and sent again). This
 * deadline, when it fires over STALL_LATENESS_MS late, found the process stalled, and does one of two
 * things, by `giveBackAtMostMs`:
 *
 * - above 0, it gives back the time the stall took (at most `giveBackAtMostMs` in all) and lets the
 *   sockets be read first; so it expires no later than its bound plus `giveBackAtMostMs`, plus the
 *   stalls themselves. For a wait whose peer may have stalled with the process (the local stack's
 *   services run in it, or on its machine) and answers only after, or sent during the stall more
 *   than one turn reads: the AWS SDK clients' request timeout (stall-aware-request-handler.ts), the
 *   local gateway's function timeout, and the local stack's servers' bounds on a connection (how
 *   long a request may take to arrive, how long an idle one stays open: connection-deadlines.ts).
 * A deadline that fires on time, or late by less than a stall (a busy turn), also lets the sockets
 * be read once before it expires: an answer already waiting counts.
 *
 * - 0, it gives no time back: it lets the sockets be read once, what came during the stall and is
 *   already in the kernel's buffers (the poll phase runs before a `setImmediate`, and reads 64 KiB
 *   a socket and more, decrypted and parsed in the same turn: a response's head and the start of its
 *   body), and then expires. So an answer that came during the stall counts (it may have come in
 *   time, and nothing tells), and one sent after the stall ended, past the deadline, does not. For
 *   the webhook sender (http-sender.ts), whose users read "timeout 1 s" as "an answer later than
 *   about 1 s is a timeout": on a starved process, giving the stall back read an answer sent 2.5 s
 *   after a request with a 1 s timeout as in time.
 */

import { STALL_LATENESS_MS } from '@vigil/core/clock';

export interface StallAwareDeadline {
  /** The deadline will not expire (the wait ended first). */
  cancel(): void;
  /** How much time stalls were given back so far (ms). */
  readonly givenBackMs: number;
}

/**
 * Calls `expire(givenBackMs, stalledMs)` at `dueAt` (a `performance.now()` instant), or later by what
 * stalls of the process took meanwhile, `giveBackAtMostMs` at most in all; once nothing more is given
 * back, a stall past the deadline is read through once before it expires (see above). `stalledMs`:
 * how far past the deadline the stall it expires after ran, 0 when it expires on time.
 */
export const stallAwareDeadline = (
  dueAt: number,
  giveBackAtMostMs: number,
  expire: (givenBackMs: number, stalledMs: number) => void,
): StallAwareDeadline => {
  let due = Math.max(dueAt, performance.now());
  let givenBackMs = 0;
  let lastRead: NodeJS.Immediate | undefined;
  const onDue = () => {
    const lateMs = performance.now() - due;
    if (lateMs <= STALL_LATENESS_MS) {
      // Not a stall, but the timer may still run after a busy turn, late by up to STALL_LATENESS_MS,
      // with an answer that came in time waiting unread: it is read first (the poll phase runs
      // before the check phase's immediates), then the deadline expires.
      lastRead = setImmediate(() => expire(givenBackMs, 0));
      return;
    }
    const backMs = Math.max(0, Math.min(lateMs, giveBackAtMostMs - givenBackMs));
    if (backMs === 0) {
      // Stalled, nothing more to give back: what came meanwhile is read (the poll phase runs before
      // the check phase's immediates), then the deadline expires.
      lastRead = setImmediate(() => expire(givenBackMs, lateMs));
      return;
    }
    // Stalled: the sockets are read before a timer set now fires (the poll phase comes first).
    givenBackMs += backMs;
    due = performance.now() + backMs;
    timer = setTimeout(onDue, Math.max(1, backMs));
  };
  let timer = setTimeout(onDue, due - performance.now());
  return {
    cancel: () => {
      clearTimeout(timer);
      if (lastRead) clearImmediate(lastRead);
    },
    get givenBackMs() {
      return givenBackMs;
    },
  };
};
