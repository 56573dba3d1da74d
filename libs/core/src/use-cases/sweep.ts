/**
 * The engine's sweep (every minute on AWS, every few seconds and at start-up locally): both safety
 * nets, each run whatever the other did. A store in trouble for the messages' pending index (a bad
 * day's throttling) must not keep a bulk job's lost step from being queued again, nor the reverse;
 * the first failure is thrown once both have run, so the run still reports it.
 */
import type { BulkJobDeps } from './bulk-jobs';
import { resumeIdleJobs } from './bulk-jobs';
import type { SchedulingDeps } from './deps';
import { sweepPending } from './sweep-pending';

export interface SweepOptions {
  /** How far to look for messages (sweepPending's horizon). */
  horizonMs: number;
  /** The local stack's start-up: its queues did not survive, so nothing is in flight. */
  queueLost: boolean;
  /** How long a running bulk job waits for its step before it is queued again. */
  jobIdleMs: number;
}

const settled = <T>(run: () => Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  run().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

export const sweep = async (
  messages: SchedulingDeps,
  jobs: BulkJobDeps,
  { horizonMs, queueLost, jobIdleMs }: SweepOptions,
): Promise<{ requeued: number; resumedJobs: number }> => {
  const pending = await settled(() => sweepPending(messages, horizonMs, { queueLost }));
  const resumed = await settled(() => resumeIdleJobs(jobs, jobIdleMs, { revive: queueLost }));
  if ('error' in pending) throw pending.error;
  if ('error' in resumed) throw resumed.error;
  return { requeued: pending.value.requeued, resumedJobs: resumed.value.resumed };
};
