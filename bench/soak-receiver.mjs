/**
 * The soak's receiver, on a thread of its own (bench/soak.ts starts it): it stamps each webhook's
 * arrival on an event loop that does nothing else, so the soak's own work (making messages,
 * reading memory, printing) cannot show up as lateness. It answers 500 to the first attempt of
 * `/soak/flaky`, 200 otherwise, and posts each arrival to the soak:
 * `{ arrivedAt, attempt, dueAt, path }`. Asked `'loop'`, it answers with its own loop's longest
 * delay since the last ask (ms).
 */
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

const server = createServer((req, res) => {
  const arrivedAt = Date.now();
  const attempt = Number(req.headers['vigil-attempt'] ?? 0);
  const dueAt = Date.parse(String(req.headers['vigil-scheduled-at'] ?? ''));
  parentPort.postMessage({ arrivedAt, attempt, dueAt, path: req.url ?? '' });
  req.resume();
  req.on('end', () => {
    const status = req.url?.startsWith('/soak/flaky') && attempt < 2 ? 500 : 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
  });
});
server.keepAliveTimeout = 65_000;

parentPort.on('message', (message) => {
  if (message === 'loop') {
    parentPort.postMessage({ loopMaxMs: loop.max / 1e6 });
    loop.reset();
  } else if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.close());
  }
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
