/**
 * The Vigil API as the web app's server calls it: through `@vigil/client` (the same typed client
 * any user of the API has, its types generated from openapi.yaml), with the signed-in user's
 * session token as the bearer token, so the app sees exactly what any tenant sees through the API.
 * Problems come back as ApiProblem; an expired session sends the user to sign in again.
 */
import {
  Vigil,
  VigilAuthError,
  VigilError,
  VigilNetworkError,
  VigilRateLimitError,
  VigilTimeoutError,
} from '@vigil/client';
import { utcMonthStart } from '@vigil/core/shared/utc-months';
import { sessionClaims } from '@vigil/core/tenancy/session';
import { randomBytes } from 'node:crypto';
import type { JWT } from 'next-auth/jwt';
import { encode } from 'next-auth/jwt';
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { consoleConfig } from './config';
import { PAGE_PATH_HEADER, signInHref } from './paths';
import { consoleSettings } from './console-settings';
import { quotaRenewal } from './format';
import type { Problem, SessionTenant } from './types';

export type { SessionTenant };

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

/**
 * A client for one bearer token (a function: the session cookie is read at each call). A page waits
 * for the API at most about 25 s: a try is given 12 s (the API's functions end at 10 s, and API
 * Gateway answers for them then) and a read one retry. The client's defaults (30 s, three retries)
 * left a page blank for 90 s before it said the API was not answering. A retry waits what
 * `Retry-After` asks only when that is a few seconds (a 429 over the rate asks one): a longer wait
 * (10 s for too many bulk jobs, 20 s for a rate) is said at once, with when to try again, rather
 * than a page or a dialog left waiting silently for it.
 */
const API_TRY_TIMEOUT_MS = 12_000;
const API_MAX_WAIT_MS = 3_000;

const clientFor = (token: () => Promise<string>): Vigil =>
  new Vigil({
    baseUrl: consoleConfig().apiUrl,
    apiKey: token,
    timeoutMs: API_TRY_TIMEOUT_MS,
    retries: { max: 1, maxTotalWaitMs: API_MAX_WAIT_MS },
    // Never cached by Next.js: every page shows the API's answer of the moment.
    fetch: (request) => fetch(request, { cache: 'no-store' }),
  });

/** The client's errors as the pages show them: a problem to render, or a new sign-in. */
const asApiProblem = async (error: unknown): Promise<never> => {
  // The session expired or its tenant is gone (401): sign in again. A 403 is the gateway refusing
  // the account (its access not set up), which a new sign-in would meet again: said on the page.
  if (error instanceof VigilAuthError && error.status !== 403)
    redirect(signInHref((await headers()).get(PAGE_PATH_HEADER), { expired: true }));
  // No answer in time is not "nothing there": the API may be slow and may have done what was
  // asked (a redeliver asked again would be a second one), so the page says to look first.
  if (error instanceof VigilTimeoutError) {
    throw new ApiProblem({
      type: 'api-timeout',
      status: 504,
      title: 'The Vigil API did not answer in time',
      detail:
        `No answer from ${consoleConfig().apiUrl} within ${API_TRY_TIMEOUT_MS / 1000} s. It may be busy, and what you ` +
        'asked may have been done: reload the page to see where things stand before you try again.',
    });
  }
  if (error instanceof VigilNetworkError) {
    throw new ApiProblem({
      type: 'api-unreachable',
      status: 503,
      title: 'The Vigil API is not reachable',
      detail: `Nothing answered at ${consoleConfig().apiUrl}. Is the API running?`,
    });
  }
  if (error instanceof VigilError)
    throw new ApiProblem({ ...error.problem, errors: error.errors, ...whenAgain(error) });
  throw error;
};

/**
 * When a 429 may be tried again, for the page to say: the seconds `Retry-After` asked, and for the
 * month's quota the instant it renews: the start of the UTC month Retry-After reaches into (the
 * guard's answer), or of the next one (API Gateway's request quota sends no Retry-After).
 */
const whenAgain = (error: VigilError, now = Date.now()): Pick<Problem, 'retryAfter' | 'renewsAt'> => {
  if (!(error instanceof VigilRateLimitError)) return {};
  const { retryAfter } = error;
  const asked = retryAfter === undefined ? {} : { retryAfter };
  if (!error.is('quota-exceeded')) return asked;
  const renewsAt =
    retryAfter === undefined ? quotaRenewal(now) : new Date(utcMonthStart(now + retryAfter * 1000)).toISOString();
  return { ...asked, renewsAt };
};

/** Calls the API as the signed-in user (no session: to the sign-in page). */
export const withVigil = async <T>(use: (vigil: Vigil) => Promise<T>): Promise<T> => {
  // No session (it expired, or its cookie went): to the sign-in page, saying so, and back here after.
  const vigil = clientFor(
    async () =>
      (await sessionToken()) ?? redirect(signInHref((await headers()).get(PAGE_PATH_HEADER), { expired: true })),
  );
  try {
    return await use(vigil);
  } catch (error) {
    return await asApiProblem(error);
  }
};

/**
 * Loads what a page shows; an API problem comes back as a value the page renders in words
 * (Next.js hides thrown errors' messages in production builds).
 */
export const loadPage = async <T>(
  load: (vigil: Vigil) => Promise<T>,
): Promise<{ data: T; problem?: never } | { problem: Problem }> => {
  try {
    return { data: await withVigil(load) };
  } catch (error) {
    if (error instanceof ApiProblem) return { problem: error.problem };
    throw error;
  }
};

/** The secret next-auth signs sessions with, which the API's authorizer shares. */
const sessionSecret = async (): Promise<string> => (await consoleSettings()).sessionSecret;

/** A new session's id (128 random bits): a sign-out revokes it (POST /v1/session/revoke). */
export const newSessionId = (): string => `ses_${randomBytes(16).toString('base64url')}`;

/**
 * At sign-out: the session is revoked in the API, which refuses its token from then on (within a
 * minute on AWS), even if someone kept a copy of the cookie. Best effort: the cookie is cleared anyway.
 */
export const revokeSession = async (session: JWT): Promise<void> => {
  const token = await encode({ token: session, secret: await sessionSecret(), maxAge: CLAIM_TOKEN_SECONDS });
  try {
    await clientFor(async () => token).session.revoke();
  } catch (error) {
    console.error(
      JSON.stringify({ level: 'warn', msg: 'could not revoke the session at sign-out', error: String(error) }),
    );
  }
};

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
  const token = await encode({
    token: {
      // A session of its own, for this one call: it ends with the token.
      ...sessionClaims(newSessionId(), Date.now()),
      sub: user.id,
      userId: user.id,
      email: user.email,
      ...(user.name && { name: user.name }),
    },
    secret: await sessionSecret(),
    maxAge: CLAIM_TOKEN_SECONDS,
  });
  try {
    return await clientFor(async () => token).session.claimTenant();
  } catch (error) {
    if (error instanceof VigilError) throw new ApiProblem({ ...error.problem, errors: error.errors });
    throw error;
  }
};
