/**
 * Bulk jobs in memory at a fixed clock: steps run page by page, counts, a second run, the quota
 * stop, the running-job bound and the selection rules. The same use cases run against the real
 * local stack in functions/engine/bulk-jobs.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { BulkAction, BulkJob, BulkJobDeps, Message, MessageFilter } from '../src';
import {
  SWEEP_RUN_BUDGET_MS,
  sweepOptionsFor,
  allowedCommands,
  assertCanRedeliver,
  BULK_ACTION_STATUSES,
  BULK_ACTIONS,
  bulkSelectionOf,
  BULK_PAGE,
  BULK_STALL_MS,
  BulkJobIn,
  DEFAULT_ENGINE_SETTINGS,
  FixedClock,
  IdempotencyKeyReusedError,
  MAX_BULK_IDS,
  MAX_RUNNING_JOBS,
  MESSAGE_STATUSES,
  MessageIn,
  MessageStateConflictError,
  newMessageId,
  resumeIdleJobs,
  sweep,
  runBulkJobStep,
  scheduleBatch,
  selectionKeyOf,
  startBulkJob,
  toBulkJobOut,
  TooManyRunningJobsError,
  ValidationError,
} from '../src';
import { CountingQuota, MemoryBulkJobs, MemoryQueue, MemoryStore, MemoryTimer, silentLog } from './memory-ports';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const TENANT = 'tnt_bulk';

const setup = (quotaLimit = 100_000) => {
  const clock = new FixedClock(T0);
  const store = new MemoryStore(() => clock.now());
  const jobs = new MemoryBulkJobs();
  const quota = new CountingQuota(quotaLimit);
  const deps: BulkJobDeps = {
    store,
    queue: new MemoryQueue(),
    timer: new MemoryTimer(),
    clock,
    settings: DEFAULT_ENGINE_SETTINGS,
    log: silentLog,
    quota,
    jobs,
    jobQueue: jobs,
  };
  /** Runs every queued step until the job's queue is empty, as the engine's job queue does. */
  const runAll = async () => {
    for (let i = 0; i < jobs.sent.length; i += 1) await runBulkJobStep(deps, jobs.sent[i]!);
  };
  const job = (id: string) => jobs.jobs.get(id) as BulkJob;
  return { clock, store, jobs, quota, deps, runAll, job };
};

/** `count` messages a day ahead (scheduled), in batches of 100. */
const scheduleMany = async (deps: BulkJobDeps, count: number): Promise<Message[]> => {
  const made: Message[] = [];
  for (let i = 0; i < count; i += 100) {
    const inputs = Array.from({ length: Math.min(100, count - i) }, () =>
      MessageIn.parse({ url: 'https://example.com/hook', delay: 86_400 }),
    );
    made.push(...(await scheduleBatch(deps, TENANT, inputs)).messages);
  }
  return made;
};

/** Marks messages failed as the worker would, at the clock's time. */
const failAll = async (store: MemoryStore, messages: readonly Message[], now: number) => {
  for (const m of messages) {
    const current = store.messages.get(m.id) as Message;
    await store.save({ ...current, status: 'failed', updatedAt: now, version: current.version + 1 }, current.version);
  }
};

const cancelIds = (ids: string[]) => ({ action: 'cancel' as const, input: { ids }, plan: 'free' });

