import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '@vigil/core';

/** Longest single timer: Node's setTimeout overflows past 2^31-1 ms, so long waits go in steps. */
const MAX_STEP_MS = 60_000;

/**
 * The wall clock, with a `sleepUntil` that is never early: it sleeps to within a millisecond of
 * the instant, then yields turn by turn until the clock has reached it.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  async sleepUntil(epochMs: number) {
    for (;;) {
      const remaining = epochMs - Date.now();
      if (remaining <= 0) return;
      if (remaining > 2) await sleep(Math.min(remaining - 1, MAX_STEP_MS));
      else await nextTurn();
    }
  },
};
