/**
 * The authorizer as deployed: the session secret is not in its environment but in an SSM
 * SecureString parameter it is given the name of (VIGIL_SESSION_SECRET_PARAMETER), read through the
 * SDK's SSMClient, here from a local endpoint speaking the SSM protocol.
 */
import { tenantForUser } from '@vigil/core';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSessionToken } from '../../test-support/console-session';
import { apiClient, startTestStack } from '../../test-support/local-stack';
import type { SsmParameterEndpoint } from '../../test-support/ssm-parameter-endpoint';
import { startSsmParameterEndpoint } from '../../test-support/ssm-parameter-endpoint';

const PARAMETER = '/vigil/local/session-secret';
const SSM_SECRET = 'the-secret-held-in-parameter-store';
let ssm: SsmParameterEndpoint;
let stack: LocalStack;

beforeAll(async () => {
  ssm = await startSsmParameterEndpoint();
  ssm.put(PARAMETER, SSM_SECRET);
  stack = await startTestStack({
    env: { VIGIL_SESSION_SECRET_PARAMETER: PARAMETER, VIGIL_SSM_ENDPOINT: ssm.endpoint },
  });
});
afterAll(async () => {
  await stack?.stop();
  await ssm?.stop();
});

describe('the session secret from SSM Parameter Store', () => {
  it('accepts tokens made with the parameter’s value, refuses others, and reads the parameter once', async () => {
    const tenant = await tenantForUser(stack.tenantAdmin.tenancy, {
      id: 'dev:fa@example.com',
      email: 'fa@example.com',
    });
    const withParameter = await consoleSessionToken({ tenantId: tenant.id }, { secret: SSM_SECRET });
    // The secret the local stack would otherwise pass in the environment no longer opens the API.
    const withEnvironment = await consoleSessionToken({ tenantId: tenant.id }, { secret: stack.sessionSecret });

    expect((await apiClient(stack.url, withParameter).get('/v1/keys')).status).toBe(200);
    expect((await apiClient(stack.url, withEnvironment).get('/v1/keys')).status).toBe(401);
    expect(
      (
        await apiClient(stack.url, await consoleSessionToken({ tenantId: tenant.id }, { secret: SSM_SECRET })).get(
          '/v1/keys',
        )
      ).status,
    ).toBe(200);

    // Decrypted, and cached: three authorizations, one read.
    expect(ssm.requests).toEqual([
      { target: 'AmazonSSM.GetParameter', body: { Name: PARAMETER, WithDecryption: true } },
    ]);
  });
});
