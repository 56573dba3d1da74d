/**
 * The tests' receiver (@vigil/local/receiver's API) on a worker thread of its own: a test that
 * counts arrivals exactly uses it, because a receiver on the local stack's thread cannot answer
 * while that thread is starved. Starved past a message's timeout, its answer comes late, the
 * attempt is a timeout and is retried (Vigil's at-least-once, as promised), and a count is off by
 * the retries (seen in CI: 37 arrivals for 30 messages). On its own thread it answers in time and
 * the stack reads that answer when it wakes.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { ReceivedWebhook, Receiver, ReceiverOptions } from '@vigil/local/receiver';
import { waitForReceived } from '@vigil/local/receiver';
import type { FromReceiverWorker, ReceiverWorkerData, ToReceiverWorker } from './receiver-bridge';

export interface ReceiverThreadOptions {
  /** The tenant's `whsec_` secret: when set, every request's signature is checked. */
  secret?: string;
  /**
   * The status to answer with, as in ReceiverOptions. It runs on the receiver's thread (it is
   * sent there as its source), so it may use only its argument, no variable of the test's.
   */
  respond?: ReceiverOptions['respond'];
}

/**
 * Runs startReceiver on a thread (receiver-worker.mjs, which loads receiver-bridge.ts). `received`
 * fills as the thread posts each request (as it is recorded, before it is answered), so it reads
 * as the in-process receiver's does.
 */
export const startReceiverThread = async (options: ReceiverThreadOptions = {}): Promise<Receiver> => {
  const workerData: ReceiverWorkerData = {
    respond: options.respond ? options.respond.toString() : null,
    secret: options.secret ?? null,
  };
  const thread = new Worker(new URL('./receiver-worker.mjs', import.meta.url), { workerData });
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<() => void>();
  // What ended the thread (a `respond` that used a variable of the test's, say): waitFor says so.
  let failure: Error | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    thread.on('message', (message: FromReceiverWorker) => {
      if ('port' in message) {
        resolve(message.port);
        return;
      }
      received.push(message.received);
      for (const wake of waiters) wake();
    });
    thread.on('error', (error) => {
      failure = error;
      reject(error);
      for (const wake of waiters) wake();
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    setSecret(secret) {
      thread.postMessage({ secret } satisfies ToReceiverWorker);
    },
    waitFor: (predicate, timeoutMs) =>
      waitForReceived(received, waiters, predicate, timeoutMs, () =>
        failure ? new Error(`receiver thread: ${failure.message}`, { cause: failure }) : undefined,
      ),
    async stop() {
      if (failure) return;
      const exited = once(thread, 'exit');
      thread.postMessage('close' satisfies ToReceiverWorker);
      await exited;
    },
  };
};
