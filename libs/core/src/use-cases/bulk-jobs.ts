/**
 * Bulk cancel and redeliver as jobs (bulk-jobs.ts holds the model and its rules).
 *
 * Starting one (`startBulkJob`) checks the selection, takes one of the tenant's MAX_RUNNING_JOBS
 * places, stores the job and queues its first step; an Idempotency-Key is honoured as for creates.
 * The engine then runs it a step at a time (`runBulkJobStep`): a step reads one page of ids (a slice
 * of `ids`, or one page of the listing the filter selects), applies the single-message command to
 * each (cancelMessageOutcome, redeliverMessage: their rules, quota and metering, nothing copied),
 * saves the progress conditionally on the step number and queues the next step with the cursor. So
 * no invocation runs long, a step delivered twice runs once, and a job picks up where it stopped.
 *
 * Counts are exact across a step that dies midway (a crash, a throw after some writes) and is run
 * again: the step stores its page before acting (`choosePage`), so the re-run acts on the same
 * messages even when the filter no longer selects those already changed; and a message changed by
 * this job in the run that died carries the job's mark (`cancelledBy`, `redeliveredBy`), so it is
 * counted `done` again, not `skipped`, and the progress saved once counts each message once.
 */
import type { BulkAction, BulkCounts, BulkJob, BulkJobStepRef, BulkPage, BulkSelection } from '../bulk-jobs';
import {
  addCounts,
  BULK_ACTION_STATUSES,
  BULK_CONCURRENCY,
  BULK_PAGE,
  BULK_STALL_MS,
  finishJob,
  idleSince,
  isStalled,
  JOB_ID_PATTERN,
  MAX_RUNNING_JOBS,
  newBulkJob,
  newJobId,
} from '../bulk-jobs';
import {
  BulkJobNotFoundError,
  ConcurrentChangeError,
  MessageNotFoundError,
  MessageStateConflictError,
  TooManyRunningJobsError,
  ValidationError,
} from '../errors';
import type { BulkJobQueue, BulkJobStore } from '../ports';
import { requestFingerprint } from '../request-fingerprint';
import type { BulkJobIn, BulkJobListQuery } from '../schemas';
import { QuotaExceededError } from '../usage';
import { cursorFields, encodeCursorFields, invalidCursor } from '../message-filter';
import type { SchedulingDeps } from './deps';
import { runIdempotently } from './idempotent-request';
import { cancelMessageOutcome, redeliverMessage, sendDueAgain } from './manage-message';

/** What running bulk jobs needs: the message commands' deps, the jobs and the engine's job queue. */
export interface BulkJobDeps extends SchedulingDeps {
  jobs: BulkJobStore;
  jobQueue: BulkJobQueue;
}

/** The routes whose requests are fingerprinted for their Idempotency-Key. */
const BULK_ROUTE: Record<BulkAction, string> = {
  cancel: 'POST /v1/messages/cancel',
  redeliver: 'POST /v1/messages/redeliver',
};

/** A place taken this recently by a job not stored yet is its starter's, still writing it. */
const PLACE_TAKING_MS = 60_000;
/** Tries at the running-job record before a start is answered with a conflict. */
const PLACE_TRIES = 5;
/** A refused start is told to try again in this many seconds (a step takes seconds). */
const RETRY_AFTER_S = 10;

/** The selection as the job keeps it; a filter must name a status the action applies to (422 otherwise). */
export const bulkSelectionOf = (action: BulkAction, input: BulkJobIn): BulkSelection => {
  if (input.ids !== undefined) return { ids: input.ids };
  const filter = input.filter ?? {};
  const applies = BULK_ACTION_STATUSES[action];
  if (filter.status === undefined || filter.status.length === 0) {
    throw ValidationError.single(
      'filter.status',
      `give the status of the messages to ${action}: ${applies.join(', ')}`,
    );
  }
  const refused = filter.status.filter((status) => !applies.includes(status));
  if (refused.length > 0) {
    throw ValidationError.single(
      'filter.status',
      `${action} applies to ${applies.join(', ')} messages only, not to ${refused.join(', ')} ones`,
    );
  }
  return { filter };
};

/** A page of `GET /v1/jobs`: the jobs, and the cursor of the next (older) page. */
export interface BulkJobList {
  items: BulkJob[];
  nextCursor?: string;
}

/** A job-list cursor as the API hands it out: opaque, URL-safe; it names the job the next page starts after. */
const encodeJobCursor = (jobId: string): string => encodeCursorFields({ j: jobId });

const decodeJobCursor = (cursor: string): string => {
  const v = cursorFields(cursor);
  if (Object.keys(v).length !== 1 || typeof v.j !== 'string' || !JOB_ID_PATTERN.test(v.j)) throw invalidCursor();
  return v.j;
};

