/**
 * The tests' webhook receiver on a thread of its own (receiver-thread.ts starts the thread,
 * receiver-worker.mjs loads this): startReceiver itself, on an event loop the local stack does not
 * share, bridged to its host. It posts its port once it listens and each request as it is
 * recorded, before it is answered; it takes a new secret, and 'close'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ReceivedWebhook } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';

/** What the host starts the thread with: its `respond` as source (it runs here, so it may use only its argument). */
export interface ReceiverWorkerData {
  respond: string | null;
  secret: string | null;
}

export type FromReceiverWorker = { port: number } | { received: ReceivedWebhook };

export type ToReceiverWorker = { secret: string } | 'close';

const bridge = async (): Promise<void> => {
  const host = parentPort;
  if (!host) throw new Error('receiver-bridge runs on a worker thread (receiver-thread.ts starts it)');
  const data = workerData as ReceiverWorkerData;
  const receiver = await startReceiver({
    respond: data.respond === null ? undefined : (0, eval)(`(${data.respond})`),
    secret: data.secret ?? undefined,
    onRequest: (received) => host.postMessage({ received } satisfies FromReceiverWorker),
  });
  host.on('message', (message: ToReceiverWorker) => {
    if (message === 'close') void receiver.stop().then(() => host.close());
    else receiver.setSecret(message.secret);
  });
  host.postMessage({ port: receiver.port } satisfies FromReceiverWorker);
};

void bridge();
