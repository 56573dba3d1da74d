/**
 * The local gateway (libs/local/src/gateway.ts) as its tests run it: on a free port of 127.0.0.1,
 * every key refused (401) unless a test gives its own authorizer, no authorizer cache, no rate
 * limits, its log the test's.
 */
import type { Logger } from '@vigil/core';
import { AuthorizerDenied } from '@vigil/functions/api/authorizer';
import type { GatewayOptions } from '@vigil/local/gateway';

export const testGatewayOptions = (log: Logger): GatewayOptions => ({
  port: 0,
  host: '127.0.0.1',
  authorizer: async () => {
    throw new AuthorizerDenied();
  },
  authCacheMs: 0,
  rateLimits: false,
  log,
});
