/** Where "now" comes from. Everything that reasons about time takes one, so tests use fixed times. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves at or after `epochMs` by this clock, never before. */
  sleepUntil(epochMs: number): Promise<void>;
}

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
