/**
 * The stack lowers its helper threads' priority, never the thread that started it, nor one it is
 * told to keep, and finds threads started later. Linux only (threads have ids in /proc there);
 * the machines the tests run on are Linux, so it is not skipped elsewhere silently: it fails.
 * It runs in npm test's timed run, at a normal priority as a user's stack does: in the background
 * run (nice 19) every thread is as low already.
 */
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../../../test-support/local-stack';
import type { LocalStack } from './stack';
import { currentThreadId, HELPER_THREAD_NICE, lowerHelperThreads } from './thread-priority';

/** A thread that reports its id and then waits until terminated. */
const startIdleThread = async (): Promise<{ tid: number; worker: Worker }> => {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').at(-1));
     parentPort.postMessage(tid);
     setInterval(() => {}, 1000);`,
    { eval: true },
  );
  const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
  return { tid, worker };
};

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.terminate()));
});

describe('lowerHelperThreads', () => {
  it("lowers the process's other threads, not the caller's nor a kept one, and those started later", async () => {
    // Arrange
    const caller = currentThreadId()!;
    const callerNice = getPriority(caller);
    const helper = await startIdleThread();
    const kept = await startIdleThread();
    workers.push(helper.worker, kept.worker);

    // Act
    const threads = lowerHelperThreads(7, [kept.tid], 50);
    const later = await startIdleThread();
    workers.push(later.worker);
    await new Promise((resolve) => setTimeout(resolve, 300));
    threads.stop();

    // Assert
    expect(caller).toBeGreaterThan(0);
    expect(getPriority(helper.tid)).toBe(7);
    expect(getPriority(later.tid)).toBe(7);
    expect(threads.lowered()).toEqual(expect.arrayContaining([helper.tid, later.tid]));
    expect(threads.lowered()).not.toContain(kept.tid);
    expect(getPriority(kept.tid)).toBe(callerNice);
    expect(getPriority(caller)).toBe(callerNice);
  });

  it('leaves every thread alone at nice 0', async () => {
    // Arrange
    const helper = await startIdleThread();
    workers.push(helper.worker);
    const before = getPriority(helper.tid);

    // Act
    const threads = lowerHelperThreads(0);

    // Assert
    expect(threads.lowered()).toEqual([]);
    expect(getPriority(helper.tid)).toBe(before);
  });
});

describe('the local stack', () => {
  let stack: LocalStack | undefined;
  afterAll(async () => {
    await stack?.stop();
  });

  it('lowers its helper threads (the store among them) below the thread that sends the webhooks', async () => {
    // Arrange
    const sender = currentThreadId()!;
    const senderNice = getPriority(sender);

    // Act
    stack = await startTestStack();

    // Assert
    expect(getPriority(stack.dynalite.tid!)).toBe(HELPER_THREAD_NICE);
    expect(getPriority(sender)).toBe(senderNice);
  });
});
