/**
 * A stall of the process under test (SIGSTOP, a paused VM, a long synchronous task), and a peer
 * that goes on answering meanwhile: after a stall Node runs its timers before it reads its sockets,
 * so a plain deadline fires before an answer that came during the stall is read.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface ReceiverThread {
  url: string;
  /** Resolves when the next request has arrived. */
  arrived(): Promise<unknown>;
  stop(): Promise<number>;
}

/**
 * An HTTP server on its own thread, so it answers while this one is blocked: `body` with
 * `headers` after `answerMs` (never, when undefined); it tells when a request has arrived.
 */
export const receiverThread = async (
  answerMs: number | undefined,
  { body = 'ok', headers = {} }: { body?: string; headers?: Record<string, string> } = {},
): Promise<ReceiverThread> => {
  const thread = new Worker(
    `const http = require('node:http');
    const { parentPort, workerData } = require('node:worker_threads');
    const server = http.createServer((req, res) => {
      req.resume();
      parentPort.postMessage('arrived');
      if (workerData.answerMs !== null)
        setTimeout(() => res.writeHead(200, workerData.headers).end(workerData.body), workerData.answerMs);
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
    { eval: true, workerData: { answerMs: answerMs ?? null, body, headers } },
  );
  const [port] = (await once(thread, 'message')) as [number];
  return {
    url: `http://127.0.0.1:${port}`,
    arrived: () => once(thread, 'message'),
    stop: () => thread.terminate(),
  };
};

/** Blocks this thread's event loop for `ms`, as a SIGSTOP or a long synchronous task does. */
export const stall = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/** Ends a child process that may be stopped (SIGSTOP) by a test that failed: woken, killed, waited for. */
export const endStoppedChild = async (child: ChildProcess | undefined): Promise<void> => {
  if (!child) return;
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
};
