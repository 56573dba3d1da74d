/**
 * The tests' webhook receiver on a thread of its own (test-support/receiver-thread.ts starts it):
 * what libs/local/src/receiver.ts does (records each request, verifies its signature when given the
 * secret, answers with the status `respond` chooses for its path and count), on an event loop the
 * local stack does not share, so a stall of the stack's thread does not stop it answering. Plain
 * JavaScript, as a worker thread loads it. It posts each request to its host as it is recorded,
 * before it answers: `{ received }`; it takes `{ secret }` and `'close'`.
 */
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { Webhook } from 'standardwebhooks';

// The host's `respond`, sent as its source: it runs here, so it may use only its argument.
const respond = workerData.respond === null ? undefined : (0, eval)(`(${workerData.respond})`);
let verifier = workerData.secret === null ? undefined : new Webhook(workerData.secret);
const counts = new Map();

const server = createServer((req, res) => {
  const arrivedAt = Date.now();
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const path = req.url ?? '/';
    const body = Buffer.concat(chunks).toString('utf8');
    const count = counts.get(path) ?? 0;
    counts.set(path, count + 1);
    const status = respond?.({ path, count, headers: req.headers }) ?? 200;
    let verified;
    if (verifier) {
      try {
        verifier.verify(body, req.headers, { jsonParse: false });
        verified = true;
      } catch {
        verified = false;
      }
    }
    const received = { path, method: req.method ?? '', headers: req.headers, body, arrivedAt, status };
    if (verified !== undefined) received.verified = verified;
    parentPort.postMessage({ received });
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status < 300 ? 'ok' : `answering ${status}`);
  });
});
server.keepAliveTimeout = 65_000;

parentPort.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.close());
  } else verifier = new Webhook(message.secret);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
