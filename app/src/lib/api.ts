/**
 * The Vigil API as the web app's server calls it: with the signed-in user's session token, so the
 * app sees exactly what any tenant sees through the API. Problems come back as ApiProblem.
 */
import { encode } from 'next-auth/jwt';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { webConfig } from './config';
import type { Problem } from './types';

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiProblem';
  }
}

/** next-auth's session cookie (its `__Secure-` form on https), joined if it was split into chunks. */
const SESSION_COOKIES = ['__Secure-next-auth.session-token', 'next-auth.session-token'];

const sessionToken = async (): Promise<string | undefined> => {
  const jar = await cookies();
  for (const name of SESSION_COOKIES) {
    const whole = jar.get(name)?.value;
    if (whole) return whole;
    const chunks = jar
      .getAll()
      .filter((c) => c.name.startsWith(`${name}.`))
      .sort((a, b) => Number(a.name.split('.').pop()) - Number(b.name.split('.').pop()));
    if (chunks.length > 0) return chunks.map((c) => c.value).join('');
  }
  return undefined;
};

const asProblem = (status: number, text: string): Problem => {
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed.title === 'string')
      return { status, detail: '', type: 'about:blank', ...parsed } as Problem;
  } catch {
    // not JSON: fall through
  }
  return { type: 'about:blank', status, title: `The API answered ${status}`, detail: text.slice(0, 200) };
};

export const callApi = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const token = await sessionToken();
  if (!token) redirect('/signin');
  let response: Response;
  try {
    response = await fetch(`${webConfig().apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiProblem({
      type: 'api-unreachable',
      status: 503,
      title: 'The Vigil API is not reachable',
      detail: `Nothing answered at ${webConfig().apiUrl}. Is the API running?`,
    });
  }
  const text = await response.text();
  // The session expired or its tenant is gone: sign in again.
  if (response.status === 401) redirect('/signin?error=SessionExpired');
  if (!response.ok) throw new ApiProblem(asProblem(response.status, text));
  return (text ? JSON.parse(text) : undefined) as T;
};

export const api = {
  get: <T>(path: string) => callApi<T>('GET', path),
  post: <T>(path: string, body?: unknown) => callApi<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => callApi<T>('PATCH', path, body),
  delete: <T>(path: string) => callApi<T>('DELETE', path),
};

/**
 * Loads what a page shows; an API problem comes back as a value the page renders in words
 * (Next.js hides thrown errors' messages in production builds).
 */
export const loadPage = async <T>(
  load: () => Promise<T>,
): Promise<{ data: T; problem?: never } | { problem: Problem }> => {
  try {
    return { data: await load() };
  } catch (error) {
    if (error instanceof ApiProblem) return { problem: error.problem };
    throw error;
  }
};

/** The tenant a signed-in user acts for (`SessionTenant` in openapi.yaml). */
export interface SessionTenant {
  id: string;
  name: string;
  plan: string;
}

/** How long the sign-in's own token for claiming the tenant is good for. */
const CLAIM_TOKEN_SECONDS = 60;

/**
 * At sign-in, before the session exists: the user's tenant, made by the API on their first sign-in
 * (POST /v1/session/tenant). The call carries a short-lived session token for the user alone
 * (no tenant yet), made with the secret the API's authorizer shares; such a token is good for
 * this one route only.
 */
export const claimSessionTenant = async (user: {
  id: string;
  email: string;
  name?: string;
}): Promise<SessionTenant> => {
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new Error('The web app needs NEXTAUTH_SECRET in its environment (the local stack sets it).');
  const token = await encode({
    token: { sub: user.id, userId: user.id, email: user.email, ...(user.name && { name: user.name }) },
    secret,
    maxAge: CLAIM_TOKEN_SECONDS,
  });
  const response = await fetch(`${webConfig().apiUrl}/v1/session/tenant`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  const text = await response.text();
  if (!response.ok) throw new ApiProblem(asProblem(response.status, text));
  return JSON.parse(text) as SessionTenant;
};
