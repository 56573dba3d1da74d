// Runs dynalite (the DynamoDB API on LevelDB) in a worker thread, so the local stack's store
// gets a core of its own instead of sharing the event loop with the API and the delivery worker.
// Plain JavaScript: a worker thread loads it as it is, under tsx, vitest or plain node.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { applyDynalitePatches } from './dynalite-patches.mjs';

// Before the first store is made: dynalite 4.0.0 never closes its LevelDB iterators otherwise.
applyDynalitePatches();

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort.postMessage({ closed: true }));
});
