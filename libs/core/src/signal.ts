/**
 * A one-shot wake-up for waiters that also have a deadline of their own: `wait(until)` resolves
 * when `until` does or when `fire()` is called, whichever comes first.
 *
 * Why not `Promise.race([until, signal.promise])`: every race adds a reaction to
 * `signal.promise`, and a promise keeps its reactions until it settles. A signal that rarely
 * fires (the delivery worker's rush, which fires only when more tickets are held than their takes
 * fit into the take lead) then keeps one race per delivery for the life of the process: the local
 * stack's soak found 7,000 of them after six minutes at 10 messages/s, and a warm Lambda would do
 * the same. Here each wait has a promise of its own, and a wait that ends leaves nothing behind.
 */
export class Signal {
  private readonly waiters = new Set<() => void>();

  /** Waiters now (for tests: a wait that ended is not one). */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Wakes every current waiter; later waits wait for the next fire. */
  fire(): void {
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** Resolves when `until` settles (either way) or the signal fires, whichever comes first. */
  async wait(until: Promise<unknown>): Promise<void> {
    let wake: () => void = () => {};
    const fired = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.waiters.add(wake);
    try {
      await Promise.race([until.then(noop, noop), fired]);
    } finally {
      this.waiters.delete(wake);
    }
  }
}

const noop = () => {};
