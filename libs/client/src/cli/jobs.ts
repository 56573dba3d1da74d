/**
 * Bulk jobs at the command line: `vigil cancel` / `vigil redeliver` with filter flags start one
 * (`POST /v1/messages/cancel|redeliver`) and follow it until it ends; `vigil jobs` lists them
 * (`GET /v1/jobs`), `vigil jobs show` prints one.
 */
import { VigilRateLimitError } from '../errors';
import type { Api, BulkJob, CallOptions, Message, MessageFilter } from './api';
import { CliError, EXIT, usageError } from './exit-codes';
import { filterFlags } from './filter';
import { JOB_ID, MESSAGE_ID } from './ids';
import { listMessages } from './messages';
import { formatDuration } from './duration';
import { RETRY_MAX_MESSAGES } from './retry';
import type { Output } from './output';
import { relativeText, table, timeText, truncate, visibleLength } from './output';
import { sleep } from './sleep';

export type BulkAction = BulkJob['action'];

/**
 * What each action applies to (the API's rule, the core's BULK_ACTION_STATUSES, which the client
 * cannot import; contract/cli-rules.test.ts holds this copy to it): a filter without `--status`
 * takes these.
 */
export const ACTION_STATUSES: Readonly<Record<BulkAction, MessageFilter['status']>> = {
  cancel: ['scheduled', 'queued', 'retrying'],
  redeliver: ['delivered', 'failed'],
};

/** What a message counted as `done` went through, by action. */
const DONE_WORD: Readonly<Record<BulkAction, string>> = { cancel: 'cancelled', redeliver: 'redelivered' };

/** How often a followed job is read. */
export const FOLLOW_INTERVAL_MS = 1_000;
/**
 * How long a followed job may make no progress before the CLI stops following it: the API's own
 * stall window (a job without progress for 15 minutes is given up), so the CLI never waits forever.
 */
export const FOLLOW_STALL_MS = 15 * 60_000;

/** Checks an id looks like a job's before calling: a typo is a usage error, not a 404 (a message's says where it goes). */
export const checkJobId = (id: string) => {
  if (JOB_ID.test(id)) return;
  if (MESSAGE_ID.test(id)) {
    throw usageError(`${id} is a message id, not a job id`, `see the message with vigil show ${id}`);
  }
  throw usageError(
    `"${id}" is not a job id (job_ and 26 capital letters and digits)`,
    'vigil cancel and vigil redeliver print it',
  );
};

/** `12 cancelled, 3 skipped, 0 failed (of 15)`. */
export const countsText = (job: BulkJob): string => {
  const { done, skipped, failed } = job.counts;
  const of = job.total === null ? '' : ` (of ${job.total})`;
  return `${done} ${DONE_WORD[job.action]}, ${skipped} skipped, ${failed} failed${of}`;
};

/** What the job selects: `12 ids`, or its filter as the flags that give it (`--status scheduled --label billing`). */
const selectionText = (job: BulkJob): string =>
  'ids' in job.selection ? `${job.selection.ids} ids` : filterFlags(job.selection.filter).join(' ');

/** A job's state in its colour: green done, red failed, cyan running. */
const stateText = (state: BulkJob['state'], color: Output['color']): string =>
  state === 'done' ? color.green(state) : state === 'failed' ? color.red(state) : color.cyan(state);

/** How a job ended, in one line: `job_...  done  12 cancelled, 3 skipped, 0 failed (of 15)`, and why it stopped. */
export const jobLine = (job: BulkJob, color: Output['color']): string =>
  `${job.id}  ${stateText(job.state, color)}  ${countsText(job)}${job.stopReason ? `: ${job.stopReason.detail}` : ''}`;

/** A job for people (or its object with --json). */
export const printJob = (output: Output, job: BulkJob) => {
  if (output.json) return output.data(job);
  const { color } = output;
  output.line(`${color.bold(job.id)}  ${stateText(job.state, color)}`);
  const fields: Array<[string, string]> = [
    ['action', job.action],
    ['selects', selectionText(job)],
    ['counts', countsText(job)],
    ['created', timeText(job.createdAt)],
    ['updated', timeText(job.updatedAt)],
  ];
  if (job.finishedAt) fields.push(['finished', timeText(job.finishedAt)]);
  if (job.stopReason) fields.push(['stopped', `${job.stopReason.code}: ${job.stopReason.detail}`]);
  for (const [name, value] of fields) output.line(`  ${color.dim(name.padEnd(9))}${value}`);
};

/** `12/3/0 of 15`: done, skipped and failed, and the total once known. */
const countsCell = (job: BulkJob): string => {
  const { done, skipped, failed } = job.counts;
  return `${done}/${skipped}/${failed}${job.total === null ? '' : ` of ${job.total}`}`;
};

/**
 * The tenant's jobs as a table (or their objects with --json): id, action, state, counts, when it
 * started (`3m ago` on a terminal, the instant when piped) and what it selects. Where the terminal
 * is too narrow for the selection beside the rest (a job id alone takes 30 of 80 columns), it goes
 * on a line of its own under its job, cut to the width.
 */
