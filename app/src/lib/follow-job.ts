/**
 * How the Messages list follows a bulk job it started: read again every second until it ends. A
 * read refused or unanswered (Vigil busy, the plan's rate reached) is shown and the next poll reads
 * again: the job runs on in Vigil meanwhile, so its progress must not stop at one failed read.
 */
import type { ActionFailure, ActionResult, BulkJob } from './types';

export interface FollowJobOptions {
  read: (id: string) => Promise<ActionResult<BulkJob>>;
  /** Each state read, the last one ended. */
  onJob: (job: BulkJob) => void;
  /** A read that failed, to show until the next one succeeds. */
  onError: (failure: ActionFailure) => void;
  pollMs: number;
  /** Stops following (the list left, or another job followed). */
  signal: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads `job` every `pollMs` while it runs; resolves once it has ended (or following stopped). */
export const followJob = async (
  job: BulkJob,
  { read, onJob, onError, pollMs, signal, sleep = pause }: FollowJobOptions,
): Promise<void> => {
  let current = job;
  while (current.state === 'running') {
    await sleep(pollMs);
    if (signal.aborted) return;
    // The console's own server out of reach (the action's request failed) is a failed read too.
    const result = await read(current.id).catch((): ActionFailure => ({
      ok: false,
      error: 'The console did not answer; its progress is read again in a moment.',
    }));
    if (signal.aborted) return;
    if (result.ok) {
      current = result.data;
      onJob(current);
    } else {
      onError(result);
    }
  }
};
