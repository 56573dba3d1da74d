/**
 * dynalite in a worker thread (dynalite-worker.mjs): the same DynamoDB API on the same files,
 * served from the machine's second core. In one thread, every store call of a burst's takes and
 * records competed with the sends for the one event loop.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { HeapSpaceInfo } from 'node:v8';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

/** A thread's memoryUsage() and its V8 heap's spaces (new, old, code, large objects...). */
export interface ThreadMemory {
  memory: NodeJS.MemoryUsage;
  spaces: HeapSpaceInfo[];
}

export interface DynaliteThread {
  endpoint: string;
  /** The worker thread's id in the operating system (Linux only). */
  tid?: number;
  /**
   * The worker thread's own V8 heap (heapUsed, heapTotal; rss and external are the process's),
   * after a full garbage collection in that thread when `afterGc` (what is live, not garbage).
   */
  memory(afterGc?: boolean): Promise<ThreadMemory>;
  /** A heap snapshot of the worker thread, written to `file` (a diagnostic, for the soak). */
  writeHeapSnapshot(file: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The store thread's semi-spaces, in MB: V8's default on 64-bit, whatever the process was started
 * with. The stack's process starts with larger ones for its main thread (STACK_NODE_FLAGS in
 * config.ts: fewer scavenges to land on a send's instant); the store's work is never between a
 * due instant and its send, and there they would only hold ~100 MB more.
 */
export const STORE_SEMI_SPACE_MB = 16;

/**
 * LevelDB's codes for a write it could not make (a full or failing disk) and for damaged files:
 * after either it refuses every write until it is opened again, so the store cannot go on.
 */
const STORE_CANNOT_GO_ON: ReadonlySet<string> = new Set(['LEVEL_IO_ERROR', 'LEVEL_CORRUPTION']);

export interface DynaliteThreadOptions {
  /**
   * Told, once, why the store can go on no longer: LevelDB could not write (`IO error: … No space
   * left on device`) or found its files damaged, or the thread ended unasked. Never after `stop()`.
   */
  onFailure?: (reason: string) => void;
}

export const startDynaliteThread = async (
  path: string,
  options: DynaliteThreadOptions = {},
): Promise<DynaliteThread> => {
  // V8 reads its flags when a thread's heap is made, and the flag outranks a Worker's
  // resourceLimits: set back to the default just before this thread is made (the main thread's
  // heap was made at start and keeps its own).
  setFlagsFromString('--min-semi-space-size=0'); // 0: V8 picks its own
  setFlagsFromString(`--max-semi-space-size=${STORE_SEMI_SPACE_MB}`);
  const worker = new Worker(join(__dirname, 'dynalite-worker.mjs'), { workerData: { path } });
  const { port, tid } = await new Promise<{ port: number; tid?: number }>((resolve, reject) => {
    worker.once('message', (message: { port?: number; tid?: number; error?: string }) =>
      message.port
        ? resolve({ port: message.port, tid: message.tid })
        : reject(new Error(`dynalite did not start: ${message.error}`)),
    );
    worker.once('error', reject);
  });
  let stopping = false;
  let failed = false;
  const fail = (reason: string) => {
    if (stopping || failed) return;
    failed = true;
    options.onFailure?.(reason);
  };
  worker.on('message', (message: { storeError?: { message: string; code?: string } }) => {
    const { storeError } = message;
    if (storeError?.code && STORE_CANNOT_GO_ON.has(storeError.code)) fail(`LevelDB: ${storeError.message}`);
  });
  worker.on('error', (error) => fail(`its thread failed: ${error.message}`));
  worker.on('exit', (code) => fail(`its thread ended (exit code ${code})`));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    tid,
    memory: (afterGc = false) =>
      new Promise((resolve) => {
        const answer = (message: Partial<ThreadMemory>) => {
          if (!message.memory || !message.spaces) return;
          worker.off('message', answer);
          resolve({ memory: message.memory, spaces: message.spaces });
        };
        worker.on('message', answer);
        worker.postMessage(afterGc ? 'memory-after-gc' : 'memory');
      }),
    async writeHeapSnapshot(file) {
      await pipeline(await worker.getHeapSnapshot(), createWriteStream(file));
    },
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => {
        const answer = (message: { closed?: boolean }) => {
          if (!message.closed) return;
          worker.off('message', answer);
          resolve();
        };
        worker.on('message', answer);
      });
      worker.postMessage('close');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
      await worker.terminate();
    },
  };
};
