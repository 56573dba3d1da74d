/**
 * The deployed console's session secret, wired for the console's composition root
 * (app/src/instrumentation.ts), which hands the app the port alone: the app's code never imports
 * an adapter. The same SsmSecretSource as the authorizer's (decrypted, re-read at most every
 * SECRET_CACHE_MS), so both hold the same value and a rotation reaches both within minutes.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretSource } from '@vigil/core';
import { SsmSecretSource } from '../secret-source';
import { systemClock } from '../system-clock';

/** The SSM SecureString parameter `parameterName`, read with a client for the function's own region. */
export const consoleSessionSecret = (parameterName: string): SecretSource =>
  new SsmSecretSource(new SSMClient(), parameterName, systemClock);
