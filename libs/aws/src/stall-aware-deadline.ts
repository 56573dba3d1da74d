/**
 * A deadline that knows a stall of the process. After a stall (SIGSTOP, a VM paused, a laptop
 * asleep, a long synchronous task) Node runs its due timers before it reads its sockets, so a plain
 * `setTimeout` deadline fires before an answer that came during the stall, and is already waiting
 * on the socket, is read: a request answered in time is called a timeout (and sent again). This
 * deadline, when it fires over STALL_LATENESS_MS late, gives back the time the stall took (at most
 * `giveBackAtMostMs` in all) and lets the sockets be read first; so it expires no later than its
 * bound plus `giveBackAtMostMs`, plus the stalls themselves.
 *
 * Used by every timeout that bounds a wait for an answer in this process: the webhook sender
 * (http-sender.ts), the AWS SDK clients' request timeout (stall-aware-request-handler.ts) and the
 * local gateway's function timeout; and by the local stack's servers' bounds on a connection (how
 * long a request may take to arrive, how long an idle one stays open: connection-deadlines.ts).
 */

/**
 * A deadline timer that fires this much later than it was due found the process stalled, not a busy
 * event loop: a loop that busy runs timers tens of ms late (the integration tests measured 45 ms on
 * a loaded machine).
 */
export const STALL_LATENESS_MS = 200;

export interface StallAwareDeadline {
  /** The deadline will not expire (the wait ended first). */
  cancel(): void;
  /** How much time stalls were given back so far (ms). */
  readonly givenBackMs: number;
}

/**
 * Calls `expire(givenBackMs)` at `dueAt` (a `performance.now()` instant), or later by what stalls
 * of the process took meanwhile, `giveBackAtMostMs` at most in all.
 */
export const stallAwareDeadline = (
  dueAt: number,
  giveBackAtMostMs: number,
  expire: (givenBackMs: number) => void,
): StallAwareDeadline => {
  let due = Math.max(dueAt, performance.now());
  let givenBackMs = 0;
  let lastChance = false;
  const onDue = () => {
    const lateMs = performance.now() - due;
    if (lateMs <= STALL_LATENESS_MS || lastChance) return expire(givenBackMs);
    // Stalled: the sockets are read before a timer set now fires (the poll phase comes first).
    const backMs = Math.max(0, Math.min(lateMs, giveBackAtMostMs - givenBackMs));
    givenBackMs += backMs;
    lastChance = backMs === 0;
    due = performance.now() + backMs;
    timer = setTimeout(onDue, Math.max(1, backMs));
  };
  let timer = setTimeout(onDue, due - performance.now());
  return {
    cancel: () => clearTimeout(timer),
    get givenBackMs() {
      return givenBackMs;
    },
  };
};
