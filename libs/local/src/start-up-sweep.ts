/**
 * The local stack's start-up sweep. Its queue (the SQS emulator) keeps nothing over a stop, so at
 * start-up every message due within the near window is handed on again (`queueLost`), earliest
 * first. The start waits for one run's budget of it (a data dir of 100,000 overdue messages does not
 * hold `npm start` for minutes); the runs then go on in the background, one budget each, where the
 * last stopped, until the whole near window has been seen: a message due minutes after the restart
 * gets its ticket before it is due, not once a periodic run finds it overdue past the grace. The
 * periodic sweep goes on meanwhile, all its parts (a far-path bucket its timer missed, an idle bulk
 * job, an event stored for the sweep behind these runs' read, which they never reach), and notes
 * what it hands on in their `handedOn`: they leave it alone where it was moved to (one ticket, not
 * two). A run that meets a fault is followed by a new read, as the first
 * run's is (start-retries.ts), which leaves alone what the earlier reads handed on. On AWS the
 * queues persist, and nothing of this runs.
 */
import type { Logger, StartUpRead, StartUpRun } from '@vigil/core';
import type { StartRetries } from './start-retries';
import { retriedAtStart, START_RETRIES } from './start-retries';

export interface StartUpSweep {
  /** Whether its runs still go on (a periodic run meanwhile notes what it hands on in `handedOn`). */
  readonly goingOn: boolean;
  /**
   * What its reads handed on: a periodic run while they go on adds what it hands on, for them to
   * leave alone. Emptied once they end.
   */
  readonly handedOn: Set<string>;
  /** Ends the runs once the page under way is handed on; resolves when they have written their last. */
  stop(): Promise<void>;
}

export const startUpSweep = async ({
  runs: runsOf,
  invocation,
  log,
  retries = START_RETRIES,
}: {
  /** The runs of one read of the pending index (functions/engine/sweep.ts startUpSweepRuns). */
  runs: (read: Required<StartUpRead>) => AsyncGenerator<StartUpRun, void>;
  /** How each run is invoked (as the function `sweep`: the cost bench counts them). */
  invocation: <T>(functionName: string, run: () => Promise<T>) => Promise<T>;
  log: Logger;
  /** How often a read that failed is followed by another, and after what pauses. */
  retries?: StartRetries;
}): Promise<StartUpSweep> => {
  const stopping = new AbortController();
  const handedOn = new Set<string>();
  let runs: AsyncGenerator<StartUpRun, void> | undefined;
  // Again after a passing fault, from the start: a failed read ends its runs.
  const first = await retriedAtStart(
    'the start-up sweep',
    async () => {
      await runs?.return();
      runs = runsOf({ signal: stopping.signal, handedOn, again: false });
      return invocation('sweep', () => runs!.next());
    },
    log,
    retries,
  );
  let stream = runs!;
  if (first.done || first.value.done) {
    const total = first.value ? first.value.requeued + first.value.storedEvents : 0;
    if (total > 0) log.info('the start-up sweep has seen the whole near window', { handedOn: total, runs: 1 });
    await stream.return();
    handedOn.clear();
    return { goingOn: false, handedOn, stop: async () => {} };
  }

  const progress = { handedOn: first.value.requeued + first.value.storedEvents, runs: 1 };
  log.info('the start-up sweep goes on in the background, one run at a time', { ...progress });
  const state = { goingOn: true };
  const goingOn = (async () => {
    // Reads that failed, in all: each new one reads the index from the start again.
    let failures = 0;
    try {
      for (;;) {
        let next: IteratorResult<StartUpRun, void>;
        try {
          next = await invocation('sweep', () => stream.next());
        } catch (error) {
          failures += 1;
          // What it did not reach, the periodic runs find once past the grace.
          if (failures >= retries.tries) throw error;
          const pauseMs = Math.min(retries.maxPauseMs, retries.firstPauseMs * 2 ** (failures - 1));
          log.warn('the start-up sweep failed; it reads on from the start', {
            ...progress,
            attempt: failures,
            of: retries.tries,
            pauseMs,
            error: String(error),
          });
          await stream.return().catch(() => {});
          await pause(pauseMs, stopping.signal);
          stream = runsOf({ signal: stopping.signal, handedOn, again: true });
          continue;
        }
        if (next.done) {
          log.info('the start-up sweep stopped with the stack', { ...progress });
          return;
        }
        progress.runs += 1;
        progress.handedOn += next.value.requeued + next.value.storedEvents;
        if (next.value.done) {
          log.info('the start-up sweep has seen the whole near window', { ...progress });
          return;
        }
        log.info('the start-up sweep goes on', { ...progress });
      }
    } catch (error) {
      log.error('the start-up sweep failed; the periodic sweep goes on', { ...progress, error: String(error) });
    } finally {
      state.goingOn = false;
      await stream.return().catch(() => {});
      // No read left to leave anything alone: the ids (one a message handed on, 100,000 after a long
      // outage) are not kept for as long as the stack runs.
      handedOn.clear();
    }
  })();
  return {
    get goingOn() {
      return state.goingOn;
    },
    handedOn,
    async stop() {
      stopping.abort();
      await goingOn;
    },
  };
};

/** Waits `ms`, or less once `signal` is aborted (a stack stopping does not wait for a retry). */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
