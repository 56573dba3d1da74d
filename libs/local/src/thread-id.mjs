/**
 * The calling thread's id in the operating system, or undefined where there is no /proc (not
 * Linux): what the stack lowers the priority of (thread-priority.ts) and what the soak and the
 * benchmarks tell a thread's CPU apart by. Plain JavaScript, so that the worker threads that are
 * plain JavaScript themselves (dynalite-worker.mjs, bench/receiver-thread.mjs) can load it as it is.
 */
import { readlinkSync } from 'node:fs';

export const currentThreadId = () => {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return undefined;
  }
};
