/**
 * Bulk jobs: cancel or redeliver many messages at once, chosen by ids or by a filter, run by the
 * engine a page at a time (use-cases/bulk-jobs.ts). This file holds the model and its pure rules:
 * bounds, which statuses an action applies to, how a job's progress moves and how it is shown.
 */
import { monotonicFactory } from 'ulid';
import { idRandom } from './ids';
import { createHash } from 'node:crypto';
import { allowedCommands } from './lifecycle';
import type { MessageStatus } from './message';
import { MESSAGE_STATUSES } from './message';
import { canonicalJson } from './request-fingerprint';
import type { MessageFilter, MessageFilterOut } from './message-filter';
import { toMessageFilterOut } from './message-filter';

export const BULK_ACTIONS = ['cancel', 'redeliver'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The statuses whose messages `action` may act on, in the order MESSAGE_STATUSES lists them. */
const statusesFor = (action: BulkAction): readonly MessageStatus[] =>
  MESSAGE_STATUSES.filter((status) => allowedCommands({ status }).includes(action));

/**
 * The statuses each action applies to, as a filter names them: those whose messages the
 * single-message rule (allowedCommands, lifecycle.ts) lets the command act on. A status is all a
 * filter says, so `delivering` is not one of cancel's, though the one message of it that waits for
 * its flow key's turn may be cancelled (by its id).
 */
export const BULK_ACTION_STATUSES: Readonly<Record<BulkAction, readonly MessageStatus[]>> = {
  cancel: statusesFor('cancel'),
  redeliver: statusesFor('redeliver'),
};

/** Ids one job may name. */
export const MAX_BULK_IDS = 1_000;
/** Jobs one tenant may have running at once; a further one is refused (429) until one ends. */
export const MAX_RUNNING_JOBS = 3;
/** Messages one step of a job handles (one list page); a step then hands on to the next. */
export const BULK_PAGE = 100;
/** Messages of a step handled at once. */
export const BULK_CONCURRENCY = 10;
/**
 * A running job whose progress has not moved for this long is given up (`failed`, reason
 * `stalled`) by the sweep, or when its tenant next starts a job, freeing its place: its steps died,
 * and the ones the sweep queued again died too (a step takes seconds; the queue retries one a few
 * times, then parks it).
 */
export const BULK_STALL_MS = 15 * 60_000;
/** How long a finished job can still be read. */
export const BULK_JOB_RETENTION_MS = 7 * 86_400_000;

export const JOB_ID_PATTERN = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;
const nextUlid = monotonicFactory(idRandom);
export const newJobId = (nowMs: number): string => `job_${nextUlid(nowMs)}`;

export const BULK_JOB_STATES = ['running', 'done', 'failed'] as const;
export type BulkJobState = (typeof BULK_JOB_STATES)[number];

/** The messages a job acts on: named ones, or those a filter selects when the job reaches them. */
export type BulkSelection = { ids: string[] } | { filter: MessageFilter };

/** What happened to each message a job reached. */
export interface BulkCounts {
  /** Cancelled, or redelivered. */
  done: number;
  /** Left as they were: already cancelled, in a state the action does not apply to, gone, or done by an earlier run. */
  skipped: number;
  /** The action failed for them (a conflict that outlasted its retries, a store error). */
  failed: number;
}

export const BULK_STOP_CODES = ['quota-exceeded', 'stalled'] as const;
export type BulkStopCode = (typeof BULK_STOP_CODES)[number];

export interface BulkJob {
  id: string;
  tenantId: string;
  action: BulkAction;
  selection: BulkSelection;
  /** Names the selection (action and what it selects): a run of the same one skips what another did while both ran. */
  selectionKey: string;
  /** The plan of the caller that started it (a cancelled message's retention). */
  plan: string;
  state: BulkJobState;
  counts: BulkCounts;
  /** Messages the job covers: the ids' count, or for a filter, known once it has run through. */
  total?: number;
  /** The step to run next (each step handles one page and hands on to the next). */
  step: number;
  /** Where the next step starts: an offset into `ids`, or the listing's cursor. Absent at the start. */
  cursor?: string;
  /**
   * The page the current step acts on, stored before it acts on any of it: a step that dies midway
   * is run again on the same messages (a filter's listing no longer selects those it changed), and
   * of two runs of one step only the one that stored the page acts.
   */
  page?: BulkPage;
  createdAt: number;
  updatedAt: number;
  /**
   * When the sweep last queued the job's step again (resumeIdleJobs): it counts as idle from the
   * later of this and `updatedAt`, so a step still waiting in a backlogged queue is not queued again
   * every sweep. Progress and the stall time still count from `updatedAt`.
   */
  resumedAt?: number;
  /**
   * When a start-up that lost the job's queued step (the local stack's: its queues do not survive a
   * restart) queued it again: the stall time counts from the later of this and `updatedAt`, so the
   * hours a stopped stack was down are not the job's stall. Ordinary resumes do not move it.
   */
  revivedAt?: number;
  finishedAt?: number;
  /** Why a job ended `failed`. */
  stopReason?: { code: BulkStopCode; detail: string };
  /** When a finished job expires (epoch ms). */
  expiresAt?: number;
}

/** One step's messages, and where the page after them starts (none: this is the last). */
export interface BulkPage {
  ids: string[];
  cursor?: string;
}

/** One page of a tenant's jobs, newest first; `next`: the job id the next page starts after. */
export interface BulkJobListPage {
  jobs: BulkJob[];
  next?: string;
}

/** What the engine's job queue carries: run step `step` of a job. */
export interface BulkJobStepRef {
  tenantId: string;
  jobId: string;
  step: number;
}

/** A selection as a set: its ids, or its filter's statuses, sorted and each once. */
const canonicalSelection = (selection: BulkSelection): BulkSelection => {
  const sortedOnce = (values: readonly string[]) => [...new Set(values)].sort();
  if ('ids' in selection) return { ids: sortedOnce(selection.ids) };
  const { status, ...rest } = selection.filter;
  return { filter: { ...rest, ...(status !== undefined && { status: sortedOnce(status) as typeof status }) } };
};

/**
 * `sel_<sha256>` of the action and the selection: the same request names the same selection, and
 * so does one that lists the same ids or statuses in another order.
 */
export const selectionKeyOf = (action: BulkAction, selection: BulkSelection): string =>
  `sel_${createHash('sha256')
    .update(canonicalJson({ action, selection: canonicalSelection(selection) }))
    .digest('hex')
    .slice(0, 32)}`;

export const newBulkJob = (
  input: { id: string; tenantId: string; action: BulkAction; selection: BulkSelection; plan: string },
  now: number,
): BulkJob => ({
  ...input,
  selectionKey: selectionKeyOf(input.action, input.selection),
  state: 'running',
  counts: { done: 0, skipped: 0, failed: 0 },
  ...('ids' in input.selection && { total: input.selection.ids.length }),
  step: 0,
  createdAt: now,
  updatedAt: now,
});

export const addCounts = (a: BulkCounts, b: BulkCounts): BulkCounts => ({
  done: a.done + b.done,
  skipped: a.skipped + b.skipped,
  failed: a.failed + b.failed,
});

/** The job once it stopped for good: finished now, kept for BULK_JOB_RETENTION_MS. */
export const finishJob = (job: BulkJob, now: number, stop?: BulkJob['stopReason']): BulkJob => {
  const counted = job.counts.done + job.counts.skipped + job.counts.failed;
  return {
    ...job,
    state: stop ? 'failed' : 'done',
    // A filter's total is known once the job went through all it selects.
    ...(!stop && job.total === undefined && { total: counted }),
    ...(stop && { stopReason: stop }),
    updatedAt: now,
    finishedAt: now,
    expiresAt: now + BULK_JOB_RETENTION_MS,
  };
};

/** Since when a running job has waited for its step: its last write, or the sweep's last resume of it. */
export const idleSince = (job: Pick<BulkJob, 'updatedAt' | 'resumedAt'>): number =>
  Math.max(job.updatedAt, job.resumedAt ?? 0);

/** A running job that has not moved for BULK_STALL_MS (since its last progress, or a start-up that revived it). */
export const isStalled = (job: BulkJob, now: number): boolean =>
  job.state === 'running' && now - Math.max(job.updatedAt, job.revivedAt ?? 0) > BULK_STALL_MS;

/** `BulkJobOut` in openapi.yaml. */
export interface BulkJobOut {
  id: string;
  action: BulkAction;
  state: BulkJobState;
  /** For an ids job, how many ids it names; for a filter job, the filter as given. */
  selection: { ids: number } | { filter: MessageFilterOut };
  counts: BulkCounts;
  total: number | null;
  stopReason?: { code: BulkStopCode; detail: string };
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export const toBulkJobOut = (job: BulkJob): BulkJobOut => ({
  id: job.id,
  action: job.action,
  state: job.state,
  selection:
    'ids' in job.selection ? { ids: job.selection.ids.length } : { filter: toMessageFilterOut(job.selection.filter) },
  counts: job.counts,
  total: job.total ?? null,
  ...(job.stopReason && { stopReason: job.stopReason }),
  createdAt: iso(job.createdAt),
  updatedAt: iso(job.updatedAt),
  finishedAt: job.finishedAt === undefined ? null : iso(job.finishedAt),
});