/** The tenant's bulk jobs, newest first, a page at a time (`GET /v1/jobs`): a Query of its own partition. */
export const listBulkJobs = async (
  jobs: BulkJobStore,
  tenantId: string,
  query: BulkJobListQuery,
): Promise<BulkJobList> => {
  const page = await jobs.listJobs(tenantId, {
    limit: query.limit,
    ...(query.state !== undefined && { states: query.state }),
    ...(query.cursor !== undefined && { after: decodeJobCursor(query.cursor) }),
  });
  return { items: page.jobs, ...(page.next !== undefined && { nextCursor: encodeJobCursor(page.next) }) };
};

export const getBulkJob = async (jobs: BulkJobStore, tenantId: string, jobId: string): Promise<BulkJob> => {
  const job = await jobs.get(tenantId, jobId);
  if (!job) throw new BulkJobNotFoundError(jobId);
  return job;
};

/**
 * Starts a job (202) or, for a repeated Idempotency-Key, answers with the job it started (200).
 * `plan` is the caller's (a cancelled message's retention).
 */
export const startBulkJob = async (
  deps: BulkJobDeps,
  tenantId: string,
  request: { action: BulkAction; input: BulkJobIn; plan: string; idempotencyKey?: string },
): Promise<{ job: BulkJob; created: boolean }> => {
  const { action, input, plan } = request;
  const selection = bulkSelectionOf(action, input);
  const start = (id: string) => launch(deps, newBulkJob({ id, tenantId, action, selection, plan }, deps.clock.now()));
  const id = newJobId(deps.clock.now());
  if (request.idempotencyKey === undefined) return { job: await start(id), created: true };
  const fingerprint = requestFingerprint(BULK_ROUTE[action], input);
  const { results, created } = await runIdempotently(
    deps,
    tenantId,
    { key: request.idempotencyKey, fingerprint },
    [id],
    {
      load: (ids) => Promise.all(ids.map((jobId) => deps.jobs.get(tenantId, jobId))),
      write: async (ids, stored) => [stored[0] ?? (await start(ids[0] as string))],
    },
  );
  return { job: results[0] as BulkJob, created };
};

/**
 * Takes a running place, stores the job, queues its first step (or leaves it to the sweep).
 *
 * An insert that throws may have stored the job after all (its answer lost past the SDK's
 * retries), or found it stored by a retry that took this request's Idempotency-Key over and
 * launched the same job id meanwhile: the job is read back, and if it is there it runs, in the
 * place taken for it, and is the answer. The place is left only when the job is known not to be
 * stored; when even the read fails it stays, and the next start frees it (PLACE_TAKING_MS).
 */
const launch = async (deps: BulkJobDeps, proposed: BulkJob): Promise<BulkJob> => {
  await takeRunningPlace(deps, proposed.tenantId, proposed.id);
  let job = proposed;
  try {
    await deps.jobs.insert(proposed);
  } catch (error) {
    const stored = await deps.jobs.get(proposed.tenantId, proposed.id).catch(() => {
      throw error;
    });
    if (!stored) {
      await leaveRunningPlace(deps, proposed.tenantId, proposed.id);
      throw error;
    }
    job = stored;
  }
  try {
    await deps.jobQueue.enqueue({ tenantId: job.tenantId, jobId: job.id, step: job.step });
  } catch (error) {
    // Stored, so accepted: the sweep queues the step of a job idle for a while (resumeIdleJobs).
    deps.log.warn('bulk job stored, its first step not queued; the sweep will queue it', {
      tenantId: job.tenantId,
      jobId: job.id,
      error: String(error),
    });
  }
  return job;
};

/**
 * One of the tenant's MAX_RUNNING_JOBS places for `jobId`, or TooManyRunningJobsError (429). Places
 * held by jobs that ended, or stalled (which are ended here, `stalled`), are freed first.
 */
const takeRunningPlace = async (deps: BulkJobDeps, tenantId: string, jobId: string): Promise<void> => {
  for (let tries = 0; tries < PLACE_TRIES; tries += 1) {
    const { jobs, version } = await deps.jobs.runningJobs(tenantId);
    const now = deps.clock.now();
    const held = await Promise.all(
      Object.entries(jobs).map(async ([id, since]) =>
        (await holdsPlace(deps, tenantId, id, since, now)) ? [[id, since]] : [],
      ),
    );
    const live = Object.fromEntries(held.flat()) as Record<string, number>;
    // A retry that took a dead request's Idempotency-Key over takes that request's place again, not one more.
    delete live[jobId];
    if (Object.keys(live).length >= MAX_RUNNING_JOBS)
      throw new TooManyRunningJobsError(MAX_RUNNING_JOBS, RETRY_AFTER_S);
    if (await deps.jobs.setRunningJobs(tenantId, { ...live, [jobId]: now }, version)) return;
  }
  throw new ConcurrentChangeError('Other bulk jobs were starting at the same time; try again.', { sendAgain: true });
};

