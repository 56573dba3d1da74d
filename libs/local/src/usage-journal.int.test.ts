/**
 * The local stack's durable metering: usage events journaled in the data dir are folded into the
 * ledger (on dynalite) once each, across a kill -9 of the process that wrote them and a restart.
 */
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { access, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoUsageLedger } from '@vigil/aws';
import type { UsageEvent } from '@vigil/core';
import { attemptUsage, scheduledUsage, usageDate } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { startDynalite } from '../../../test-support/dynamo-backends';
import { JournalUsageMeter, MAX_FOLD_PASSES, journalPaths, startUsageJournalFolder } from './usage-journal';

let services: DynamoBackend;
let ledger: DynamoUsageLedger;

beforeAll(async () => {
  services = await startDynalite();
  ledger = new DynamoUsageLedger(services.db, services.table);
});
afterAll(() => services?.stop());

const silent = { info: () => {}, warn: () => {}, error: () => {} };
let tenants = 0;
const newTenant = () => `tnt_journal${(tenants += 1)}`;

/** The ids of the events set aside in the data dir's dead-letter file. */
const setAsideIds = async (dataDir: string) =>
  (await readFile(journalPaths(dataDir).deadLetter, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as UsageEvent).id);

const countsOf = async (tenantId: string) => {
  const today = usageDate(Date.now());
  return (await ledger.days(tenantId, today, today))[0] ?? { scheduled: 0, attempt: 0 };
};

/** Runs test-support/usage-journal-child.ts; resolves with how it ended. */
const runChild = (env: Record<string, string>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test-support/usage-journal-child.ts'], {
      env: { ...process.env, DYNAMO_ENDPOINT: services.endpoint, TABLE: services.table, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });

