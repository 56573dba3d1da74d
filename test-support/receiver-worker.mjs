/**
 * The entry of the tests' receiver thread (receiver-thread.ts starts it): a worker thread loads
 * only JavaScript, so this loads receiver-bridge.ts (startReceiver, bridged to the host) through
 * tsx, with the repository's tsconfig (its path aliases) wherever the tests run from.
 */
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

await tsImport('./receiver-bridge.ts', {
  parentURL: import.meta.url,
  tsconfig: join(import.meta.dirname, '..', 'tsconfig.json'),
});
