/**
 * The local stack's start-up sweep. Its queue (the SQS emulator) keeps nothing over a stop, so at
 * start-up every message due within the near window is handed on again (`queueLost`), earliest
 * first. The start waits for one run's budget of it (a data dir of 100,000 overdue messages does not
 * hold `npm start` for minutes); the runs then go on in the background, one budget each, where the
 * last stopped, until the whole near window has been seen: a message due minutes after the restart
 * gets its ticket before it is due, not once a periodic run finds it overdue past the grace. The
 * periodic sweep waits meanwhile (what it would find, these runs hand on too, and it would only hand
 * the same messages on twice). On AWS the queues persist, and nothing of this runs.
 */
import type { Logger, StartUpRun } from '@vigil/core';
import { retriedAtStart } from './start-retries';

export interface StartUpSweep {
  /** Whether its runs still go on (the periodic sweep waits while they do). */
  readonly goingOn: boolean;
  /** Ends the runs once the page under way is handed on; resolves when they have written their last. */
  stop(): Promise<void>;
}

export const startUpSweep = async ({
  runs: runsOf,
  invocation,
  log,
}: {
  /** The runs (functions/engine/sweep.ts startUpSweepRuns), ended by `signal`. */
  runs: (signal: AbortSignal) => AsyncGenerator<StartUpRun, void>;
  /** How each run is invoked (as the function `sweep`: the cost bench counts them). */
  invocation: <T>(functionName: string, run: () => Promise<T>) => Promise<T>;
  log: Logger;
}): Promise<StartUpSweep> => {
  const stopping = new AbortController();
  let runs: AsyncGenerator<StartUpRun, void> | undefined;
  // Again after a passing fault (start-retries.ts), from the start: a failed read ends its runs.
  const first = await retriedAtStart(
    'the start-up sweep',
    async () => {
      await runs?.return();
      runs = runsOf(stopping.signal);
      return invocation('sweep', () => runs!.next());
    },
    log,
  );
  const stream = runs!;
  if (first.done || first.value.done) {
    const handedOn = first.value ? first.value.requeued + first.value.storedEvents : 0;
    if (handedOn > 0) log.info('the start-up sweep has seen the whole near window', { handedOn, runs: 1 });
    await stream.return();
    return { goingOn: false, stop: async () => {} };
  }

  const progress = { handedOn: first.value.requeued + first.value.storedEvents, runs: 1 };
  log.info('the start-up sweep goes on in the background, one run at a time', progress);
  const state = { goingOn: true };
  const goingOn = (async () => {
    try {
      for (;;) {
        const next = await invocation('sweep', () => stream.next());
        if (next.done) {
          log.info('the start-up sweep stopped with the stack', progress);
          return;
        }
        progress.runs += 1;
        progress.handedOn += next.value.requeued + next.value.storedEvents;
        if (next.value.done) {
          log.info('the start-up sweep has seen the whole near window', progress);
          return;
        }
        log.info('the start-up sweep goes on', progress);
      }
    } catch (error) {
      // What it did not reach, the periodic runs find once past the grace.
      log.error('the start-up sweep failed; the periodic sweep goes on', { ...progress, error: String(error) });
    } finally {
      state.goingOn = false;
      await stream.return().catch(() => {});
    }
  })();
  return {
    get goingOn() {
      return state.goingOn;
    },
    async stop() {
      stopping.abort();
      await goingOn;
    },
  };
};
