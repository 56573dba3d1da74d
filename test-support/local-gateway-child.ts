/**
 * The local gateway (libs/local/src/gateway.ts) in a process of its own, for tests that stop that
 * process with SIGSTOP as a stall of the stack's: `node --import tsx local-gateway-child.ts
 * '<options as JSON>'` (GatewayOptions' requestArrivalTimeoutMs, keepAliveTimeoutMs) prints its
 * port as one line once it listens, and runs until killed. Every key is refused (401); a route's
 * function answers 201 'made' at once, without running.
 */
import type { Logger } from '@vigil/core';
import type { GatewayOptions } from '@vigil/local/gateway';
import { startGateway } from '@vigil/local/gateway';
import { testGatewayOptions } from './test-gateway';

const options = JSON.parse(process.argv[2] ?? '{}') as Pick<
  GatewayOptions,
  'requestArrivalTimeoutMs' | 'keepAliveTimeoutMs'
>;
const quiet = () => {};
const log: Logger = { info: quiet, warn: quiet, error: (message) => process.stderr.write(`${message}\n`) };

startGateway({
  ...testGatewayOptions(log),
  invocation: async <T>() => ({ statusCode: 201, headers: { 'content-type': 'text/plain' }, body: 'made' }) as T,
  ...options,
}).then(
  (gateway) => process.stdout.write(`${gateway.port}\n`),
  (error: unknown) => {
    process.stderr.write(`the gateway did not start: ${String(error)}\n`);
    process.exit(1);
  },
);