describe('a bulk cancel by ids', () => {
  it('cancels every message a page per step, and a second run skips them all', async () => {
    const { deps, store, jobs, runAll, job } = setup();
    const messages = await scheduleMany(deps, 250);
    const first = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    expect(first.job).toMatchObject({ state: 'running', total: 250, counts: { done: 0, skipped: 0, failed: 0 } });
    await runAll();
    expect(jobs.sent.map((s) => s.step)).toEqual([0, 1, 2]); // 250 ids: three pages of BULK_PAGE
    expect(BULK_PAGE).toBe(100);
    expect(job(first.job.id)).toMatchObject({
      state: 'done',
      total: 250,
      counts: { done: 250, skipped: 0, failed: 0 },
    });
    expect([...store.messages.values()].every((m) => m.status === 'cancelled')).toBe(true);

    const second = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    await runAll();
    expect(job(second.job.id)).toMatchObject({ state: 'done', counts: { done: 0, skipped: 250, failed: 0 } });
    expect((await jobs.runningJobs(TENANT)).jobs).toEqual({});
  });

  it('runs a step delivered twice once', async () => {
    const { deps, jobs, job } = setup();
    const messages = await scheduleMany(deps, 150);
    const { job: started } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    const step0 = jobs.sent[0]!;
    expect(await runBulkJobStep(deps, step0)).toBe('ran');
    // The same step again (SQS delivers at least once): nothing is counted twice; its hand-on is queued again.
    expect(await runBulkJobStep(deps, step0)).toBe('stale');
    expect(job(started.id).counts.done).toBe(100);
    expect(jobs.sent.map((s) => s.step)).toEqual([0, 1, 1]);
    expect(await runBulkJobStep(deps, jobs.sent[1]!)).toBe('ran');
    expect(await runBulkJobStep(deps, jobs.sent[2]!)).toBe('stale');
    expect(job(started.id)).toMatchObject({ state: 'done', counts: { done: 150, skipped: 0, failed: 0 } });
  });

  it('skips ids that name no message', async () => {
    const { deps, runAll, job } = setup();
    const [message] = await scheduleMany(deps, 1);
    const { job: started } = await startBulkJob(
      deps,
      TENANT,
      cancelIds([message!.id, 'msg_01JNOSUCHMESSAGE000000000A']),
    );
    await runAll();
    expect(job(started.id)).toMatchObject({ state: 'done', counts: { done: 1, skipped: 1, failed: 0 } });
  });
});

describe('a bulk redeliver by filter', () => {
  const failedSince = (since: number) => ({
    action: 'redeliver' as const,
    input: { filter: { status: ['failed' as const], updatedSince: since } },
    plan: 'free',
  });

  it('redelivers the messages failed since the instant, counting each as a send, and a later run those failed again', async () => {
    const { deps, store, clock, quota, runAll, job } = setup();
    const early = await scheduleMany(deps, 5);
    await failAll(store, early, T0 + 1_000);
    const late = await scheduleMany(deps, 120);
    await failAll(store, late, T0 + 60_000);
    clock.set(T0 + 120_000);
    const sentBefore = quota.used;

    const first = await startBulkJob(deps, TENANT, failedSince(T0 + 30_000));
    await runAll();
    expect(job(first.job.id)).toMatchObject({
      state: 'done',
      total: 120,
      counts: { done: 120, skipped: 0, failed: 0 },
    });
    expect(quota.used - sentBefore).toBe(120);
    expect(late.every((m) => store.messages.get(m.id)?.status === 'queued')).toBe(true);
    expect(early.every((m) => store.messages.get(m.id)?.status === 'failed')).toBe(true);

    // They fail again; the same selection run again (the receiver mended) sends them again.
    await failAll(store, late, T0 + 180_000);
    clock.set(T0 + 240_000);
    const second = await startBulkJob(deps, TENANT, failedSince(T0 + 30_000));
    await runAll();
    expect(job(second.job.id)).toMatchObject({ state: 'done', counts: { done: 120, skipped: 0, failed: 0 } });
    expect(quota.used - sentBefore).toBe(240);
  });

  it('stops at the monthly quota and says so', async () => {
    const { deps, store, quota, runAll, job } = setup();
    const messages = await scheduleMany(deps, 40);
    await failAll(store, messages, T0);
    quota.limit = quota.used + 15;
    const { job: started } = await startBulkJob(deps, TENANT, failedSince(T0));
    await runAll();
    expect(job(started.id)).toMatchObject({
      state: 'failed',
      counts: { done: 15, skipped: 0, failed: 0 },
      stopReason: { code: 'quota-exceeded' },
    });
    expect([...store.messages.values()].filter((m) => m.status === 'queued')).toHaveLength(15);
  });
});

describe("the statuses a bulk job's filter may name", () => {
  it.each(BULK_ACTIONS)(
    'are, for a bulk %s, every status whose message the one-message rule (allowedCommands) lets it act on',
    (action) => {
      const allowedOne = MESSAGE_STATUSES.filter((status) => allowedCommands({ status }).includes(action));
      expect(BULK_ACTION_STATUSES[action]).toEqual(allowedOne);
      for (const status of MESSAGE_STATUSES) {
        const select = () => bulkSelectionOf(action, BulkJobIn.parse({ filter: { status } }));
        if (allowedOne.includes(status))
          expect(select()).toEqual({ filter: expect.objectContaining({ status: [status] }) });
        else expect(select).toThrow(ValidationError);
      }
    },
  );

  it('name what each action applies to in words when a filter asks for another status', () => {
    expect(() => bulkSelectionOf('redeliver', BulkJobIn.parse({ filter: { status: 'scheduled' } }))).toThrow(
      'redeliver applies to delivered, failed messages only, not to scheduled ones',
    );
    expect(() => bulkSelectionOf('cancel', BulkJobIn.parse({ filter: { status: 'delivering' } }))).toThrow(
      'cancel applies to scheduled, queued, retrying messages only, not to delivering ones',
    );
  });
});

