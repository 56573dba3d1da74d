/**
 * Why a sign-in ended not signed in, as the sign-in page says it (its `error` query parameter):
 * next-auth's own codes, and the console's for a first step that failed on Vigil's side. A sign-in
 * finds or makes the person's tenant through the API (auth.ts's `signIn` callback); when the API
 * does not answer, the person is sent back to the sign-in page with one of these codes, not left
 * on a 500 with a button that seems to do nothing.
 */
import { ApiProblem } from './api';

/** The console's own codes: why the tenant could not be claimed. */
export type TenantClaimError = 'ApiUnreachable' | 'ApiTimeout' | 'ApiUnavailable' | 'TenantClaim';

/** What stopped the claim, from what claimSessionTenant threw (an ApiProblem, or anything else). */
export const tenantClaimError = (error: unknown): TenantClaimError => {
  if (!(error instanceof ApiProblem)) return 'TenantClaim';
  const { status, type } = error.problem;
  // No answer at all: @vigil/client's network error and timeout (status 0).
  if (status === 0) return type.endsWith('timeout') ? 'ApiTimeout' : 'ApiUnreachable';
  if (status === 504) return 'ApiTimeout';
  if (status >= 500 || status === 429) return 'ApiUnavailable';
  return 'TenantClaim';
};

/** Where a sign-in whose tenant could not be claimed goes: the sign-in page, saying why. */
export const tenantClaimFailedHref = (error: unknown): string => `/signin?error=${tenantClaimError(error)}`;

const AGAIN = 'so you are not signed in. Try again in a moment.';

const WORDS: Record<string, string> = {
  CredentialsSignin: 'That does not look like an email address.',
  SessionExpired: 'Your session has ended, so what you last asked for was not done. Please sign in again.',
  Callback: 'Signing in did not complete. Please try again.',
  OAuthSignin: 'Could not reach the sign-in provider. Please try again.',
  ApiUnreachable: `Vigil cannot be reached just now (its API did not answer), ${AGAIN}`,
  ApiTimeout: `Vigil did not answer in time, ${AGAIN}`,
  ApiUnavailable: `Vigil is having trouble right now, ${AGAIN}`,
  // The form's own: signIn() got no answer it could read from the console's auth route.
  SignInFailed: `Signing in did not go through (the console did not answer it), ${AGAIN}`,
  TenantClaim:
    'Vigil could not open your account, so you are not signed in. Try again; if it keeps happening, tell support.',
};

/** The sign-in page's words for an `error` code; any other code gets a general "did not work". */
export const signInErrorWords = (code: string): string =>
  Object.hasOwn(WORDS, code) ? (WORDS[code] as string) : 'Signing in did not work. Please try again.';
