/**
 * The authorizer: API keys and the web app's next-auth session tokens map to the tenant, and the
 * tenant's API Gateway key comes back as usageIdentifierKey for its plan's usage plan. A session
 * of a user without a tenant yet is good for one route only: POST /v1/session/tenant. A session
 * token must be the console's, for the API (issuer, audience), at most 12 hours past sign-in, and
 * not signed out.
 */
import { handler as authorizer } from '@vigil/functions/api/authorizer';
import type { LocalStack } from '@vigil/local/stack';
import { provisionTenant, tenantForUser } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleSessionOptions } from '../../test-support/console-session';
import { consoleSessionToken } from '../../test-support/console-session';
import { apiClient, startTestStack } from '../../test-support/local-stack';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const HOUR_MS = 3_600_000;

const sessionFor = (claims: Record<string, unknown>, options: Partial<ConsoleSessionOptions> = {}) =>
  consoleSessionToken(
    { sub: 'user-1', email: 'ada@example.com', ...claims },
    { secret: stack.sessionSecret, ...options },
  );

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
      await sessionFor({ tenantId: tenant.id }, { secret: 'another-secret-of-enough-length' }),
      await sessionFor({ tenantId: tenant.id }, { maxAge: -60 }),
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
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
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

  it('refuses a token of another issuer or audience, without a session id, or signed in more than 12 hours ago', async () => {
    const tenant = await tenantForUser(stack.tenantAdmin.tenancy, {
      id: 'dev:cy@example.com',
      email: 'cy@example.com',
    });
    const web = (token: string) => apiClient(stack.url, token).get('/v1/keys');
    // The same token with the console's claims is served: only the claim under test differs.
    expect((await web(await sessionFor({ tenantId: tenant.id }))).status).toBe(200);
    const longAgo = Date.now() - 12 * HOUR_MS - 60_000;
    const refused = {
      'another issuer': await sessionFor({ tenantId: tenant.id }, { override: { iss: 'https://evil.example' } }),
      'no issuer': await sessionFor({ tenantId: tenant.id }, { override: { iss: undefined } }),
      'another audience': await sessionFor({ tenantId: tenant.id }, { override: { aud: 'another-api' } }),
      'no audience': await sessionFor({ tenantId: tenant.id }, { override: { aud: undefined } }),
      'no session id': await sessionFor({ tenantId: tenant.id }, { override: { sid: undefined } }),
      // next-auth re-issues tokens as the user browses: a fresh token of an old session is refused too.
      'signed in 12 h 1 min ago': await sessionFor({ tenantId: tenant.id }, { signedInAt: longAgo, maxAge: 3600 }),
    };
    for (const [why, token] of Object.entries(refused)) {
      const response = await web(token);
      expect(response.status, why).toBe(401);
      expect(response.headers.get('content-type'), why).toContain('application/problem+json');
    }
    // Eleven hours in, the session still serves.
    const elevenHours = await sessionFor({ tenantId: tenant.id }, { signedInAt: Date.now() - 11 * HOUR_MS });
    expect((await web(elevenHours)).status).toBe(200);
  });

  it('refuses a signed-out session at once: its own sign-out revokes it, other sessions go on', async () => {
    const tenant = await tenantForUser(stack.tenantAdmin.tenancy, {
      id: 'dev:di@example.com',
      email: 'di@example.com',
    });
    const signedOut = apiClient(stack.url, await sessionFor({ tenantId: tenant.id }));
    const other = apiClient(stack.url, await sessionFor({ tenantId: tenant.id }));
    // Both are served, and the local gateway has cached both answers (as API Gateway would, for 60 s).
    expect((await signedOut.get('/v1/keys')).status).toBe(200);
    expect((await other.get('/v1/keys')).status).toBe(200);

    const revoked = await signedOut.post('/v1/session/revoke', {});

    expect(revoked.status).toBe(204);
    const after = await signedOut.get('/v1/keys');
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toContain('application/problem+json');
    expect((await other.get('/v1/keys')).status).toBe(200);
  });

  it('keeps no answer of its own: the authorizer refuses a revoked session on the next call (AWS caches it for at most 60 s)', async () => {
    const tenant = await tenantForUser(stack.tenantAdmin.tenancy, {
      id: 'dev:ed@example.com',
      email: 'ed@example.com',
    });
    const methodArn = 'arn:aws:execute-api:us-east-1:000000000000:abc123/local/GET/v1/keys';
    const token = await sessionFor({ tenantId: tenant.id });
    const event = { type: 'REQUEST', methodArn, headers: { Authorization: `Bearer ${token}` } } as never;
    const allowed = await authorizer(event);
    expect(allowed.context).toMatchObject({
      tenantId: tenant.id,
      keyId: 'session',
      sessionId: expect.stringMatching(/^ses_/),
    });

    await apiClient(stack.url, token).post('/v1/session/revoke', {});

    await expect(authorizer(event)).rejects.toThrow('Unauthorized');
  });
});