describe('a bulk cancel by filter', () => {
  it('goes on past a page the scan budget left empty, and shows its filter as given', async () => {
    const { deps, store, runAll, job } = setup();
    const messages = await scheduleMany(deps, 5);
    // The store's first page finds nothing within its scan budget and says where to go on from.
    const list = store.list.bind(store);
    let calls = 0;
    store.list = async (tenantId, query) => {
      calls += 1;
      return calls === 1
        ? { items: [], next: { direction: 'next', id: newMessageId(T0 + 86_400_000) } }
        : list(tenantId, query);
    };
    const input = {
      filter: BulkJobIn.parse({ filter: { status: 'scheduled,queued', createdAtFrom: '2026-12-01T00:00:00Z' } })
        .filter!,
    };
    const { job: started } = await startBulkJob(deps, TENANT, { action: 'cancel', input, plan: 'free' });
    await runAll();
    expect(calls).toBeGreaterThan(1);
    expect(job(started.id)).toMatchObject({ state: 'done', total: 5, counts: { done: 5, skipped: 0, failed: 0 } });
    expect(messages.every((m) => store.messages.get(m.id)?.status === 'cancelled')).toBe(true);
    expect(toBulkJobOut(job(started.id)).selection).toEqual({
      filter: { status: ['scheduled', 'queued'], createdAtFrom: '2026-12-01T00:00:00.000Z' },
    });
  });
});

describe('a step that dies midway and is run again', () => {
  /** The job store's next progress save throws without landing: the step dies after changing its page's messages. */
  const dieBeforeProgress = (jobs: MemoryBulkJobs) => {
    const save = jobs.save.bind(jobs);
    let armed = true;
    jobs.save = async (job, expectedStep) => {
      if (armed && expectedStep === job.step - 1) {
        armed = false;
        throw new Error('the step died');
      }
      return save(job, expectedStep);
    };
  };
  /** Runs every queued step as the queue does, handing a step that throws back to be run again. */
  const runWithRetries = async (deps: BulkJobDeps, jobs: MemoryBulkJobs) => {
    for (let i = 0; i < jobs.sent.length; i += 1) {
      await runBulkJobStep(deps, jobs.sent[i]!).catch(() => jobs.sent.push(jobs.sent[i]!));
    }
  };

  it('counts a cancel by filter exactly: the re-run acts on the page it stored, its own cancels done', async () => {
    const { deps, store, jobs, job } = setup();
    const messages = await scheduleMany(deps, 150);
    dieBeforeProgress(jobs);
    const input = { filter: { status: ['scheduled' as const] } };

    const { job: started } = await startBulkJob(deps, TENANT, { action: 'cancel', input, plan: 'free' });
    await runWithRetries(deps, jobs);

    // Without the stored page the re-run lists the 50 still scheduled, and the first 100 go uncounted.
    expect(job(started.id)).toMatchObject({ state: 'done', total: 150, counts: { done: 150, skipped: 0, failed: 0 } });
    expect(messages.every((m) => store.messages.get(m.id)?.status === 'cancelled')).toBe(true);
  });

  it('counts a cancel by ids exactly: its own cancels are done, not skipped', async () => {
    const { deps, jobs, job } = setup();
    const messages = await scheduleMany(deps, 120);
    dieBeforeProgress(jobs);

    const { job: started } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    await runWithRetries(deps, jobs);

    expect(job(started.id)).toMatchObject({ state: 'done', total: 120, counts: { done: 120, skipped: 0, failed: 0 } });
  });

  it('counts a redeliver by filter exactly, each message sent and quota-counted once', async () => {
    const { deps, store, jobs, quota, job } = setup();
    const messages = await scheduleMany(deps, 130);
    await failAll(store, messages, T0);
    const before = quota.used;
    dieBeforeProgress(jobs);
    const input = { filter: { status: ['failed' as const] } };

    const { job: started } = await startBulkJob(deps, TENANT, { action: 'redeliver', input, plan: 'free' });
    await runWithRetries(deps, jobs);

    expect(job(started.id)).toMatchObject({ state: 'done', total: 130, counts: { done: 130, skipped: 0, failed: 0 } });
    expect(quota.used - before).toBe(130);
    expect(messages.every((m) => store.messages.get(m.id)?.status === 'queued')).toBe(true);
  });

  it('sends the rounds it started again when the run that died left them without their tickets, not at the sweep', async () => {
    const { deps, store, jobs, job } = setup();
    const messages = await scheduleMany(deps, 30);
    await failAll(store, messages, T0);
    const queue = deps.queue as MemoryQueue;
    queue.sent.length = 0;
    // The run that dies writes each round, but none of its tickets reach the queue (it died before
    // sending them, or their enqueue failed), and its progress is not saved.
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async () => {
      throw new Error('the step died');
    };
    dieBeforeProgress(jobs);
    const { job: started } = await startBulkJob(deps, TENANT, {
      action: 'redeliver',
      input: { ids: messages.map((m) => m.id) },
      plan: 'free',
    });
    await runBulkJobStep(deps, jobs.sent[0]!).catch(() => undefined);
    expect(messages.every((m) => store.messages.get(m.id)?.status === 'queued')).toBe(true);
    expect(queue.sent).toHaveLength(0);
    queue.enqueue = enqueue;

    // The step run again (the job queue's retry, or the sweep's resume).
    await runBulkJobStep(deps, jobs.sent[0]!);

    // Each round, written and due, gets a ticket at its version now, and nothing is written again.
    expect(job(started.id)).toMatchObject({ state: 'done', total: 30, counts: { done: 30, skipped: 0, failed: 0 } });
    const tickets = queue.sent.map((e) => e.ticket);
    expect(tickets.map((t) => t.messageId).sort()).toEqual(messages.map((m) => m.id).sort());
    for (const ticket of tickets) {
      expect(ticket).toMatchObject({ version: store.messages.get(ticket.messageId)!.version });
    }
    expect(queue.sent.every((e) => e.delaySeconds === 0)).toBe(true);
  });

  it('counts each message once when a step is run twice at once', async () => {
    const { deps, jobs, job } = setup();
    const messages = await scheduleMany(deps, 30);
    const { job: started } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    const step0 = jobs.sent[0]!;

    const outcomes = await Promise.all([runBulkJobStep(deps, step0), runBulkJobStep(deps, step0)]);

    expect(outcomes.sort()).toEqual(['ran', 'stale']);
    expect(job(started.id)).toMatchObject({ state: 'done', counts: { done: 30, skipped: 0, failed: 0 } });
  });
});

