/** The web app calls the API with the user's next-auth session token; the authorizer maps it to the tenant. */
import type { LocalStack } from '@vigil/local/stack';
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
  it("serves the signed-in user's tenant, made on first sign-in, and only that tenant", async () => {
    const user = { id: 'dev:ada@example.com', email: 'ada@example.com' };
    const tenant = await stack.runtime.provisioner.tenantForUser(user);
    // A second sign-in finds the same tenant.
    expect((await stack.runtime.provisioner.tenantForUser(user)).id).toBe(tenant.id);
    expect(tenant).toMatchObject({ name: 'ada@example.com', plan: 'free' });

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
    const tenant = await stack.runtime.provisioner.tenantForUser({
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
});
