// Runs dynalite (the DynamoDB API on LevelDB) in a worker thread, so the local stack's store
// gets a core of its own instead of sharing the event loop with the API and the delivery worker.
// Plain JavaScript: a worker thread loads it as it is, under tsx, vitest or plain node.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import process from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { applyDynalitePatches } from './dynalite-patches.mjs';
import { currentThreadId } from './thread-id.mjs';

// Before the first store is made: dynalite 4.0.0 never closes its LevelDB iterators otherwise.
applyDynalitePatches();

// An error dynalite answered with a 500 (patches/dynalite+4.0.0.patch) goes to the stack too: one
// LevelDB gives on a write it cannot make (a full or failing disk) means every later write fails.
dynalite.onUnexpectedError = (error) =>
  parentPort.postMessage({ storeError: { message: String(error?.message ?? error), code: error?.code } });

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// No bound of Node's own on how long a request may take to arrive (headersTimeout, 60 s, and
// requestTimeout): its clients are the stack's, whose deadlines know a stall of the process, and
// Node judges its bound by the clock, before the sockets are read, so after a stall of over 60 s
// (SIGSTOP) a request whose head was arriving was answered 408, which the SDK does not retry.
server.headersTimeout = 0;
server.requestTimeout = 0;
// Nor does it close an idle kept-alive connection (Node's 5 s keepAliveTimeout): its one client, the
// stack's SDK, closes its own (Node's agent, told no Keep-Alive timeout, keeps them until it closes
// them). Node's timer judges by the clock too, so after a stall of over 6 s it closed every idle
// connection as the process resumed, under a request the SDK might be sending on it (ECONNRESET, one
// retry more). The other services' idle timeout is kept in the process's own time
// (connection-deadlines.ts), which this thread, plain JavaScript, cannot load.
server.keepAliveTimeout = 0;
server.once('error', (error) => parentPort.postMessage({ error: String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port, tid: currentThreadId() }));
parentPort.on('message', (message) => {
  if (message === 'close') server.close(() => parentPort.postMessage({ closed: true }));
  // This thread's own V8 heap (process.memoryUsage() in a worker reports its isolate's heap),
  // after a full collection when asked (the soak's measurements: what is live, not garbage).
  if (message === 'memory' || message === 'memory-after-gc') {
    if (message === 'memory-after-gc') collectGarbage();
    parentPort.postMessage({ memory: process.memoryUsage(), spaces: getHeapSpaceStatistics() });
  }
});

let gc;
/** A full garbage collection, made callable on first use (diagnostics only: never on a request's path). */
const collectGarbage = () => {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  }
  gc();
};