/** Whether a running place is still its job's: the job runs and moves (a stalled one is ended now). */
const holdsPlace = async (deps: BulkJobDeps, tenantId: string, jobId: string, since: number, now: number) => {
  const job = await deps.jobs.get(tenantId, jobId);
  if (!job) return now - since < PLACE_TAKING_MS;
  if (job.state !== 'running') return false;
  if (!isStalled(job, now)) return true;
  // If it moved meanwhile, it is alive after all.
  return !(await giveUp(deps, job, now));
};

/**
 * Ends a stalled job (`stalled`), unless it moved meanwhile (a step chose its page or saved its
 * progress since `job` was read: its updatedAt moved, even within the step); true if it did.
 */
const giveUp = (deps: BulkJobDeps, job: BulkJob, now: number): Promise<boolean> => {
  const detail = `The job made no progress for ${BULK_STALL_MS / 60_000} minutes and was given up.`;
  return deps.jobs.save(finishJob(job, now, { code: 'stalled', detail }), job.step, job.updatedAt);
};

/** Frees the job's running place (a few tries; a place left behind is freed by the next start anyway). */
const leaveRunningPlace = async (deps: BulkJobDeps, tenantId: string, jobId: string): Promise<void> => {
  try {
    for (let tries = 0; tries < PLACE_TRIES; tries += 1) {
      const { jobs, version } = await deps.jobs.runningJobs(tenantId);
      if (!(jobId in jobs)) return;
      const { [jobId]: _left, ...others } = jobs;
      if (await deps.jobs.setRunningJobs(tenantId, others, version)) return;
    }
  } catch (error) {
    deps.log.warn('bulk job place not freed; the next start frees it', { tenantId, jobId, error: String(error) });
  }
};

type ItemOutcome = keyof BulkCounts | { quota: QuotaExceededError };

/** One message: the single-message command, and what it came to (`done` too if this job did it in a run that died). */
const actOn = async (deps: BulkJobDeps, job: BulkJob, messageId: string): Promise<ItemOutcome> => {
  try {
    if (job.action === 'cancel') {
      const { changed, message } = await cancelMessageOutcome(deps, job.tenantId, messageId, job.plan, job.id);
      return changed || message.cancelledBy === job.id ? 'done' : 'skipped';
    }
    const by = { jobId: job.id, selectionKey: job.selectionKey, startedAt: job.createdAt };
    await redeliverMessage(deps, job.tenantId, messageId, by);
    return 'done';
  } catch (error) {
    if (error instanceof QuotaExceededError) return { quota: error };
    if (error instanceof MessageStateConflictError && job.action === 'redeliver') {
      // Redelivered already by this selection: by this very job (a run of this step that died) is its
      // own, and its round, still waiting and due, is handed to a worker again: that run may have
      // died between the round's write and its ticket (or its enqueue failed), which left it to the
      // sweep. A ticket still on its way makes this one a duplicate the take skips.
      const current = await deps.store.get(job.tenantId, messageId).catch(() => undefined);
      if (current?.redeliveredBy?.jobId !== job.id) return 'skipped';
      await sendDueAgain(deps, current, 'queued');
      return 'done';
    }
    // Gone, or in a state the command does not apply to (cancelled already, redelivered by this selection).
    if (error instanceof MessageNotFoundError || error instanceof MessageStateConflictError) return 'skipped';
    deps.log.warn('bulk job: a message could not be changed', {
      tenantId: job.tenantId,
      jobId: job.id,
      messageId,
      error: String(error),
    });
    return 'failed';
  }
};

/** The ids of the job's next page, and where the page after it starts (none: this is the last). */
const nextPage = async (deps: BulkJobDeps, job: BulkJob): Promise<BulkPage> => {
  if ('ids' in job.selection) {
    const from = Number(job.cursor ?? 0);
    const to = Math.min(from + BULK_PAGE, job.selection.ids.length);
    return { ids: job.selection.ids.slice(from, to), ...(to < job.selection.ids.length && { cursor: String(to) }) };
  }
  // A filter job's cursor is the id its last page ended at. A page may be empty with a cursor (the
  // store's scan budget ran out before it found a match): the job goes on from there.
  const page = await deps.store.list(job.tenantId, {
    filter: job.selection.filter,
    limit: BULK_PAGE,
    ...(job.cursor !== undefined && { cursor: { direction: 'next', id: job.cursor } }),
  });
  return { ids: page.items.map((m) => m.id), ...(page.next !== undefined && { cursor: page.next.id }) };
};

