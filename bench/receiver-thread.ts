/**
 * Starts the benchmarks' receiver on a thread of its own (bench/receiver-thread.mjs) and keeps
 * what it reports: every webhook's arrival, stamped on the receiver's own loop.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** One webhook as the receiver thread saw it arrive. */
export interface Arrival {
  /** Epoch ms, stamped when the request line reached the receiver's loop. */
  arrivedAt: number;
  /** `vigil-attempt` (0 when absent). */
  attempt: number;
  /** `vigil-scheduled-at` as epoch ms (NaN when absent). */
  dueAt: number;
  path: string;
  webhookId: string;
}

export interface ReceiverThread {
  url: string;
  /** The receiver thread's id in the operating system (Linux, as a thread of this process). */
  tid?: number;
  /** Every arrival so far, in the order they were stamped. */
  arrivals: Arrival[];
  /** Resolves once `predicate` holds for the arrivals, or rejects after `timeoutMs`. */
  waitFor(predicate: (arrivals: readonly Arrival[]) => boolean, timeoutMs: number): Promise<void>;
  /** The receiver loop's longest delay since the last ask (ms). */
  loopMaxMs(): Promise<number>;
  close(): Promise<void>;
}

type FromThread = { port: number; tid?: number } | { loopMaxMs: number } | { arrivals: Arrival[] };

/** What the receiver runs in, as its host sees it: a worker thread or a child process. */
interface ReceiverHost {
  on(event: 'message', listener: (message: FromThread) => void): unknown;
  once(event: 'error' | 'exit', listener: (arg: unknown) => void): unknown;
  postMessage(message: string): void;
}
const threadHost = (script: URL): ReceiverHost => new Worker(script);
const processHost = (script: URL): ReceiverHost => {
  // Structured clone, not JSON: an arrival's dueAt may be NaN.
  const child = fork(fileURLToPath(script), [], { execArgv: [], serialization: 'advanced', stdio: 'inherit' });
  return {
    on: (event, listener) => child.on(event, listener),
    once: (event, listener) => child.once(event, listener),
    postMessage: (message) => child.send(message),
  };
};

/**
 * `ownProcess`: the receiver runs in a process of its own instead of a thread of this one, so
 * nothing of this process (its collections, its allocator, its memory map) can delay a stamp.
 */
export const startReceiverThread = async (
  onArrival?: (arrival: Arrival) => void,
  { ownProcess = false }: { ownProcess?: boolean } = {},
): Promise<ReceiverThread> => {
  const script = new URL('./receiver-thread.mjs', import.meta.url);
  const worker = ownProcess ? processHost(script) : threadHost(script);
  const arrivals: Arrival[] = [];
  const waiters = new Set<() => void>();
  let onLoop: ((ms: number) => void) | undefined;
  const { port, tid } = await new Promise<{ port: number; tid?: number }>((resolve, reject) => {
    worker.on('message', (message: FromThread) => {
      if ('port' in message) resolve(message);
      else if ('loopMaxMs' in message) onLoop?.(message.loopMaxMs);
      else {
        for (const arrival of message.arrivals) {
          arrivals.push(arrival);
          onArrival?.(arrival);
        }
        for (const wake of waiters) wake();
      }
    });
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    ...(!ownProcess && tid !== undefined && { tid }),
    arrivals,
    waitFor: (predicate, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate(arrivals)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: not all arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    loopMaxMs: () =>
      new Promise<number>((resolve) => {
        onLoop = resolve;
        worker.postMessage('loop');
      }),
    close: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      }),
  };
};
