/**
 * The engine's sweep (every minute on AWS, every few seconds and at start-up locally): its safety
 * nets, each run whatever the others did. A periodic run first promotes any recent far-path bucket
 * its timer did not (promoteMissedBuckets: those messages are not due yet, so they still go out on
 * time), then re-enqueues what is overdue, then resumes idle bulk jobs. A store in trouble for the
 * messages' pending index (a bad day's throttling) must not keep a bulk job's lost step from being
 * queued again, nor the reverse; the first failure is thrown once all have run, so the run still
 * reports it.
 */
import type { BulkJobDeps } from './bulk-jobs';
import { resumeIdleJobs } from './bulk-jobs';
import type { SchedulingDeps } from './deps';
import { promoteMissedBuckets } from './promote-bucket';
import { pendingRuns, sweepPending } from './sweep-pending';

/**
 * How long a periodic run (every minute on AWS; its timeout 120 s) goes on handing overdue messages
 * on before it leaves the rest to the next run: it ends inside its minute, so runs do not pile up on
 * a pending index of a hundred thousand overdue entries, and far inside its timeout, so it is never
 * stopped between a page's deferral and that page's enqueue (which hid the page a flight allowance).
 */
export const SWEEP_RUN_BUDGET_MS = 40_000;

export interface SweepOptions {
  /** How far to look for messages (sweepPending's horizon). */
  horizonMs: number;
  /** How long the run may hand messages on (SWEEP_RUN_BUDGET_MS); none, to the end. */
  budgetMs?: number;
  /** The local stack's start-up: its queues did not survive, so nothing is in flight. */
  queueLost: boolean;
  /** How long a running bulk job waits for its step before it is queued again. */
  jobIdleMs: number;
  /**
   * A periodic run while the local stack's start-up read goes on: its set of what it handed on, where
   * this run notes what it hands on (sweep-pending.ts `noteIn`), so that read leaves it alone.
   */
  startUpHandedOn?: Set<string>;
  /** Aborted (the local stack stopping), the run hands on no further page and starts no further part. */
  signal?: AbortSignal;
}

/**
 * What a sweep run looks at: a periodic run (no look-ahead) re-enqueues messages overdue by the
 * sweep's grace and requeues bulk jobs idle for `jobIdleMs`; a run that looks ahead is a start-up
 * whose queues did not survive (the local stack), so it takes everything due within the look-ahead
 * and every running job, none of it in flight. Either hands messages on for SWEEP_RUN_BUDGET_MS
 * (or the `budgetMs` asked, shorter in tests): a start-up on a data dir of a hundred thousand
 * overdue messages starts serving after one run's budget, and goes on with the rest in further runs
 * (startUpSweepRuns).
 */
export const sweepOptionsFor = (
  { lookAheadS, budgetMs = SWEEP_RUN_BUDGET_MS }: { lookAheadS?: number | undefined; budgetMs?: number | undefined },
  { sweepGraceMs, jobIdleMs }: { sweepGraceMs: number; jobIdleMs: number },
): SweepOptions =>
  lookAheadS === undefined
    ? { horizonMs: -sweepGraceMs, queueLost: false, jobIdleMs, budgetMs }
    : { horizonMs: lookAheadS * 1000, queueLost: true, jobIdleMs: 0, budgetMs };

const settled = <T>(run: () => Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  run().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

export const sweep = async (
  messages: SchedulingDeps,
  jobs: BulkJobDeps,
  { horizonMs, queueLost, jobIdleMs, budgetMs, startUpHandedOn, signal }: SweepOptions,
): Promise<{ promoted: number; requeued: number; storedEvents: number; resumedJobs: number }> => {
  // A start-up that lost its queues re-enqueues everything due within the near window anyway.
  const buckets = await settled(() =>
    queueLost || signal?.aborted ? Promise.resolve({ promoted: 0 }) : promoteMissedBuckets(messages),
  );
  const pending = await settled(() =>
    sweepPending(messages, horizonMs, {
      queueLost,
      ...(budgetMs !== undefined && { budgetMs }),
      ...(startUpHandedOn && { noteIn: startUpHandedOn }),
      ...(signal && { signal }),
    }),
  );
  const resumed = await settled(() =>
    signal?.aborted
      ? Promise.resolve({ resumed: 0, givenUp: 0 })
      : resumeIdleJobs(jobs, jobIdleMs, { revive: queueLost }),
  );
  if ('error' in buckets) throw buckets.error;
  if ('error' in pending) throw pending.error;
  if ('error' in resumed) throw resumed.error;
  const { requeued, storedEvents } = pending.value;
  return { promoted: buckets.value.promoted, requeued, storedEvents, resumedJobs: resumed.value.resumed };
};

/** One run of the local stack's start-up sweep: what it handed on, and whether that was the last. */
export interface StartUpRun {
  requeued: number;
  storedEvents: number;
  /** Bulk jobs revived (the first run only). */
  resumedJobs: number;
  /** The whole look-ahead has been seen. */
  done: boolean;
}

/** How a start-up sweep's read goes: stopped by `signal`; taking over from a failed one (`again`). */
export interface StartUpRead {
  signal?: AbortSignal;
  /** The messages this start-up's reads handed on (kept across them: one found again is left alone). */
  handedOn?: Set<string>;
  /** A read after a failed one: the jobs were revived by the first. */
  again?: boolean;
}

/**
 * The local stack's start-up sweep (its queues did not survive the stop), in runs: the first revives
 * every running bulk job and hands on, for one budget, the messages due within the look-ahead
 * (`options`, sweepOptionsFor with a look-ahead), earliest first; each further run goes on where the
 * last stopped, in the same read of the pending index, for one budget more, until one has seen the
 * whole look-ahead (`done`). Aborting `signal` ends them once the page under way is handed on (no
 * last `done`); `return()` lets go of the index. On AWS the queues persist: nothing runs this.
 */
export async function* startUpSweepRuns(
  messages: SchedulingDeps,
  jobs: BulkJobDeps,
  { horizonMs, budgetMs, jobIdleMs }: SweepOptions,
  { signal, handedOn, again = false }: StartUpRead = {},
): AsyncGenerator<StartUpRun, void> {
  const runs = pendingRuns(messages, horizonMs, {
    queueLost: true,
    ...(budgetMs !== undefined && { budgetMs }),
    ...(signal && { signal }),
    ...(handedOn && { handedOn }),
  });
  try {
    const first = await settled(() => runs.next());
    const resumed = await settled(() =>
      again ? Promise.resolve({ resumed: 0 }) : resumeIdleJobs(jobs, jobIdleMs, { revive: true }),
    );
    if ('error' in first) throw first.error;
    if ('error' in resumed) throw resumed.error;
    let resumedJobs = resumed.value.resumed;
    // Until the runs end: at the one that has seen the whole look-ahead, or aborted (no value).
    for (let next = first.value; !next.done; next = await runs.next()) {
      yield { ...next.value, resumedJobs };
      if (next.value.done) return;
      resumedJobs = 0;
    }
  } finally {
    await runs.return();
  }
}
