/**
 * dynalite in a worker thread (dynalite-worker.mjs): the same DynamoDB API on the same files,
 * served from the machine's second core. In one thread, every store call of a burst's takes and
 * records competed with the sends for the one event loop.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface DynaliteThread {
  endpoint: string;
  stop(): Promise<void>;
}

export const startDynaliteThread = async (path: string): Promise<DynaliteThread> => {
  const worker = new Worker(join(__dirname, 'dynalite-worker.mjs'), { workerData: { path } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(`dynalite did not start: ${message.error}`)),
    );
    worker.once('error', reject);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('close');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
      await worker.terminate();
    },
  };
};
