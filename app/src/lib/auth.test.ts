/**
 * Signing in while Vigil's API does not answer: the first step of a sign-in (the person's tenant,
 * found or made by the API) fails, and the person is sent back to the sign-in page saying so, with
 * no session made, rather than a 500 that left the sign-in button seeming to do nothing. Driven
 * through next-auth's own handler as the form's `signIn('dev', …)` calls it (its CSRF token, then
 * the development sign-in's POST), the API a port nothing listens on.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Account, User } from 'next-auth';
import { describe, expect, it, vi } from 'vitest';

/** A port nothing listens on: one the system gave and was closed again. */
const closedPort = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    server.close(() => resolve(port));
  });
});
vi.stubEnv('NEXTAUTH_URL', 'http://localhost:3000');
vi.mock('./config', () => ({
  consoleConfig: () => ({ apiUrl: `http://127.0.0.1:${closedPort}`, devSignIn: true, sessionSecret: 'a-test-secret' }),
}));

const { authOptions } = await import('./auth');
const { ApiProblem } = await import('./api');
const { signInErrorWords, tenantClaimError } = await import('./sign-in-errors');
const { CALLBACK_URL_COOKIES, signInReturnPath } = await import('./paths');

/**
 * next-auth's own request handler, which the console's route (app/api/auth) hands each request to
 * (through next/headers, which has no request outside Next.js). Its package does not export it.
 */
const require = createRequire(import.meta.url);
const { AuthHandler } = require(join(dirname(require.resolve('next-auth')), 'core', 'index.js')) as {
  AuthHandler: (params: { req: Request; options: unknown }) => Promise<{
    status?: number;
    body?: unknown;
    redirect?: string;
    cookies?: { name: string; value: string }[];
  }>;
};

const CONSOLE = 'http://localhost:3000/api/auth';

/** A development sign-in as the form's `signIn('dev', …)` makes it: the CSRF token, then the POST. */
const devSignIn = async (email: string, callbackUrl = '/') => {
  const options = await authOptions();
  const csrf = await AuthHandler({ req: new Request(`${CONSOLE}/csrf`), options });
  const { csrfToken } = csrf.body as { csrfToken: string };
  const cookie = (csrf.cookies ?? []).map((c) => `${c.name}=${c.value}`).join('; ');
  return AuthHandler({
    req: new Request(`${CONSOLE}/callback/dev`, {
      method: 'POST',
      // The form posts its fields form-encoded; next-auth's route hands them on parsed, as this.
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ email, csrfToken, callbackUrl, json: 'true' }),
    }),
    options,
  });
};

describe('signing in while the API cannot be reached', () => {
  it('goes back to the sign-in page, which says Vigil cannot be reached, and makes no session', async () => {
    const answer = await devSignIn('ada@example.com');
    // The form's signIn() reads this redirect (as JSON) and goes there.
    expect(answer.redirect).toBe('/signin?error=ApiUnreachable');
    expect(answer.status ?? 200).toBeLessThan(500);
    expect((answer.cookies ?? []).map((c) => c.name)).not.toContainEqual(expect.stringContaining('session-token'));
    expect(signInErrorWords('ApiUnreachable')).toBe(
      'Vigil cannot be reached just now (its API did not answer), so you are not signed in. Try again in a moment.',
    );
  });

  it('keeps the page the sign-in was to go to, so a retry that works lands there and not on the overview', async () => {
    const answer = await devSignIn('ada@example.com', '/messages/msg_1?status=failed');
    // next-auth's error redirect drops the page; the cookie it sets with it keeps it.
    expect(answer.redirect).toBe('/signin?error=ApiUnreachable');
    const kept = (answer.cookies ?? []).find((c) => (CALLBACK_URL_COOKIES as readonly string[]).includes(c.name));
    expect(signInReturnPath({ error: 'ApiUnreachable' }, kept?.value)).toBe('/messages/msg_1?status=failed');
  });

  it('ends a Cognito sign-in the same way, before next-auth makes its session', async () => {
    const { callbacks } = await authOptions();
    const user: User = { id: 'a-cognito-sub', email: 'ada@example.com' };
    const account: Account = { provider: 'cognito', type: 'oauth', providerAccountId: 'a-cognito-sub' };
    await expect(callbacks?.signIn?.({ user, account })).resolves.toBe('/signin?error=ApiUnreachable');
  });
});

describe('why a tenant could not be claimed, as the sign-in page says it', () => {
  const refused = (status: number, type: string) => new ApiProblem({ type, status, title: 't', detail: 'd' });

  it('tells no answer in time, a failing or busy Vigil, and a refusal apart', () => {
    expect(tenantClaimError(refused(0, 'timeout'))).toBe('ApiTimeout');
    expect(tenantClaimError(refused(504, 'https://vigil.dev/problems/timeout'))).toBe('ApiTimeout');
    expect(tenantClaimError(refused(503, 'https://vigil.dev/problems/unavailable'))).toBe('ApiUnavailable');
    expect(tenantClaimError(refused(429, 'https://vigil.dev/problems/rate-limited'))).toBe('ApiUnavailable');
    expect(tenantClaimError(refused(403, 'https://vigil.dev/problems/forbidden'))).toBe('TenantClaim');
    expect(tenantClaimError(new Error('unexpected'))).toBe('TenantClaim');
    expect(signInErrorWords('ApiTimeout')).toBe(
      'Vigil did not answer in time, so you are not signed in. Try again in a moment.',
    );
    expect(signInErrorWords('SignInFailed')).toBe(
      'Signing in did not go through (the console did not answer it), so you are not signed in. Try again in a moment.',
    );
    expect(signInErrorWords('toString')).toBe('Signing in did not work. Please try again.');
  });
});
