/**
 * A webhook receiver for trying Vigil locally (`npm run receiver`) and for the tests and the
 * benchmark: records every request with the instant it arrived, verifies Standard Webhooks
 * signatures when given the secret, and answers with a status chosen per request.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Epoch ms when the request line arrived. */
  arrivedAt: number;
  /** True or false when a secret was given; undefined otherwise. */
  verified?: boolean;
  status: number;
}

export interface ReceiverOptions {
  port?: number;
  host?: string;
  /** The tenant's `whsec_` secret: when set, every request's signature is checked. */
  secret?: string;
  /** The status to answer with; `count` is how many requests this path received before. */
  respond?: (request: { path: string; count: number; headers: IncomingHttpHeaders }) => number;
  /** Called with each request as it is recorded, before it is answered (the tests' receiver thread reports it so). */
  onRequest?: (received: ReceivedWebhook) => void;
}

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedWebhook[];
  setSecret(secret: string): void;
  /** Resolves once `predicate` holds for the received list, or rejects after `timeoutMs`. */
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs: number): Promise<ReceivedWebhook[]>;
  stop(): Promise<void>;
}

/**
 * Resolves once `predicate` holds for `received`, checked now and at each call of the wake this adds
 * to `waiters` (the receiver calls each as a request is recorded); rejects after `timeoutMs`, or at a
 * wake when `failed` gives an error (a receiver on a thread that ended).
 */
export const waitForReceived = (
  received: ReceivedWebhook[],
  waiters: Set<() => void>,
  predicate: (received: ReceivedWebhook[]) => boolean,
  timeoutMs: number,
  failed: () => Error | undefined = () => undefined,
): Promise<ReceivedWebhook[]> =>
  new Promise((resolve, reject) => {
    const check = () => {
      const failure = failed();
      if (failure) {
        cleanup();
        reject(failure);
        return;
      }
      if (!predicate(received)) return;
      cleanup();
      resolve(received);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${received.length} requests received)`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });

export const startReceiver = async (options: ReceiverOptions = {}): Promise<Receiver> => {
  const received: ReceivedWebhook[] = [];
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  let verifier = options.secret ? new Webhook(options.secret) : undefined;

  const server: Server = createServer((req, res) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const count = counts.get(path) ?? 0;
      counts.set(path, count + 1);
      const status = options.respond?.({ path, count, headers: req.headers }) ?? 200;
      let verified: boolean | undefined;
      if (verifier) {
        try {
          // The signature only: a text body is as valid as JSON (the library parses JSON unless told not to).
          verifier.verify(body, req.headers as Record<string, string>, { jsonParse: false });
          verified = true;
        } catch {
          verified = false;
        }
      }
      const entry: ReceivedWebhook = {
        path,
        method: req.method ?? '',
        headers: req.headers,
        body,
        arrivedAt,
        status,
        ...(verified !== undefined && { verified }),
      };
      received.push(entry);
      options.onRequest?.(entry);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : `answering ${status}`);
      for (const wake of waiters) wake();
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  // A port in use (or not to be had) rejects, rather than an unhandled 'error' event.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://${host}:${port}`,
    port,
    received,
    setSecret(secret) {
      verifier = new Webhook(secret);
    },
    waitFor: (predicate, timeoutMs) => waitForReceived(received, waiters, predicate, timeoutMs),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