/** Applies the action to a page, BULK_CONCURRENCY at a time; stops at the quota. */
const actOnPage = async (deps: BulkJobDeps, job: BulkJob, ids: readonly string[]) => {
  const counts: BulkCounts = { done: 0, skipped: 0, failed: 0 };
  let quota: QuotaExceededError | undefined;
  for (let i = 0; i < ids.length && quota === undefined; i += BULK_CONCURRENCY) {
    const outcomes = await Promise.all(ids.slice(i, i + BULK_CONCURRENCY).map((id) => actOn(deps, job, id)));
    for (const outcome of outcomes) {
      if (typeof outcome === 'string') counts[outcome] += 1;
      else quota = outcome.quota;
    }
  }
  return { counts, quota };
};

/**
 * Runs step `ref.step` of a job: one page, then the progress (conditional on the step) and the next
 * step. A step for a job that moved on, ended or is gone does nothing ('stale'); a step already
 * run whose hand-on may have been lost queues the next one again.
 */
export const runBulkJobStep = async (deps: BulkJobDeps, ref: BulkJobStepRef): Promise<'ran' | 'stale'> => {
  const job = await deps.jobs.get(ref.tenantId, ref.jobId);
  if (!job || job.state !== 'running') return 'stale';
  if (job.step === ref.step + 1) {
    await deps.jobQueue.enqueue({ ...ref, step: job.step });
    return 'stale';
  }
  if (job.step !== ref.step) return 'stale';
  let page = job.page;
  if (page === undefined) {
    page = await nextPage(deps, job);
    // Stored before any message is changed; another run of this step that stored its page first acts.
    if (!(await deps.jobs.choosePage({ ...job, page, updatedAt: deps.clock.now() }))) return 'stale';
  }
  const { counts, quota } = await actOnPage(deps, job, page.ids);
  const now = deps.clock.now();
  const { cursor: _cursor, page: _page, ...rest } = job;
  const progressed: BulkJob = {
    ...rest,
    counts: addCounts(job.counts, counts),
    step: job.step + 1,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    updatedAt: now,
  };
  const next = quota
    ? finishJob(progressed, now, { code: 'quota-exceeded', detail: quota.message })
    : page.cursor === undefined
      ? finishJob(progressed, now)
      : progressed;
  if (!(await deps.jobs.save(next, job.step))) return 'stale';
  if (next.state === 'running') await deps.jobQueue.enqueue({ tenantId: job.tenantId, jobId: job.id, step: next.step });
  else await leaveRunningPlace(deps, job.tenantId, job.id);
  return 'ran';
};

/**
 * The jobs' safety net, run by the sweep: a running job that has saved nothing since before
 * `now - idleMs` (longer than a step may run) lost its step (a local queue that did not survive a
 * restart, a step that threw and waits out its queue's visibility timeout or was parked in the
 * dead-letter queue, a hand-on whose send failed), so its current step is queued again; a
 * duplicate is harmless (a step runs once, and two runs of one page count each message once). One
 * idle for BULK_STALL_MS is given up (`stalled`) and its running place freed.
 *
 * `revive` (the local stack's start-up, whose queues did not survive): every running job gets its
 * step again and none is given up, however long the stack was down, since a stopped stack gave it no
 * chance to move; its stall time counts afresh from now (`revivedAt`).
 */
export const resumeIdleJobs = async (
  deps: BulkJobDeps,
  idleMs: number,
  { revive = false }: { revive?: boolean } = {},
): Promise<{ resumed: number; givenUp: number }> => {
  const now = deps.clock.now();
  let resumed = 0;
  let givenUp = 0;
  for await (const { tenantId, jobId } of deps.jobs.idleRunningJobs(now - idleMs)) {
    // One job the store or the queue fails for is left to the next sweep; the others go on.
    try {
      const job = await deps.jobs.get(tenantId, jobId);
      if (!job || job.state !== 'running' || idleSince(job) >= now - idleMs) continue;
      if (!revive && isStalled(job, now)) {
        if (await giveUp(deps, job, now)) {
          await leaveRunningPlace(deps, tenantId, jobId);
          givenUp += 1;
        }
        continue;
      }
      await deps.jobQueue.enqueue({ tenantId, jobId, step: job.step });
      resumed += 1;
      // Not idle again for another idleMs: a step that waits in a backlogged queue gets no second copy
      // each sweep. Unnoted, the next sweep queues one more copy, which runs stale or runs the page once.
      await deps.jobs.noteResumed(job, now, revive).catch((error: unknown) => {
        deps.log.warn('bulk job resumed, its resume not noted', { tenantId, jobId, error: String(error) });
      });
    } catch (error) {
      deps.log.warn('idle bulk job not resumed; the next sweep tries again', { tenantId, jobId, error: String(error) });
    }
  }
  if (resumed + givenUp > 0) deps.log.warn('sweep resumed idle bulk jobs', { resumed, givenUp, idleMs });
  return { resumed, givenUp };
};
