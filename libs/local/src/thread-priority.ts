/**
 * The local stack's main thread sends every webhook at its instant; the process's other threads
 * (dynalite's worker thread, libuv's pool running LevelDB's reads and writes, LevelDB's compaction,
 * V8's helpers) do work that can wait a moment. On a machine with few cores their wake-ups preempt
 * the main thread: in a soak at 10 messages/s on the project's 2-core machine, it was switched out
 * involuntarily ~67 times a second, and a send due then went late. Linux gives each thread its own
 * nice value, and a process may raise its threads' (lower their priority) without privileges: the
 * stack raises every thread's but the one that started it to `nice` and checks again every
 * CHECK_EVERY_MS, since libuv and LevelDB start theirs when first needed.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { currentThreadId } from './thread-id.mjs';

export { currentThreadId };

/** The nice value the stack's helper threads get by default (`VIGIL_HELPER_THREAD_NICE`). */
export const HELPER_THREAD_NICE = 10;

/** How often threads started since are found and lowered. */
const CHECK_EVERY_MS = 10_000;

const threadsOfThisProcess = (): number[] => {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
};

export interface HelperThreadPriority {
  /** This process's threads now at `nice` or lower priority, but the kept ones (their ids). */
  lowered(): number[];
  stop(): void;
}

/** A thread's nice value, or undefined once it has ended. */
const niceOf = (tid: number): number | undefined => {
  try {
    return getPriority(tid);
  } catch {
    return undefined;
  }
};

/**
 * Lowers every thread of this process to `nice`, now and every `everyMs`, but the calling thread
 * and `keep`. A thread already at `nice` or lower priority is left alone; one that ends
 * meanwhile is skipped. Nothing happens where threads have no ids (not Linux) or `nice` is 0.
 */
export const lowerHelperThreads = (
  nice: number,
  keep: readonly number[] = [],
  everyMs = CHECK_EVERY_MS,
): HelperThreadPriority => {
  const caller = currentThreadId();
  if (caller === undefined || nice <= 0) return { lowered: () => [], stop: () => {} };
  const kept = new Set([caller, ...keep]);
  const helpers = () => threadsOfThisProcess().filter((tid) => !kept.has(tid));
  const lower = () => {
    for (const tid of helpers()) {
      const current = niceOf(tid);
      if (current === undefined || current >= nice) continue;
      try {
        setPriority(tid, nice);
      } catch {
        // The thread ended between the reading and now.
      }
    }
  };
  lower();
  const timer = setInterval(lower, everyMs).unref();
  return {
    lowered: () => helpers().filter((tid) => (niceOf(tid) ?? 0) >= nice),
    stop: () => clearInterval(timer),
  };
};
