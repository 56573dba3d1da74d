import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../errors';
import type { Api, BulkJob } from './api';
import { EXIT } from './exit-codes';
import { countsText, followJob, FOLLOW_STALL_MS, jobExitCode, printJobs } from './jobs';
import type { Output } from './output';
import { createOutput } from './output';

const job = (over: Partial<BulkJob> = {}): BulkJob => ({
  id: 'job_01JD8X4Q2Z7N5V3K9W6T0RYB1M',
  action: 'cancel',
  state: 'running',
  selection: { filter: { status: ['scheduled'], label: 'billing' } },
  counts: { done: 0, skipped: 0, failed: 0 },
  total: null,
  createdAt: '2026-12-02T12:00:00.000Z',
  updatedAt: '2026-12-02T12:00:00.000Z',
  finishedAt: null,
  ...over,
});

const captured = () => {
  const err: string[] = [];
  const output: Output = createOutput(
    { stdout: { write: () => true }, stderr: { write: (text: string) => err.push(text) } },
    {},
    false,
  );
  return { output, err };
};

/** An API whose job reads are `states` in turn (the last one repeated); the clock moves a second a read. */
const apiReading = (states: BulkJob[], clock: { now: number }) => {
  let reads = 0;
  return {
    api: {
      jobs: {
        get: async () => {
          clock.now += 1_000;
          return states[Math.min(reads++, states.length - 1)]!;
        },
      },
    } as unknown as Api,
    reads: () => reads,
  };
};

describe('a followed bulk job', () => {
  it('notes its counts as they change and ends with its final state', async () => {
    const clock = { now: 0 };
    const moving = job({ counts: { done: 100, skipped: 2, failed: 0 } });
    const done = job({ state: 'done', counts: { done: 140, skipped: 2, failed: 0 }, total: 142 });
    const { api } = apiReading([moving, moving, done], clock);
    const { output, err } = captured();

    const end = await followJob(api, output, job(), {
      signal: new AbortController().signal,
      now: () => clock.now,
      intervalMs: 1,
    });

    expect(end).toBe(done);
    expect(err).toEqual([
      'job_01JD8X4Q2Z7N5V3K9W6T0RYB1M  running  0 cancelled, 0 skipped, 0 failed\n',
      'job_01JD8X4Q2Z7N5V3K9W6T0RYB1M  running  100 cancelled, 2 skipped, 0 failed\n',
    ]);
  });

  it(`stops following after ${FOLLOW_STALL_MS / 60_000} minutes without progress, naming the job to follow`, async () => {
    const clock = { now: 0 };
    const { api, reads } = apiReading([job()], clock);
    const { output } = captured();

    const following = followJob(api, output, job(), {
      signal: new AbortController().signal,
      now: () => clock.now,
      intervalMs: 0,
    });

    await expect(following).rejects.toMatchObject({
      code: EXIT.failure,
      hint: 'follow it with vigil jobs show job_01JD8X4Q2Z7N5V3K9W6T0RYB1M',
    });
    expect(reads()).toBe(FOLLOW_STALL_MS / 1_000);
  });

  it("waits out a 429's Retry-After between reads, and says so once", async () => {
    // Prepare: every read refused, asking 30 s; a read every millisecond otherwise.
    let reads = 0;
    const api = {
      jobs: {
        get: async () => {
          reads += 1;
          throw errorFromResponse(
            429,
            { type: 'https://vigil.dev/problems/rate-limited', title: 'x', status: 429, detail: 'Too many requests.' },
            new Headers({ 'retry-after': '30' }),
          );
        },
      },
    } as unknown as Api;
    const { output, err } = captured();
    const stop = new AbortController();

    // Act
    const following = followJob(api, output, job(), { signal: stop.signal, now: () => 0, intervalMs: 1 });
    await new Promise((done) => setTimeout(done, 100));
    stop.abort();

    // Assess
    await expect(following).rejects.toMatchObject({ code: EXIT.interrupted });
    expect(reads).toBe(1);
    expect(err.filter((line) => line.includes('could not read'))).toEqual([
      'vigil: could not read job_01JD8X4Q2Z7N5V3K9W6T0RYB1M (Too many requests.); trying again in 30s\n',
    ]);
  });

  it('exits 0 only when it reached every message without a failure; 6 when the quota stopped it', () => {
    expect(jobExitCode(job({ state: 'done' }))).toBe(EXIT.ok);
    expect(jobExitCode(job({ state: 'done', counts: { done: 1, skipped: 0, failed: 1 } }))).toBe(EXIT.failure);
    expect(jobExitCode(job({ state: 'failed', stopReason: { code: 'quota-exceeded', detail: 'x' } }))).toBe(
      EXIT.limited,
    );
    expect(jobExitCode(job({ state: 'failed', stopReason: { code: 'stalled', detail: 'x' } }))).toBe(EXIT.failure);
    expect(countsText(job({ action: 'redeliver', counts: { done: 3, skipped: 1, failed: 0 }, total: 4 }))).toBe(
      '3 redelivered, 1 skipped, 0 failed (of 4)',
    );
  });
});

describe('vigil jobs on an 80-column terminal', () => {
  it('fits every line in 80 columns: the selection goes under its job when it does not fit beside it', () => {
    const out: string[] = [];
    const output = createOutput(
      { stdout: { write: (text: string) => out.push(text), isTTY: true, columns: 80 }, stderr: { write: () => true } },
      { NO_COLOR: '1' },
      false,
    );
    const long = job({
      state: 'done',
      selection: { filter: { status: ['scheduled'], urlPrefix: `https://api.example.com/${'x'.repeat(80)}` } },
      counts: { done: 1000, skipped: 0, failed: 0 },
      total: 1000,
    });
    printJobs(
      output,
      [long, job({ id: 'job_01JD8X4Q2Z7N5V3K9W6T0RYB1N', action: 'redeliver', selection: { ids: 12 } })],
      Date.parse('2026-12-02T12:03:00Z'),
    );

    const lines = out.join('').trimEnd().split('\n');
    expect(lines.every((line) => line.length <= 80)).toBe(true);
    expect(lines).toEqual([
      'ID                              ACTION     STATE    DONE/SKIP/FAIL    CREATED',
      'job_01JD8X4Q2Z7N5V3K9W6T0RYB1M  cancel     done     1000/0/0 of 1000  3m ago',
      `  --status scheduled --url-prefix https://api.example.com/${'x'.repeat(21)}…`,
      'job_01JD8X4Q2Z7N5V3K9W6T0RYB1N  redeliver  running  0/0/0             3m ago',
      '  12 ids',
    ]);
  });
});
