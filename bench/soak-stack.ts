/**
 * The local stack for `npm run soak`, as `npm start` runs it, plus one thing: it answers the soak's
 * IPC message `memory` with its own `process.memoryUsage()` (the heap cannot be read from outside).
 */
import { readLocalConfig } from '@vigil/local/config';
import { startStack } from '@vigil/local/stack';

const main = async () => {
  const stack = await startStack(readLocalConfig());
  process.on('message', (message) => {
    if (message === 'memory') process.send?.({ memory: process.memoryUsage() });
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
