/** Where "now" comes from. Everything that reasons about time takes one, so tests use fixed times. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves at or after `epochMs` by this clock, never before. */
  sleepUntil(epochMs: number): Promise<void>;
}

/**
 * A timer that fires this much later than it was due found the process stalled (SIGSTOP, a VM
 * paused, a laptop asleep, a long synchronous task), not a busy event loop: a loop that busy runs
 * timers tens of ms late (the integration tests measured 45 ms on a loaded machine). The webhook
 * sender's deadlines (libs/aws stall-aware-deadline.ts) and the delivery worker's wait for a due
 * instant (an attempt's `engine-busy`) tell a stall by it.
 */
export const STALL_LATENESS_MS = 200;

/** A clock that only moves when told to: for tests of scheduling maths. */
export class FixedClock implements Clock {
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleepUntil(epochMs: number): Promise<void> {
    if (epochMs > this.current) this.current = epochMs;
  }
}
