/**
 * The local stack's services (stack-services.ts: dynalite's thread, the SQS, scheduler and API
 * Gateway emulators) in a process of their own on a data dir, for tests that stop that process
 * with SIGSTOP as a stall of the stack's: `node --import tsx local-services-child.ts <data dir>`
 * prints their endpoints as one JSON line once they listen, and runs until killed.
 */
import { startServices } from '@vigil/local/stack-services';
import type { Logger } from '@vigil/core';

const [dataDir = ''] = process.argv.slice(2);
const quiet = () => {};
const log: Logger = { info: quiet, warn: quiet, error: quiet };

startServices({
  dataDir,
  invoke: async () => {},
  onStoreFailure: (reason) => process.stderr.write(`store failure: ${reason}\n`),
  log,
}).then(
  (services) => process.stdout.write(`${JSON.stringify(services.endpoints)}\n`),
  (error: unknown) => {
    process.stderr.write(`the services did not start: ${String(error)}\n`);
    process.exit(1);
  },
);