describe('a job whose step was lost', () => {
  /** The sweep's idle time on AWS (libs/aws queue-settings.ts). */
  const JOB_IDLE_MS = 75_000;

  it('is looked for idle only on a periodic sweep; a start-up that looks ahead takes every running job and all due soon', () => {
    const engine = { sweepGraceMs: 60_000, jobIdleMs: JOB_IDLE_MS };
    expect(sweepOptionsFor({}, engine)).toEqual({
      horizonMs: -60_000,
      queueLost: false,
      jobIdleMs: JOB_IDLE_MS,
      budgetMs: SWEEP_RUN_BUDGET_MS,
    });
    // A start-up hands messages on for a run's budget too (the local stack's, shorter in its tests).
    expect(sweepOptionsFor({ lookAheadS: 840 }, engine)).toEqual({
      horizonMs: 840_000,
      queueLost: true,
      jobIdleMs: 0,
      budgetMs: SWEEP_RUN_BUDGET_MS,
    });
    expect(sweepOptionsFor({ lookAheadS: 0, budgetMs: 5 }, engine)).toEqual({
      horizonMs: 0,
      queueLost: true,
      jobIdleMs: 0,
      budgetMs: 5,
    });
  });

  it('is resumed by the sweep once idle for JOB_IDLE_MS, where it stopped, and ends; one idle for the stall time is given up', async () => {
    const { deps, clock, jobs, job } = setup();
    const messages = await scheduleMany(deps, 250);
    const { job: lost } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    expect(await runBulkJobStep(deps, jobs.sent[0]!)).toBe('ran');
    // Step 1 is queued, then lost (a queue that did not survive a restart; a step parked in the DLQ).
    jobs.sent.length = 0;
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 0, givenUp: 0 }); // not idle yet
    clock.advance(JOB_IDLE_MS + 1);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 1, givenUp: 0 });
    expect(jobs.sent).toEqual([{ tenantId: TENANT, jobId: lost.id, step: 1 }]);
    for (let i = 0; i < jobs.sent.length; i += 1) await runBulkJobStep(deps, jobs.sent[i]!);
    expect(job(lost.id)).toMatchObject({ state: 'done', counts: { done: 250, skipped: 0, failed: 0 } });
    expect(await resumeIdleJobs(deps, 0)).toEqual({ resumed: 0, givenUp: 0 }); // nothing runs now

    // Queued and never run for the stall time (its every resumed step failed, say): given up, its place freed.
    const { job: stuck } = await startBulkJob(deps, TENANT, cancelIds([messages[0]!.id]));
    clock.advance(BULK_STALL_MS + 1);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 0, givenUp: 1 });
    expect(job(stuck.id)).toMatchObject({ state: 'failed', stopReason: { code: 'stalled' } });
    expect((await jobs.runningJobs(TENANT)).jobs).toEqual({});
  });

  it('is not given up when a run of its step chooses its page between the sweep reading it and ending it', async () => {
    const { deps, clock, jobs, job } = setup();
    const messages = await scheduleMany(deps, 5);
    const { job: slow } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    clock.advance(BULK_STALL_MS + 1);
    // The sweep reads the job, stalled by then; before it writes, the step's run stores its page
    // (the same step: only its updatedAt tells the job moved).
    const get = jobs.get.bind(jobs);
    jobs.get = async (tenantId, jobId) => {
      const read = await get(tenantId, jobId);
      jobs.get = get;
      const page = { ids: messages.map((m) => m.id) };
      expect(await jobs.choosePage({ ...(read as BulkJob), page, updatedAt: clock.now() })).toBe(true);
      return read;
    };

    expect(await resumeIdleJobs(deps, 75_000)).toEqual({ resumed: 0, givenUp: 0 });
    expect(job(slow.id)).toMatchObject({ state: 'running', page: { ids: messages.map((m) => m.id) } });
  });

  it('is queued again only once it has been idle for JOB_IDLE_MS since the last resume, and still stalls', async () => {
    const { deps, clock, jobs, job } = setup();
    const messages = await scheduleMany(deps, 150);
    const { job: waiting } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    expect(await runBulkJobStep(deps, jobs.sent[0]!)).toBe('ran');
    jobs.sent.length = 0;
    // Its step 1 waits in a backlogged queue: the sweep, once a minute, must not add a copy each time.
    clock.advance(JOB_IDLE_MS + 1);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 1, givenUp: 0 });
    clock.advance(60_000);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 0, givenUp: 0 });
    clock.advance(JOB_IDLE_MS - 60_000 + 1);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 1, givenUp: 0 });
    expect(jobs.sent).toEqual([
      { tenantId: TENANT, jobId: waiting.id, step: 1 },
      { tenantId: TENANT, jobId: waiting.id, step: 1 },
    ]);
    // Resumes are not progress: with no step run, it is still given up at the stall time.
    clock.advance(BULK_STALL_MS);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 0, givenUp: 1 });
    expect(job(waiting.id)).toMatchObject({ state: 'failed', stopReason: { code: 'stalled' } });
  });

  it('is revived, not given up, by a start-up that lost its queues however long the stack was down, and stalls from then', async () => {
    const { deps, clock, jobs, job, runAll } = setup();
    const messages = await scheduleMany(deps, 250);
    const { job: running } = await startBulkJob(deps, TENANT, cancelIds(messages.map((m) => m.id)));
    expect(await runBulkJobStep(deps, jobs.sent[0]!)).toBe('ran');
    jobs.sent.length = 0; // the stack stops: its queued step is lost with its queues
    clock.advance(12 * 3_600_000); // started again the next morning

    const startUp = await sweep(deps, deps, { horizonMs: 900_000, queueLost: true, jobIdleMs: 0 });
    expect(startUp.resumedJobs).toBe(1);
    expect(job(running.id)).toMatchObject({ state: 'running', revivedAt: clock.now() });
    // A start meanwhile does not take its place for a stalled job's, nor does the next sweep give it up.
    await startBulkJob(deps, TENANT, cancelIds([messages[0]!.id]));
    expect(Object.keys((await jobs.runningJobs(TENANT)).jobs)).toContain(running.id);
    clock.advance(60_000);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 0, givenUp: 0 });
    await runAll();
    expect(job(running.id)).toMatchObject({ state: 'done', counts: { done: 250, skipped: 0, failed: 0 } });

    // One that then makes no progress for the stall time, up and running, is still given up.
    const { job: stuck } = await startBulkJob(deps, TENANT, cancelIds([messages[1]!.id]));
    jobs.sent.length = 0;
    clock.advance(3_600_000);
    await sweep(deps, deps, { horizonMs: 900_000, queueLost: true, jobIdleMs: 0 });
    jobs.sent.length = 0; // its revived step is lost again
    clock.advance(BULK_STALL_MS + 1);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 0, givenUp: 1 });
    expect(job(stuck.id)).toMatchObject({ state: 'failed', stopReason: { code: 'stalled' } });
  });

  it('is resumed though the sweep of the messages fails, and though another idle job cannot be queued', async () => {
    const { deps, clock, jobs, store } = setup();
    const messages = await scheduleMany(deps, 2);
    const { job: first } = await startBulkJob(deps, TENANT, cancelIds([messages[0]!.id]));
    const { job: second } = await startBulkJob(deps, TENANT, cancelIds([messages[1]!.id]));
    jobs.sent.length = 0; // both first steps lost
    clock.advance(JOB_IDLE_MS + 1);
    // The store fails the messages' pending index past its retries; the queue refuses the first job's step.
    store.pendingBefore = async function* () {
      yield* [];
      throw new Error('ProvisionedThroughputExceededException (injected)');
    };
    const enqueue = jobs.enqueue.bind(jobs);
    jobs.enqueue = async (step) => {
      if (step.jobId === first.id) throw new Error('SQS throttled (injected)');
      return enqueue(step);
    };

    await expect(sweep(deps, deps, { horizonMs: -60_000, queueLost: false, jobIdleMs: JOB_IDLE_MS })).rejects.toThrow(
      /ProvisionedThroughput/,
    );

    expect(jobs.sent).toEqual([{ tenantId: TENANT, jobId: second.id, step: 0 }]);
    // The next sweep, the queue well again, queues the first.
    jobs.enqueue = enqueue;
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 1, givenUp: 0 });
    expect(jobs.sent.at(-1)).toEqual({ tenantId: TENANT, jobId: first.id, step: 0 });
  });

  it('is left to the next sweep by a periodic run stopped part-way (the local stack stopping): no further page, no step queued', async () => {
    const { deps, clock, jobs, store } = setup();
    const messages = await scheduleMany(deps, 250);
    await startBulkJob(deps, TENANT, cancelIds([messages[0]!.id]));
    jobs.sent.length = 0; // its first step lost
    clock.advance(2 * 86_400_000); // the messages overdue too (their tickets lost)
    const stopping = new AbortController();
    const defer = store.deferPending.bind(store);
    let moved = 0;
    store.deferPending = async (ref, untilMs) => {
      moved += 1;
      if (moved === 100) stopping.abort(); // the stop comes during the first page
      return defer(ref, untilMs);
    };

    const run = await sweep(deps, deps, {
      horizonMs: -60_000,
      queueLost: false,
      jobIdleMs: JOB_IDLE_MS,
      signal: stopping.signal,
    });

    expect(moved).toBe(100);
    expect(run.resumedJobs).toBe(0);
    expect(jobs.sent).toEqual([]);
  });

  it('is accepted when its first step cannot be queued, and run once the sweep queues it', async () => {
    const { deps, clock, jobs, runAll, job } = setup();
    const messages = await scheduleMany(deps, 3);
    const queueDown = {
      enqueue: async () => {
        throw new Error('SQS throttled');
      },
    };
    const { job: started } = await startBulkJob(
      { ...deps, jobQueue: queueDown },
      TENANT,
      cancelIds(messages.map((m) => m.id)),
    );
    expect(started.state).toBe('running');
    expect(jobs.sent).toEqual([]);
    clock.advance(JOB_IDLE_MS + 1);
    expect(await resumeIdleJobs(deps, JOB_IDLE_MS)).toEqual({ resumed: 1, givenUp: 0 });
    await runAll();
    expect(job(started.id)).toMatchObject({ state: 'done', counts: { done: 3, skipped: 0, failed: 0 } });
  });
});