export const printJobs = (output: Output, jobs: BulkJob[], now: number) => {
  if (output.json) return output.data(jobs);
  if (jobs.length === 0) return output.line('No jobs.');
  const { color } = output;
  const header = ['ID', 'ACTION', 'STATE', 'DONE/SKIP/FAIL', 'CREATED', 'SELECTS'];
  const rows = jobs.map((job) => [
    job.id,
    job.action,
    stateText(job.state, color),
    countsCell(job),
    output.width === undefined ? timeText(job.createdAt) : relativeText(job.createdAt, now, formatDuration),
    selectionText(job),
  ]);
  const lines = table(header, rows, color);
  if (output.width === undefined || lines.every((line) => visibleLength(line) <= output.width!)) {
    for (const line of lines) output.line(line);
    return;
  }
  const [head, ...body] = table(
    header.slice(0, -1),
    rows.map((row) => row.slice(0, -1)),
    color,
  );
  output.line(head);
  body.forEach((line, i) => {
    output.line(line);
    output.line(color.dim(`  ${truncate(rows[i]![5]!, output.width! - 2)}`));
  });
};

/** How a followed job's end sets the exit code: 0 when it reached every message without a failure. */
export const jobExitCode = (job: BulkJob): number => {
  if (job.state === 'failed') return job.stopReason?.code === 'quota-exceeded' ? EXIT.limited : EXIT.failure;
  return job.counts.failed > 0 ? EXIT.failure : EXIT.ok;
};

export interface FollowOptions {
  signal: AbortSignal;
  now: () => number;
  intervalMs?: number;
}

/**
 * Reads `job` until it ends, noting its counts on stderr while they change; resolves with its final
 * state. Stops following (a CliError naming the job, so it can be followed with `vigil jobs show`)
 * when interrupted or when it made no progress for FOLLOW_STALL_MS. A read that fails for a moment
 * (the SDK has retried it already) is noted and tried again on the next round.
 */
export const followJob = async (api: Api, output: Output, job: BulkJob, options: FollowOptions): Promise<BulkJob> => {
  const follow = `follow it with vigil jobs show ${job.id}`;
  let current = job;
  let shown = '';
  let movedAt = options.now();
  /** The last failed read's note (the same one read after read is said once), and a 429's asked wait. */
  let failing: string | undefined;
  let asked = 0;
  for (;;) {
    if (current.state !== 'running') return current;
    const progress = countsText(current);
    if (progress !== shown) {
      if (!output.json) output.note(`${current.id}  running  ${progress}`);
      shown = progress;
      movedAt = options.now();
    }
    if (options.now() - movedAt >= FOLLOW_STALL_MS) {
      throw new CliError(
        `${job.id} made no progress for ${FOLLOW_STALL_MS / 60_000} minutes; stopped following it`,
        EXIT.failure,
        follow,
      );
    }
    // A 429's Retry-After is waited out: reading on every second would only be refused again.
    await sleep(Math.max(options.intervalMs ?? FOLLOW_INTERVAL_MS, asked), options.signal);
    if (options.signal.aborted) throw new CliError(`stopped following ${job.id}; it goes on`, EXIT.interrupted, follow);
    try {
      current = await api.jobs.get(job.id, { signal: options.signal });
      failing = undefined;
      asked = 0;
    } catch (error) {
      if (options.signal.aborted) continue;
      const status = (error as { status?: number }).status;
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) throw error;
      asked = error instanceof VigilRateLimitError && error.retryAfter ? error.retryAfter * 1000 : 0;
      const note = `vigil: could not read ${job.id} (${(error as Error).message}); trying again${asked > 0 ? ` in ${formatDuration(asked)}` : ''}`;
      if (note !== failing) output.note(note);
      failing = note;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Dry runs
// ---------------------------------------------------------------------------------------------

/** The most messages a dry run counts; past it, it says "10,000 or more": as many as one vigil retry takes. */
export const DRY_RUN_MAX = RETRY_MAX_MESSAGES;
/**
 * The most listing pages a dry run reads: a filter few messages match is answered with pages of
 * few (the API reads at most 1,000 stored messages a page), so a count is not left to run for minutes.
 */
export const DRY_RUN_MAX_REQUESTS = 500;
/** The messages a dry run shows. */
export const DRY_RUN_SHOWN = 5;

export interface DryRun {
  /** Messages the filter selects now, up to DRY_RUN_MAX. */
  count: number;
  /** Whether more than DRY_RUN_MAX match. */
  more: boolean;
  /** Whether it stopped at DRY_RUN_MAX_REQUESTS pages before the listing ended: `count` is then a floor. */
  partial: boolean;
  /** The newest few of them. */
  shown: Message[];
}

/**
 * Counts what `filter` selects now through the listing (`GET /v1/messages`, the query a bulk job
 * pages through, and the one vigil retry lists), changing nothing: `vigil ls`'s own reading of a
 * filter (listMessages), one past DRY_RUN_MAX to tell "exactly 10,000" from "more", in at most
 * DRY_RUN_MAX_REQUESTS pages.
 */
export const countSelected = async (api: Api, filter: MessageFilter, call?: CallOptions): Promise<DryRun> => {
  const list = await listMessages(api, filter, DRY_RUN_MAX + 1, { call, maxRequests: DRY_RUN_MAX_REQUESTS });
  const more = list.items.length > DRY_RUN_MAX;
  return {
    count: Math.min(list.items.length, DRY_RUN_MAX),
    more,
    partial: list.stopped,
    shown: list.items.slice(0, DRY_RUN_SHOWN),
  };
};

/** `1,234 messages`, `10,000 or more messages`, `at least 40 messages`. */
export const dryRunCountText = (run: DryRun): string => {
  const n = run.count.toLocaleString('en-US');
  const word = run.count === 1 && !run.more ? 'message' : 'messages';
  return run.more ? `${n} or more ${word}` : run.partial ? `at least ${n} ${word}` : `${n} ${word}`;
};
