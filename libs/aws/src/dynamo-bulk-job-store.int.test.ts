/**
 * DynamoBulkJobStore's conditional writes on both engines: a step's progress that was saved though
 * its answer was lost counts as saved (so the job hands on to its next step), and a step another
 * run saved first still reads as stale, and a save conditioned on an updatedAt that moved is refused.
 */
import type { BulkJob } from '@vigil/core';
import { JOB_LIST_SCAN_BUDGET } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, withLostAnswer } from '../../../test-support/dynamo-backends';
import { DynamoBulkJobStore } from './dynamo-bulk-job-store';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
let seq = 0;
const aJob = (over: Partial<BulkJob> = {}): BulkJob => {
  seq += 1;
  return {
    id: `job_01JTEST${String(seq).padStart(19, '0')}`,
    tenantId: 'tnt_jobs',
    action: 'cancel',
    selection: { ids: ['msg_1', 'msg_2'] },
    selectionKey: `cancel:${seq}`,
    plan: 'free',
    state: 'running',
    counts: { done: 0, skipped: 0, failed: 0 },
    step: 0,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
};

describe.each(dynamoBackends())('DynamoBulkJobStore on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let store: DynamoBulkJobStore;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoBulkJobStore(services.db, services.table, () => T0);
  }, 60_000);
  afterAll(() => services?.stop());

  it.runIf(available)('saves a job unchanged since an instant only while its updatedAt is still that', async () => {
    const job = aJob();
    await store.insert(job);
    expect(await store.choosePage({ ...job, page: { ids: ['msg_1'] }, updatedAt: T0 + 5 })).toBe(true);
    const givenUp = { ...job, state: 'failed' as const, finishedAt: T0 + 9, updatedAt: T0 + 9 };
    expect(await store.save(givenUp, 0, T0)).toBe(false);
    expect((await store.get(job.tenantId, job.id))?.state).toBe('running');
    expect(await store.save(givenUp, 0, T0 + 5)).toBe(true);
    expect((await store.get(job.tenantId, job.id))?.state).toBe('failed');
  });

  it.runIf(available)('reads back what it stored, without its write id', async () => {
    const job = aJob();
    await store.insert(job);
    expect(await store.get(job.tenantId, job.id)).toEqual(job);
    await expect(store.insert(job)).rejects.toThrow(/exists already/);
  });

  it.runIf(available)('counts a write whose answer was lost as done: insert, page and progress', async () => {
    const job = aJob();
    expect(await withLostAnswer(services.db, 'PutItemCommand', () => store.insert(job))).toEqual({
      result: undefined,
      sends: 2,
    });
    const withPage = { ...job, page: { ids: ['msg_1', 'msg_2'] }, updatedAt: T0 + 1 };
    expect(await withLostAnswer(services.db, 'PutItemCommand', () => store.choosePage(withPage))).toEqual({
      result: true,
      sends: 2,
    });
    const progressed = { ...job, step: 1, counts: { done: 2, skipped: 0, failed: 0 }, updatedAt: T0 + 2 };
    expect(await withLostAnswer(services.db, 'PutItemCommand', () => store.save(progressed, 0))).toEqual({
      result: true,
      sends: 2,
    });
    expect(await store.get(job.tenantId, job.id)).toEqual(progressed);
    // Another run of step 0 that comes late is still told it is stale.
    expect(await store.save({ ...progressed, updatedAt: T0 + 3 }, 0)).toBe(false);
  });

  it.runIf(available)('keeps the running-jobs record under its version through a lost answer', async () => {
    const tenantId = 'tnt_running';
    const lost = await withLostAnswer(services.db, 'PutItemCommand', () =>
      store.setRunningJobs(tenantId, { job_a: T0 }, 0),
    );
    expect(lost).toEqual({ result: true, sends: 2 });
    expect(await store.runningJobs(tenantId)).toEqual({ jobs: { job_a: T0 }, version: 1 });
    expect(await store.setRunningJobs(tenantId, {}, 0)).toBe(false);
  });

  it.runIf(available)(
    "finds every tenant's running jobs idle since before an instant, and no finished one",
    async () => {
      const idle = aJob({ tenantId: 'tnt_idle_a', updatedAt: T0 - 600_000 });
      const moving = aJob({ tenantId: 'tnt_idle_b', updatedAt: T0 - 600_000 });
      const ended = aJob({ tenantId: 'tnt_idle_b', updatedAt: T0 - 600_000 });
      for (const job of [idle, moving, ended]) await store.insert(job);
      expect(await store.save({ ...moving, step: 1, updatedAt: T0 }, 0)).toBe(true);
      const finished = { ...ended, state: 'done' as const, step: 1, finishedAt: T0 - 500_000, updatedAt: T0 - 500_000 };
      expect(await store.save(finished, 0)).toBe(true);
      const found = [];
      for await (const ref of store.idleRunningJobs(T0 - 60_000)) found.push(ref);
      expect(found).toEqual([{ tenantId: 'tnt_idle_a', jobId: idle.id }]);
      // The index is the store's own business: a job reads back without it.
      expect(await store.get(idle.tenantId, idle.id)).toEqual(idle);
    },
  );

  it.runIf(available)(
    'notes a resume of a job still as read, which then counts as idle from the resume, and no other',
    async () => {
      const idleOf = async (beforeMs: number) => {
        const found = [];
        for await (const ref of store.idleRunningJobs(beforeMs)) if (ref.tenantId === 'tnt_resumed') found.push(ref);
        return found;
      };
      const job = aJob({ tenantId: 'tnt_resumed', updatedAt: T0 - 600_000 });
      await store.insert(job);
      expect(await idleOf(T0 - 60_000)).toHaveLength(1);
      expect(await store.noteResumed(job, T0 - 30_000)).toBe(true);
      expect(await idleOf(T0 - 60_000)).toEqual([]);
      expect(await idleOf(T0)).toEqual([{ tenantId: 'tnt_resumed', jobId: job.id }]);
      expect(await store.get(job.tenantId, job.id)).toEqual({ ...job, resumedAt: T0 - 30_000 });
      // A step ran meanwhile: the resume read before it is not noted, and does not undo its write.
      const progressed = { ...job, step: 1, updatedAt: T0 - 20_000 };
      expect(await store.save(progressed, 0)).toBe(true);
      expect(await store.noteResumed(job, T0)).toBe(false);
      expect(await store.get(job.tenantId, job.id)).toEqual(progressed);
      expect(await idleOf(T0 - 20_000)).toEqual([]);
      // A start-up's revive (its queues lost) notes the resume and where the stall time counts from.
      expect(await store.noteResumed(progressed, T0, true)).toBe(true);
      expect(await store.get(job.tenantId, job.id)).toEqual({ ...progressed, resumedAt: T0, revivedAt: T0 });
    },
  );

  it.runIf(available)(
    "lists a tenant's jobs newest first, reading at most its budget a page, so a rare state is found a page later",
    async () => {
      const tenantId = 'tnt_listed';
      const failed = aJob({ tenantId, state: 'failed', finishedAt: T0, expiresAt: T0 + 86_400_000 });
      const done = Array.from({ length: JOB_LIST_SCAN_BUDGET + 5 }, () =>
        aJob({ tenantId, state: 'done', finishedAt: T0, expiresAt: T0 + 86_400_000 }),
      );
      await Promise.all([failed, ...done].map((job) => store.insert(job)));
      await store.setRunningJobs(tenantId, { [done[0]!.id]: T0 }, 0);
      const newest = done.map((job) => job.id).reverse();

      const first = await store.listJobs(tenantId, { limit: 100 });
      expect(first.jobs.map((job) => job.id)).toEqual(newest.slice(0, 100));
      expect(first.jobs[0]).toEqual(done.at(-1));
      expect(first.next).toBe(newest[99]);
      const last = await store.listJobs(tenantId, { limit: 100, after: newest[199] });
      expect(last.jobs.map((job) => job.id)).toEqual([...newest.slice(200), failed.id]);
      expect(last.next).toBeUndefined();

      // Only the failed one, oldest of all: the first page reads its budget of done ones and says where to go on.
      const bounded = await store.listJobs(tenantId, { limit: 20, states: ['failed'] });
      expect(bounded).toEqual({ jobs: [], next: newest[JOB_LIST_SCAN_BUDGET - 1] });
      expect(await store.listJobs(tenantId, { limit: 20, states: ['failed'], after: bounded.next })).toEqual({
        jobs: [failed],
      });
    },
  );
});