describe('starting bulk jobs', () => {
  it(`runs at most ${MAX_RUNNING_JOBS} jobs of a tenant at once, and frees the place of a stalled one`, async () => {
    const { deps, clock, jobs, job } = setup();
    const [message] = await scheduleMany(deps, 1);
    const started = [];
    for (let i = 0; i < MAX_RUNNING_JOBS; i += 1)
      started.push(await startBulkJob(deps, TENANT, cancelIds([message!.id])));
    await expect(startBulkJob(deps, TENANT, cancelIds([message!.id]))).rejects.toThrow(TooManyRunningJobsError);
    // Another tenant is not held back.
    await expect(startBulkJob(deps, 'tnt_other', cancelIds([message!.id]))).resolves.toBeDefined();
    // Nothing ran them: past the stall time they are given up, and a new job starts.
    clock.advance(BULK_STALL_MS + 1);
    const next = await startBulkJob(deps, TENANT, cancelIds([message!.id]));
    expect(next.created).toBe(true);
    expect(job(started[0]!.job.id)).toMatchObject({ state: 'failed', stopReason: { code: 'stalled' } });
    expect(Object.keys((await jobs.runningJobs(TENANT)).jobs)).toEqual([next.job.id]);
  });

  it('runs a job whose insert threw after storing it (its answer lost), in its place, and frees the place of one not stored', async () => {
    const { deps, jobs, job } = setup();
    const [message] = await scheduleMany(deps, 1);
    const insert = jobs.insert.bind(jobs);
    jobs.insert = async (stored) => {
      await insert(stored);
      throw new Error('socket hang up (the answer lost after the write)');
    };
    const { job: started } = await startBulkJob(deps, TENANT, cancelIds([message!.id]));
    expect(job(started.id)).toMatchObject({ state: 'running' });
    expect(Object.keys((await jobs.runningJobs(TENANT)).jobs)).toEqual([started.id]);
    expect(jobs.sent).toEqual([{ tenantId: TENANT, jobId: started.id, step: 0 }]);

    jobs.insert = async () => {
      throw new Error('ProvisionedThroughputExceededException (nothing written)');
    };
    await expect(startBulkJob(deps, TENANT, cancelIds([message!.id]))).rejects.toThrow(/ProvisionedThroughput/);
    expect(Object.keys((await jobs.runningJobs(TENANT)).jobs)).toEqual([started.id]);
  });

  it('keeps the place of the job a take-over started when the request it took over wakes up, and counts that place once', async () => {
    const { deps, clock, jobs } = setup();
    const [message] = await scheduleMany(deps, 1);
    await startBulkJob(deps, TENANT, cancelIds([message!.id]));
    await startBulkJob(deps, TENANT, cancelIds([message!.id]));
    const request = { ...cancelIds([message!.id]), idempotencyKey: 'bulk-slow' };
    // The third start takes its place and stalls before its insert, past the key's lease.
    const insert = jobs.insert.bind(jobs);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    jobs.insert = async (stored) => {
      jobs.insert = insert;
      await woken;
      return insert(stored);
    };
    const slow = startBulkJob(deps, TENANT, request);
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(16_000);
    // Its client's retry takes the key over: the same job id, in the same place, not a fourth one.
    const retried = await startBulkJob(deps, TENANT, request);
    expect(retried.created).toBe(true);
    wake();
    // The slow request finds the job stored by the retry: that job is its answer, and keeps its place.
    expect((await slow).job.id).toBe(retried.job.id);
    expect(Object.keys((await jobs.runningJobs(TENANT)).jobs)).toHaveLength(MAX_RUNNING_JOBS);
    await expect(startBulkJob(deps, TENANT, cancelIds([message!.id]))).rejects.toThrow(TooManyRunningJobsError);
  });

  it('answers a repeated Idempotency-Key with the job it started, and refuses it for another request', async () => {
    const { deps, jobs } = setup();
    const [message] = await scheduleMany(deps, 1);
    const request = { ...cancelIds([message!.id]), idempotencyKey: 'bulk-1' };
    const first = await startBulkJob(deps, TENANT, request);
    const again = await startBulkJob(deps, TENANT, request);
    expect(again).toEqual({ job: first.job, created: false });
    expect(jobs.jobs.size).toBe(1);
    await expect(startBulkJob(deps, TENANT, { ...request, action: 'redeliver' })).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
  });

  it('refuses a filter without a status, or with one the action does not apply to, naming filter.status', async () => {
    const { deps, jobs } = setup();
    for (const [action, filter] of [
      ['cancel', {}],
      ['cancel', { status: [] }],
      ['cancel', { status: ['delivered'] }],
      ['cancel', { status: ['queued', 'delivered'] }],
      ['redeliver', { status: ['queued'] }],
    ] satisfies Array<[BulkAction, MessageFilter]>) {
      const refused = startBulkJob(deps, TENANT, { action, input: { filter }, plan: 'free' });
      await expect(refused).rejects.toThrow(ValidationError);
      await expect(refused).rejects.toMatchObject({ errors: [{ path: 'filter.status' }] });
    }
    expect(jobs.jobs.size).toBe(0);
  });
});

