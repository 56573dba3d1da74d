/**
 * The benchmarks' receiver, on a thread or in a process of its own (bench/receiver-thread.ts starts it): it stamps
 * each webhook's arrival on an event loop that does nothing else, so the benchmark's own work
 * (making messages, reading memory, counting arrivals, printing) cannot show up as lateness, and
 * the engine's loop does not parse the requests it sends, as no real receiver's would. It answers
 * 500 to the first attempt of a path containing `/flaky`, 200 otherwise, and posts the arrivals to
 * its host in batches (one message per turn of its loop, so a burst costs the host few messages):
 * `[{ arrivedAt, attempt, dueAt, path, webhookId }]`. Asked `'loop'`, it answers with its own
 * loop's longest delay since the last ask (ms).
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { parentPort } from 'node:worker_threads';
import { currentThreadId } from '../libs/local/src/thread-id.mjs';

// On a worker thread its host is the thread's parent port; in a process of its own (forked with
// IPC, as the soak runs it), the process's channel.
const host = parentPort ?? {
  postMessage: (message) => process.send(message),
  on: (event, listener) => process.on(event, listener),
  close: () => process.disconnect(),
};

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

let pending = [];
const flush = () => {
  host.postMessage({ arrivals: pending });
  pending = [];
};

const server = createServer((req, res) => {
  const arrivedAt = Date.now();
  const attempt = Number(req.headers['vigil-attempt'] ?? 0);
  const dueAt = Date.parse(String(req.headers['vigil-scheduled-at'] ?? ''));
  const path = req.url ?? '';
  if (pending.length === 0) setImmediate(flush);
  pending.push({ arrivedAt, attempt, dueAt, path, webhookId: String(req.headers['webhook-id'] ?? '') });
  req.resume();
  req.on('end', () => {
    const status = path.includes('/flaky') && attempt < 2 ? 500 : 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
  });
});
server.keepAliveTimeout = 65_000;

host.on('message', (message) => {
  if (message === 'loop') {
    host.postMessage({ loopMaxMs: loop.max / 1e6 });
    loop.reset();
  } else if (message === 'close') {
    server.closeAllConnections();
    server.close(() => host.close());
  }
});
// With its id in the operating system (Linux), so that a stack in the same process leaves its priority alone.
server.listen(0, '127.0.0.1', () => host.postMessage({ port: server.address().port, tid: currentThreadId() }));
