/**
 * The session secret from SSM Parameter Store, through the AWS SDK's own SSMClient against a local
 * endpoint speaking the SSM JSON protocol: read decrypted at cold start, once for concurrent
 * callers, cached for five minutes so a rotation takes effect without a redeploy.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { FixedClock } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SsmParameterEndpoint } from '../../../test-support/ssm-parameter-endpoint';
import { startSsmParameterEndpoint } from '../../../test-support/ssm-parameter-endpoint';
import { SECRET_CACHE_MS, SecretSourceError, SsmSecretSource } from './secret-source';

const NAME = '/vigil/test/session-secret';
let ssm: SsmParameterEndpoint;
let client: SSMClient;

beforeAll(async () => {
  ssm = await startSsmParameterEndpoint();
  client = new SSMClient({
    region: 'us-east-1',
    endpoint: ssm.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await ssm?.stop();
});

const readsOf = (name: string) => ssm.requests.filter((r) => r.body.Name === name).length;

describe('SsmSecretSource', () => {
  describe('at cold start', () => {
    it('reads the SecureString decrypted, once for every caller waiting on it', async () => {
      // Prepare
      const name = `${NAME}/cold`;
      ssm.put(name, 'first-secret-of-enough-length');
      const source = new SsmSecretSource(client, name, new FixedClock(0));

      // Act
      const values = await Promise.all([source.get(), source.get(), source.get()]);

      // Assess
      expect(values).toEqual(Array(3).fill('first-secret-of-enough-length'));
      const reads = ssm.requests.filter((r) => r.body.Name === name);
      expect(reads).toEqual([{ target: 'AmazonSSM.GetParameter', body: { Name: name, WithDecryption: true } }]);
    });

    it('fails loudly, naming the parameter and how to create it, when the parameter does not exist', async () => {
      const source = new SsmSecretSource(client, `${NAME}/missing`, new FixedClock(0));
      const error = await source.get().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretSourceError);
      expect((error as Error).message).toContain(`${NAME}/missing`);
      expect((error as Error).message).toContain('aws ssm put-parameter --type SecureString');
    });

    it('refuses a parameter too short to be a secret', async () => {
      ssm.put(`${NAME}/short`, 'short');
      const source = new SsmSecretSource(client, `${NAME}/short`, new FixedClock(0));
      await expect(source.get()).rejects.toThrow(/at least 16 characters/);
    });
  });

  describe('rotation', () => {
    it('serves the cached value for five minutes, then the rotated one, without a redeploy', async () => {
      // Prepare
      const name = `${NAME}/rotated`;
      ssm.put(name, 'before-rotation-secret-value');
      const clock = new FixedClock(1_000_000);
      const source = new SsmSecretSource(client, name, clock);
      expect(await source.get()).toBe('before-rotation-secret-value');

      // Act: the operator rotates the parameter.
      ssm.put(name, 'after-rotation-secret-value!');
      clock.advance(SECRET_CACHE_MS - 1);
      const stillCached = await source.get();
      clock.advance(1);
      const reread = await source.get();

      // Assess
      expect(SECRET_CACHE_MS).toBe(5 * 60_000);
      expect(stillCached).toBe('before-rotation-secret-value');
      expect(reread).toBe('after-rotation-secret-value!');
      expect(readsOf(name)).toBe(2);
    });

    it('keeps the last good value when a re-read fails, and reads again on the next call', async () => {
      const name = `${NAME}/flaky`;
      ssm.put(name, 'good-secret-of-enough-length');
      const clock = new FixedClock(0);
      const source = new SsmSecretSource(client, name, clock);
      await source.get();

      clock.advance(SECRET_CACHE_MS);
      ssm.failNext(1);
      expect(await source.get()).toBe('good-secret-of-enough-length');
      ssm.put(name, 'rotated-secret-of-enough-len');
      expect(await source.get()).toBe('rotated-secret-of-enough-len');
      expect(readsOf(name)).toBe(3);
    });
  });
});
