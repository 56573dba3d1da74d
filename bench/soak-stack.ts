/**
 * The local stack for `npm run soak`, as `npm start` runs it, plus two things over IPC (the heaps
 * cannot be read from outside): `memory` answers with the main thread's `process.memoryUsage()`
 * and the store's worker thread's, each taken after a full garbage collection in that thread (so
 * heapUsed is what is live, not garbage waiting for the next collection); `{ snapshot: prefix }`
 * writes a heap snapshot of each thread (`<prefix>-main.heapsnapshot`,
 * `<prefix>-dynalite.heapsnapshot`) and answers when done.
 */
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readLocalConfig } from '@vigil/local/config';
import { startStack } from '@vigil/local/stack';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const main = async () => {
  const stack = await startStack(readLocalConfig());
  process.on('message', (message: unknown) => {
    if (message === 'memory') {
      void stack.dynalite.memory(true).then((store) => {
        gc();
        process.send?.({ main: { memory: process.memoryUsage(), spaces: getHeapSpaceStatistics() }, store });
      });
    } else if (typeof message === 'object' && message !== null && 'snapshot' in message) {
      const prefix = String(message.snapshot);
      writeHeapSnapshot(`${prefix}-main.heapsnapshot`);
      void stack.dynalite
        .writeHeapSnapshot(`${prefix}-dynalite.heapsnapshot`)
        .then(() => process.send?.({ snapshot: prefix }));
    }
  });
  process.stdout.write(`API key ${stack.apiKey}\n`);
  process.on('SIGTERM', () => {
    void stack.stop().then(() => process.exit(0));
  });
};

main().catch((error) => {
  process.stderr.write(`soak stack failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
