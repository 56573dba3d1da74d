/**
 * The local gateway (libs/local/src/gateway.ts) in a process of its own, for tests that stop that
 * process with SIGSTOP as a stall of the stack's: `node --import tsx local-gateway-child.ts
 * '<options as JSON>'` (GatewayOptions' requestArrivalTimeoutMs, keepAliveTimeoutMs) prints its
 * port as one line once it listens, and runs until killed. Every key is refused (401); a route's
 * function answers 201 'made' at once, without running. With `outOfFiles`, once it listens it opens
 * files until the process has no descriptor left but one (a connection's), as under a flood of
 * connections, and closes them on SIGUSR2.
 */
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '@vigil/core';
import type { GatewayOptions } from '@vigil/local/gateway';
import { startGateway } from '@vigil/local/gateway';
import { testGatewayOptions } from './test-gateway';

const { outOfFiles, ...options } = JSON.parse(process.argv[2] ?? '{}') as Pick<
  GatewayOptions,
  'requestArrivalTimeoutMs' | 'keepAliveTimeoutMs'
> & { outOfFiles?: boolean };

/** Opens files until EMFILE, then gives one back; SIGUSR2 closes the rest. */
const useUpFileDescriptors = () => {
  const held: number[] = [];
  // First: a signal's first handler opens descriptors of its own (libuv's signal pipe).
  process.once('SIGUSR2', () => {
    for (const fd of held.splice(0)) closeSync(fd);
  });
  for (;;) {
    try {
      held.push(openSync('/dev/null', 'r'));
    } catch {
      break;
    }
  }
  closeSync(held.pop() as number);
};
const quiet = () => {};
const log: Logger = { info: quiet, warn: quiet, error: (message) => process.stderr.write(`${message}\n`) };

startGateway({
  ...testGatewayOptions(log),
  invocation: async <T>() => ({ statusCode: 201, headers: { 'content-type': 'text/plain' }, body: 'made' }) as T,
  ...options,
}).then(
  (gateway) => {
    if (outOfFiles) useUpFileDescriptors();
    process.stdout.write(`${gateway.port}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`the gateway did not start: ${String(error)}\n`);
    process.exit(1);
  },
);
