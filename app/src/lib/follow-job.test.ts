/** A bulk job's progress on the Messages list: followed to its end, through reads Vigil refused. */
import { describe, expect, it } from 'vitest';
import { followJob } from './follow-job';
import type { ActionFailure, ActionResult, BulkJob } from './types';

const job = (state: BulkJob['state'], done: number): BulkJob =>
  ({
    id: 'job_1',
    action: 'redeliver',
    state,
    total: 3,
    counts: { done, skipped: 0, failed: 0 },
  }) as BulkJob;

const RATE_LIMITED: ActionFailure = {
  ok: false,
  error: "Your plan's request rate was reached. … Try again in 1 second.",
};

/** Follows `initial` with reads answered in turn by `answers`; what was shown, in order. */
const follow = async (
  initial: BulkJob,
  answers: Array<ActionResult<BulkJob> | Error>,
  signal = new AbortController().signal,
) => {
  const shown: string[] = [];
  let reads = 0;
  await followJob(initial, {
    read: async () => {
      const answer = answers[reads++];
      if (answer === undefined) throw new Error('read past the end');
      if (answer instanceof Error) throw answer;
      return answer;
    },
    onJob: (next) => shown.push(`${next.state} ${next.counts.done}`),
    onError: (failure) => shown.push(`error: ${failure.error}`),
    pollMs: 1_000,
    signal,
    sleep: async () => {},
  });
  return { shown, reads };
};

describe("a bulk job's progress", () => {
  it('goes on after a read refused over the rate, and after one the console did not answer, to the job’s end', async () => {
    const { shown, reads } = await follow(job('running', 0), [
      { ok: true, data: job('running', 1) },
      RATE_LIMITED,
      new TypeError('fetch failed'),
      { ok: true, data: job('done', 3) },
    ]);

    expect(shown).toEqual([
      'running 1',
      `error: ${RATE_LIMITED.error}`,
      'error: The console did not answer; its progress is read again in a moment.',
      'done 3',
    ]);
    expect(reads).toBe(4);
  });

  it('reads nothing for a job that has ended, and stops when no longer followed', async () => {
    expect((await follow(job('done', 3), [])).reads).toBe(0);
    const stopped = new AbortController();
    stopped.abort();
    expect((await follow(job('running', 0), [], stopped.signal)).reads).toBe(0);
  });
});