describe('the bulk request schema', () => {
  const problems = (body: unknown) => {
    const parsed = BulkJobIn.safeParse(body);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const id = (n: number) => `msg_01J${String(n).padStart(23, '0')}`;

  it(`takes 1 to ${MAX_BULK_IDS} distinct message ids, or a filter, not both`, () => {
    expect(problems({ ids: [id(1)] })).toEqual([]);
    expect(problems({ ids: Array.from({ length: MAX_BULK_IDS }, (_, i) => id(i)) })).toEqual([]);
    expect(problems({ ids: Array.from({ length: MAX_BULK_IDS + 1 }, (_, i) => id(i)) })).toEqual([
      `ids: at most ${MAX_BULK_IDS} ids; select more with a filter`,
    ]);
    expect(problems({ ids: [id(1), id(1)] })).toEqual(['ids: each id at most once']);
    expect(problems({ ids: ['nope'] })[0]).toMatch(/^ids\.0: must be a message id/);
    expect(problems({ ids: [id(1)], filter: { status: 'failed' } })).toEqual([': give exactly one of ids or filter']);
    expect(problems({})).toEqual([': give exactly one of ids or filter']);
    expect(problems({ filter: { status: 'lost' } })[0]).toMatch(/^filter\.status\b/);
    expect(problems({ filter: { status: ['failed', 'lost'] } })[0]).toMatch(/^filter\.status\b/);
    expect(problems({ filter: { status: 'failed', updatedSince: 'monday' } })[0]).toMatch(/^filter\.updatedSince: /);
    // The listing's filter: any of its fields, statuses as a list or a comma list.
    expect(
      problems({ filter: { status: ['failed', 'delivered'], label: 'x', urlPrefix: 'https://a.example/' } }),
    ).toEqual([]);
    expect(problems({ filter: { status: 'failed,delivered' } })).toEqual([]);
    expect(problems({ filter: { status: 'failed', colour: 'x' } })).toEqual(['filter: Unrecognized key: "colour"']);
  });
});

describe("a bulk redeliver's mark on the round it started", () => {
  const marked = (roundAt: number): Message =>
    ({
      id: 'msg_marked',
      status: 'failed',
      roundAt,
      redeliveredBy: { jobId: 'job_a', selectionKey: 'sel_x' },
    }) as Message;

  it('stops a run of the same selection started before the round began: a twin, or the same job run again', () => {
    expect(() => assertCanRedeliver(marked(1_000), { jobId: 'job_b', selectionKey: 'sel_x', startedAt: 900 })).toThrow(
      MessageStateConflictError,
    );
    expect(() => assertCanRedeliver(marked(1_000), { jobId: 'job_a', selectionKey: 'sel_x', startedAt: 500 })).toThrow(
      /redelivered already by job job_a/,
    );
  });

  it('lets a run started after the round began redeliver it, and any other selection', () => {
    expect(() =>
      assertCanRedeliver(marked(1_000), { jobId: 'job_c', selectionKey: 'sel_x', startedAt: 1_001 }),
    ).not.toThrow();
    expect(() =>
      assertCanRedeliver(marked(1_000), { jobId: 'job_d', selectionKey: 'sel_y', startedAt: 1 }),
    ).not.toThrow();
  });
});

describe("a bulk job's selection key", () => {
  it('is the same for the same ids or statuses in another order or twice, and differs for others', () => {
    const failedOrDelivered = selectionKeyOf('redeliver', {
      filter: { status: ['failed', 'delivered'], updatedSince: T0 },
    });
    expect(
      selectionKeyOf('redeliver', { filter: { updatedSince: T0, status: ['delivered', 'failed', 'failed'] } }),
    ).toBe(failedOrDelivered);
    expect(selectionKeyOf('redeliver', { filter: { status: ['failed'], updatedSince: T0 } })).not.toBe(
      failedOrDelivered,
    );
    expect(selectionKeyOf('cancel', { ids: ['msg_b', 'msg_a'] })).toBe(
      selectionKeyOf('cancel', { ids: ['msg_a', 'msg_b', 'msg_a'] }),
    );
    expect(selectionKeyOf('cancel', { ids: ['msg_a'] })).not.toBe(selectionKeyOf('redeliver', { ids: ['msg_a'] }));
  });
});
