/**
 * The Vigil API as the web app's server calls it: with the signed-in user's session token, so the
 * app sees exactly what any tenant sees through the API. Problems come back as ApiProblem.
 *
 * `api` is typed by the contract: its paths, parameters, bodies and answers are the types
 * generated from openapi.yaml (`@vigil/contract`), so a route or shape the contract does not have
 * does not compile.
 */
import type { components, paths } from '@vigil/contract';
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

type Method = 'get' | 'post' | 'patch' | 'delete';

/** The contract's operation for a route and method (`never` where it has none). */
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The routes that answer `M`. */
type RoutesFor<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never;
}[keyof paths];

/** The JSON an operation answers with on success (`undefined` for a 204). */
type Answer<O> = O extends { responses: infer R }
  ? {
      [S in keyof R]: S extends 200 | 201 | 202 | 204
        ? R[S] extends { content: { 'application/json': infer B } }
          ? B
          : undefined
        : never;
    }[keyof R]
  : never;

/** What a call gives: the path's parameters, the query and the JSON body, each only where the route takes one. */
type Input<O> = (O extends { parameters: { path: infer A } } ? { path: A } : { path?: never }) &
  (O extends { parameters: { query?: infer Q } }
    ? [Q] extends [never | undefined]
      ? object
      : { query?: Q }
    : object) &
  (O extends { requestBody: { content: { 'application/json': infer B } } } ? { body: B } : object);

/** `{ path, query }` into the URL: `/v1/messages/{messageId}` with its parameter, then `?limit=25`. */
const urlOf = (route: string, input: { path?: object; query?: object }): string => {
  const params = (input.path ?? {}) as Record<string, string>;
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])));
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(input.query ?? {})) {
    if (value !== undefined) query.set(name, String(value));
  }
  return query.size ? `${path}?${query}` : path;
};

/** A typed call: the route as the contract spells it, its inputs, and its answer. */
const call =
  <M extends Method>(method: M) =>
  <P extends RoutesFor<M>>(
    route: P,
    ...[input]: object extends Input<Operation<P, M>> ? [Input<Operation<P, M>>?] : [Input<Operation<P, M>>]
  ): Promise<Answer<Operation<P, M>>> => {
    const given = (input ?? {}) as { path?: object; query?: object; body?: unknown };
    // A POST always sends a JSON body (an empty object for routes that take none), as the API expects.
    const body = given.body ?? (method === 'post' ? {} : undefined);
    return callApi(method.toUpperCase(), urlOf(route, given), body);
  };

export const api = {
  get: call('get'),
  post: call('post'),
  patch: call('patch'),
  delete: call('delete'),
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

/** The tenant a signed-in user acts for. */
export type SessionTenant = components['schemas']['SessionTenant'];

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