describe('the usage journal', () => {
  it('counts every journaled event once across a kill -9 of its process and a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const env = { DATA_DIR: dataDir, TENANT: tenantId, COUNT: '400', EXTRA: '7' };

    // 400 attempts journaled twice each while the folder runs, then killed right after the last write.
    const killed = await runChild({ ...env, MODE: 'write' });
    expect(killed.signal).toBe('SIGKILL');
    const beforeRestart = (await countsOf(tenantId)).attempt;
    expect(beforeRestart).toBeLessThan(400);

    // The restart folds what the killed process left (a torn last line skipped), and 7 new events.
    const restarted = await runChild({ ...env, MODE: 'restart' });
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).toContain('a malformed line skipped');
    expect((await countsOf(tenantId)).attempt).toBe(407);
    const paths = journalPaths(dataDir);
    expect(Number(await readFile(paths.offset, 'utf8'))).toBe((await stat(paths.journal)).size);

    // Another restart, journaling the same 7 again: nothing counts twice.
    const again = await runChild({ ...env, MODE: 'restart' });
    expect(again.code, again.stderr).toBe(0);
    expect((await countsOf(tenantId)).attempt).toBe(407);
  }, 60_000);

  it('goes on from where it stopped, and empties a journal folded to its end without losing what follows', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const message = { id: 'msg_compact', tenantId, createdAt: Date.now(), dueAt: Date.now() };
    const folded: UsageEvent[] = [];
    const options = {
      dataDir,
      log: silent,
      everyMs: 60_000,
      fold: async (events: UsageEvent[]) => {
        folded.push(...events);
        return ledger.fold(events);
      },
    };
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => silent);
    await meter.record([scheduledUsage(message), attemptUsage(message, 1)]);

    const first = await startUsageJournalFolder(options);
    expect(folded.map((e) => e.id)).toEqual(['sch_msg_compact_0', 'att_msg_compact_1']);
    await meter.record([attemptUsage(message, 2)]);
    expect(await first.foldNow()).toBe(1);
    expect(await first.foldNow()).toBe(0);
    await first.stop();

    // A new folder (a restart) reads nothing it folded before.
    const second = await startUsageJournalFolder({ ...options, compactBytes: 1 });
    expect(folded).toHaveLength(3);
    // Caught up: the journal is emptied; what is journaled afterwards is folded once.
    await meter.record([attemptUsage(message, 3)]);
    expect(await second.foldNow()).toBe(1);
    expect((await stat(journalPaths(dataDir).journal)).size).toBe(0);
    expect(await readFile(journalPaths(dataDir).offset, 'utf8')).toBe('0\n');
    await meter.record([attemptUsage(message, 4)]);
    expect(await second.foldNow()).toBe(1);
    await second.stop();
    meter.close();
    expect(folded.map((e) => e.id)).toEqual([
      'sch_msg_compact_0',
      'att_msg_compact_1',
      'att_msg_compact_2',
      'att_msg_compact_3',
      'att_msg_compact_4',
    ]);
    expect(await countsOf(tenantId)).toMatchObject({ scheduled: 1, attempt: 4 });
  });

  it('loses no count while the disk is full: events wait in memory and are journaled once it takes them again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const message = { id: 'msg_full', tenantId, dueAt: Date.now(), createdAt: Date.now() };
    // The disk fills up in the middle of a write: part of the line lands, then ENOSPC; then twice more.
    let full = 3;
    const appendUntilFull = (fd: number, text: string) => {
      if (full > 0) {
        full -= 1;
        writeSync(fd, text.slice(0, 20));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      writeSync(fd, text);
    };
    const errors: string[] = [];
    const log = { ...silent, error: (msg: string) => void errors.push(msg) };
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => log, appendUntilFull);
    await meter.record([scheduledUsage(message)]);
    await meter.record([attemptUsage(message, 1)]);
    await meter.record([attemptUsage(message, 2)]);
    expect(meter.waiting).toBe(3);
    expect(errors).toEqual(['usage events not journaled: kept in memory and tried again']);

    // Space again: the next event takes the waiting ones along, in order.
    await meter.record([attemptUsage(message, 3)]);
    expect(meter.waiting).toBe(0);
    const folder = await startUsageJournalFolder({
      dataDir,
      log: silent,
      everyMs: 60_000,
      fold: (e) => ledger.fold(e),
    });
    await folder.stop();
    meter.close();
    expect(await countsOf(tenantId)).toMatchObject({ scheduled: 1, attempt: 3 });
  });

  it('folds a full batch at once, without waiting for the timer', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const message = { id: 'msg_batch', tenantId, dueAt: Date.now() };
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => silent);
    const folder = await startUsageJournalFolder({
      dataDir,
      log: silent,
      everyMs: 60_000,
      batchEvents: 3,
      fold: (events) => ledger.fold(events),
    });
    meter.onJournaled = (count) => folder.journaled(count);
    await meter.record([attemptUsage(message, 1), attemptUsage(message, 2)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await countsOf(tenantId)).attempt).toBe(0);
    await meter.record([attemptUsage(message, 3)]);
    const until = Date.now() + 5_000;
    while ((await countsOf(tenantId)).attempt < 3 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await countsOf(tenantId)).attempt).toBe(3);
    await folder.stop();
    meter.close();
  });

  it('keeps events whose fold failed and folds them on the next pass', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const message = { id: 'msg_retry', tenantId, dueAt: Date.now() };
    const errors: string[] = [];
    let failures = 1;
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => silent);
    const folder = await startUsageJournalFolder({
      dataDir,
      log: { ...silent, error: (m: string) => errors.push(m) },
      everyMs: 60_000,
      fold: async (events) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('the store is unreachable');
        }
        return ledger.fold(events);
      },
    });
    await meter.record([attemptUsage(message, 1), attemptUsage(message, 2)]);
    expect(await folder.foldNow()).toBe(0);
    expect(errors).toEqual(['usage journal: fold failed; it will be tried again']);
    expect(await folder.foldNow()).toBe(2);
    await folder.stop();
    meter.close();
    expect((await countsOf(tenantId)).attempt).toBe(2);
  });

  it('sets aside an event the ledger can never count, and goes on counting everything journaled after it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const message = { id: 'msg_poison', tenantId, dueAt: Date.now() };
    const uncountable = attemptUsage(message, 2).id;
    let ledgerFixed = false;
    const errors: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const options = {
      dataDir,
      log: { ...silent, error: (m: string, fields?: Record<string, unknown>) => errors.push({ message: m, fields }) },
      everyMs: 60_000,
      fold: async (events: UsageEvent[]) => {
        // As dynalite's binary comparison once did: one event's fold fails, every time.
        if (!ledgerFixed && events.some((event) => event.id === uncountable)) throw new Error('ledger contention');
        return ledger.fold(events);
      },
    };
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => silent);
    await meter.record([attemptUsage(message, 1), attemptUsage(message, 2), attemptUsage(message, 3)]);
    const folder = await startUsageJournalFolder(options); // its first pass
    for (let pass = 2; pass < MAX_FOLD_PASSES; pass += 1) expect(await folder.foldNow()).toBe(0);
    expect((await countsOf(tenantId)).attempt).toBe(0);

    // The MAX_FOLD_PASSES-th failure: folded one by one, the uncountable one set aside.
    expect(await folder.foldNow()).toBe(2);
    expect((await countsOf(tenantId)).attempt).toBe(2);
    const setAside = errors.find((e) => e.message.includes('set aside'));
    expect(setAside?.fields?.ids).toEqual([uncountable]);
    expect(await setAsideIds(dataDir)).toEqual([uncountable]);

    // What is journaled afterwards is counted on the next pass, as usual.
    await meter.record([attemptUsage(message, 4)]);
    expect(await folder.foldNow()).toBe(1);
    expect((await countsOf(tenantId)).attempt).toBe(3);
    await folder.stop();

    // Once the ledger can count it (a fixed store), a restart folds the set-aside event and drops the file.
    ledgerFixed = true;
    const restarted = await startUsageJournalFolder(options);
    expect((await countsOf(tenantId)).attempt).toBe(4);
    await expect(access(journalPaths(dataDir).deadLetter)).rejects.toThrow();
    await restarted.stop();
    meter.close();
  });

  it('sets aside two uncountable events of one read, each in its own fold, and counts all the rest', async () => {
    // 1,200 events read at once, folded 500 at a time: one uncountable event in the first fold, one
    // in the second. The journal's offset moves past the first once it is set aside, so the second
    // fold's failures are counted on their own (with the offset kept at the read's start, the first
    // fold would fail again on every pass and the two would take turns for ever).
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const message = { id: 'msg_two_poisons', tenantId: newTenant(), dueAt: Date.now() };
    const events = Array.from({ length: 1_200 }, (_, i) => attemptUsage(message, i + 1));
    const uncountable = new Set([events[99]!.id, events[799]!.id]);
    const counted = new Set<string>();
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => silent);
    await meter.record(events);
    const folder = await startUsageJournalFolder({
      dataDir,
      log: silent,
      everyMs: 60_000,
      fold: async (batch) => {
        if (batch.some((event) => uncountable.has(event.id))) throw new Error('ledger contention');
        for (const event of batch) counted.add(event.id);
      },
    });
    let passes = 1;
    while (counted.size < 1_198 && passes < 4 * MAX_FOLD_PASSES) {
      await folder.foldNow();
      passes += 1;
    }
    expect(counted.size).toBe(1_198);
    expect(passes).toBe(2 * MAX_FOLD_PASSES - 1);
    expect(new Set(await setAsideIds(dataDir))).toEqual(uncountable);
    await folder.stop();
    meter.close();
  });

  it('sets nothing aside while the ledger is down, until the outage outlasts twice the passes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-journal-'));
    const tenantId = newTenant();
    const message = { id: 'msg_outage', tenantId, dueAt: Date.now() };
    let down = true;
    const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => silent);
    await meter.record(Array.from({ length: 12 }, (_, i) => attemptUsage(message, i + 1)));
    const folder = await startUsageJournalFolder({
      dataDir,
      log: silent,
      everyMs: 60_000,
      redriveEveryMs: 0,
      fold: async (events) => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:4567');
        return ledger.fold(events);
      },
    }); // its first pass
    // Every event fails alone as well: the fault is the ledger's, so they stay in the journal.
    for (let pass = 2; pass < 2 * MAX_FOLD_PASSES; pass += 1) expect(await folder.foldNow()).toBe(0);
    await expect(access(journalPaths(dataDir).deadLetter)).rejects.toThrow();

    // Down for 2 × MAX_FOLD_PASSES passes: set aside, so that later events are not held behind them...
    expect(await folder.foldNow()).toBe(0);
    expect(await setAsideIds(dataDir)).toHaveLength(12);
    // ...and folded again (each redrive, here every pass) once the ledger is back.
    down = false;
    await meter.record([attemptUsage(message, 13)]);
    expect(await folder.foldNow()).toBe(1);
    expect((await countsOf(tenantId)).attempt).toBe(13);
    await expect(access(journalPaths(dataDir).deadLetter)).rejects.toThrow();
    await folder.stop();
    meter.close();
  });
});
