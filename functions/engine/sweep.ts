/**
 * The safety net, every minute on AWS: promote a recent far-path bucket its timer did not, re-enqueue
 * pending messages that are clearly overdue, and
 * queue again the step of a bulk job that has been idle for JOB_IDLE_MS (its step was lost).
 * `{ lookAheadS }` widens the look to everything due soon and every running job (the local stack
 * does this at start-up, because its queues do not survive a restart, in runs: startUpSweepRuns).
 */
import { runtime } from '@vigil/aws';
import { JOB_IDLE_MS } from '@vigil/aws/queue-settings';
import { bulkJobWiring } from '@vigil/aws/wiring/bulk-jobs';
import type { StartUpRead, StartUpRun } from '@vigil/core';
import { parseOrThrow, SWEEP_RUN_BUDGET_MS, startUpSweepRuns as sweepRuns, sweep, sweepOptionsFor } from '@vigil/core';
import { z } from 'zod';

const SweepInput = z
  .object({
    lookAheadS: z.number().min(0).max(900).optional(),
    // A shorter run budget than SWEEP_RUN_BUDGET_MS (the local stack's start-up, in tests).
    budgetMs: z.number().int().min(1).max(SWEEP_RUN_BUDGET_MS).optional(),
  })
  .loose();

/** The runtime's scheduling and the sweep's options for `look` (sweepOptionsFor, with the engine's grace). */
const sweepSetup = (look: { lookAheadS?: number | undefined; budgetMs?: number | undefined }) => {
  const { scheduling, config } = runtime();
  const options = sweepOptionsFor(look, { sweepGraceMs: config.engine.sweepGraceMs, jobIdleMs: JOB_IDLE_MS });
  return { scheduling, options };
};

export const handler = async (
  event: unknown,
): Promise<{ promoted: number; requeued: number; storedEvents: number; resumedJobs: number }> => {
  const { scheduling, options } = sweepSetup(parseOrThrow(SweepInput, event ?? {}));
  return sweep(scheduling, bulkJobWiring(), options);
};

/**
 * A periodic run of the local stack: the handler's run, ended between two pages by `signal` (the
 * stack stopping: nothing written after the stop). While its start-up sweep's runs go on in the
 * background, it does every part all the same (a missed bucket, an idle bulk job, what is overdue
 * past the grace, an event stored behind their read) and notes what it hands on in their read's
 * `startUpHandedOn`, so they leave it alone.
 */
export const localSweep = async ({
  startUpHandedOn,
  signal,
}: {
  startUpHandedOn?: Set<string> | undefined;
  signal: AbortSignal;
}): Promise<{ promoted: number; requeued: number; storedEvents: number; resumedJobs: number }> => {
  // Stopped before it began (it waited for its turn): nothing to do, and no runtime to ask for.
  if (signal.aborted) return { promoted: 0, requeued: 0, storedEvents: 0, resumedJobs: 0 };
  const { scheduling, options } = sweepSetup({});
  return sweep(scheduling, bulkJobWiring(), { ...options, ...(startUpHandedOn && { startUpHandedOn }), signal });
};

/**
 * The local stack's start-up sweep (no Lambda: on AWS the queues persist): `{ lookAheadS }`'s look,
 * in runs of one budget each that go on where the last stopped (core startUpSweepRuns), so the stack
 * serves after the first and hands on the rest of the near window in the background (`read`: core StartUpRead).
 */
export const startUpSweepRuns = (event: unknown, read: StartUpRead): AsyncGenerator<StartUpRun, void> => {
  const { scheduling, options } = sweepSetup(parseOrThrow(SweepInput.required({ lookAheadS: true }), event ?? {}));
  return sweepRuns(scheduling, bulkJobWiring(), options, read);
};
