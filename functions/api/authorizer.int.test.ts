/**
 * The authorizer: API keys and the web app's next-auth session tokens map to the tenant, and the
 * tenant's API Gateway key comes back as usageIdentifierKey for its plan's usage plan. A session
 * of a user without a tenant yet is good for one route only: POST /v1/session/tenant.
 */
import { handler as authorizer } from '@vigil/functions/api/authorizer';
import type { LocalStack } from '@vigil/local/stack';
import { provisionTenant, tenantForUser } from '@vigil/core';
import { encode } from 'next-auth/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../test-support/local-stack';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const sessionFor = (claims: Record<string, unknown>, secret = stack.sessionSecret, maxAge?: number) =>
  encode({ token: { sub: 'user-1', email: 'ada@example.com', ...claims }, secret, ...(maxAge && { maxAge }) });

describe('next-auth session tokens', () => {
  it("serves the signed-in user's tenant, made on first sign-in through the API, and only that tenant", async () => {
    // The console's server, at sign-in: a session for the user alone claims their tenant.
    const signingIn = apiClient(stack.url, await sessionFor({ userId: 'dev:ada@example.com' }));
    const first = await signingIn.post('/v1/session/tenant', {});
    expect(first.status).toBe(200);
    const tenant = first.json as { id: string; name: string; plan: string };
    expect(tenant).toMatchObject({ id: expect.stringMatching(/^tnt_/), name: 'ada@example.com', plan: 'free' });
    // A second sign-in finds the same tenant, which is bound to its plan's usage plan.
    expect((await signingIn.post('/v1/session/tenant', {})).json).toEqual(tenant);
    expect((await stack.runtime.tenants.getTenant(tenant.id))?.usageKey).toEqual(expect.any(String));

    const web = apiClient(stack.url, await sessionFor({ tenantId: tenant.id }));
    const created = await web.post('/v1/keys', { name: 'from the web app' });
    expect(created.status).toBe(201);
    // The key made with the session belongs to the user's tenant, not to the development tenant.
    const own = await web.get('/v1/keys');
    expect(own.json.items.map((k: { id: string }) => k.id)).toEqual([created.json.id]);
    const dev = await apiClient(stack.url, stack.apiKey).get('/v1/keys');
    expect(dev.json.items.map((k: { id: string }) => k.id)).not.toContain(created.json.id);
  });

  it('refuses a token made with another secret, an expired one, one without a tenant, or an unknown tenant', async () => {
    const tenant = await tenantForUser(stack.tenantAdmin.tenancy, {
      id: 'dev:bob@example.com',
      email: 'bob@example.com',
    });
    const refused = [
      await sessionFor({ tenantId: tenant.id }, 'another-secret-of-enough-length'),
      await sessionFor({ tenantId: tenant.id }, stack.sessionSecret, -60),
      await sessionFor({}),
      await sessionFor({ tenantId: 'tnt_01J00000000000000000000000' }),
      'not-a-token',
    ];
    for (const token of refused) {
      const response = await apiClient(stack.url, token).get('/v1/keys');
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it("returns the tenant's API Gateway key as usageIdentifierKey, for API keys and session tokens alike", async () => {
    const made = await provisionTenant(stack.tenantAdmin.tenancy, { name: 'metered', plan: 'pro', firstKeyName: 'k' });
    expect(made.tenant.usageKey).toEqual(expect.any(String));
    const methodArn = 'arn:aws:execute-api:us-east-1:000000000000:abc123/local/GET/v1/messages';
    const event = (token: string) =>
      ({ type: 'REQUEST', methodArn, headers: { Authorization: `Bearer ${token}` } }) as never;

    const byKey = await authorizer(event(made.apiKey));
    const bySession = await authorizer(event(await sessionFor({ tenantId: made.tenant.id })));

    for (const answer of [byKey, bySession]) {
      expect(answer.usageIdentifierKey).toBe(made.tenant.usageKey);
      expect(answer.context).toMatchObject({ tenantId: made.tenant.id, plan: 'pro' });
      expect(answer.policyDocument.Statement).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Resource: 'arn:aws:execute-api:us-east-1:000000000000:abc123/local/*',
        }),
      ]);
    }
    expect(bySession.context?.keyId).toBe('session');
  });

  it('lets a session without a tenant claim one, and nothing else; other credentials may not claim', async () => {
    const tenantless = apiClient(stack.url, await sessionFor({ userId: 'dev:eve@example.com' }));
    for (const call of [() => tenantless.get('/v1/keys'), () => tenantless.get('/v1/messages')]) {
      const response = await call();
      expect(response.status).toBe(401);
    }
    // Without the user's id, or with a key rather than a session, there is nobody to claim for.
    for (const token of [await sessionFor({}), stack.apiKey]) {
      const response = await apiClient(stack.url, token).post('/v1/session/tenant', {});
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await stack.runtime.tenants.listTenants()).not.toContainEqual(
      expect.objectContaining({ name: 'eve@example.com' }),
    );

    // API Gateway caches the answer per token: the policy names this one method only.
    const methodArn = 'arn:aws:execute-api:us-east-1:000000000000:abc123/local/POST/v1/session/tenant';
    const answer = await authorizer({
      type: 'REQUEST',
      methodArn,
      resource: '/v1/session/tenant',
      httpMethod: 'POST',
      headers: { Authorization: `Bearer ${await sessionFor({ userId: 'dev:eve@example.com', name: 'Eve' })}` },
    } as never);
    expect(answer.policyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Resource: methodArn }),
    ]);
    expect(answer.context).toEqual({ userId: 'dev:eve@example.com', email: 'ada@example.com', name: 'Eve' });
    expect(answer.usageIdentifierKey).toBeUndefined();
  });
});
