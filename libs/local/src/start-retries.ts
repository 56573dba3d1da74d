/**
 * A start-up step that meets a passing fault is tried again, a bounded number of times, before the
 * start gives up. The local stack's start-up sweep re-enqueues everything due within the near
 * window (the queue did not survive the last stop); it runs through the handlers' clients, so under
 * the chaos suite's fault rates one start in two met a fault its SDK's own three tries did not
 * outlast, and the process exited (at ten per cent throttling, five starts in a row).
 */
import type { Logger } from '@vigil/core';

export interface StartRetries {
  /** Tries in all (the first included). */
  tries: number;
  /** The pause after the first failure, doubling after each (at most `maxPauseMs`). */
  firstPauseMs: number;
  maxPauseMs: number;
}

/** About 15 s of tries at most: long enough for a burst of faults, short enough to fail a start that cannot work. */
export const START_RETRIES: StartRetries = { tries: 8, firstPauseMs: 250, maxPauseMs: 4_000 };

export const retriedAtStart = async <T>(
  what: string,
  step: () => Promise<T>,
  log: Logger,
  { tries, firstPauseMs, maxPauseMs }: StartRetries = START_RETRIES,
): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= tries) throw error;
      const pauseMs = Math.min(maxPauseMs, firstPauseMs * 2 ** (attempt - 1));
      log.warn(`${what} failed at start-up; trying again`, { attempt, of: tries, pauseMs, error: String(error) });
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
};
