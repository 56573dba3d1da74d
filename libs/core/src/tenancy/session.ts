/**
 * The web console's sessions as the API sees them. The console (next-auth) puts these claims in
 * every session token it makes; the authorizer accepts a session token only when its issuer and
 * audience are the console's and the API's, it names its session, and the session began at most
 * SESSION_MAX_AGE_S ago (however often next-auth re-issued the token since), less the minute an
 * authorization may be reused for. A sign-out revokes the
 * session: the API refuses its tokens from then on (within the authorizer cache's minute on AWS).
 */

/** Who makes session tokens: the web console. */
export const SESSION_ISSUER = 'vigil-console';
/** Whom session tokens are for: the Vigil API. */
export const SESSION_AUDIENCE = 'vigil-api';
/** The longest a console session lives, from sign-in: 12 hours. */
export const SESSION_MAX_AGE_S = 12 * 3600;
/**
 * How long the API may reuse an authorization it made for the same token: API Gateway's authorizer
 * cache (infra/functions.ts resultTtlInSeconds). A session token is refused in its session's last
 * this many seconds, so that no authorization kept for it outlives the 12 hours.
 */
export const AUTHORIZATION_CACHE_S = 60;
/** Clock skew allowed between the console's clock and the API's. */
const SKEW_S = 60;

/** `ses_` and 22 to 64 URL-safe characters (the console makes 128 random bits). */
export const SESSION_ID_PATTERN = /^ses_[A-Za-z0-9_-]{22,64}$/;

/** The claims the console adds to a session token at sign-in (next-auth keeps them in the token). */
export interface SessionClaims {
  iss: typeof SESSION_ISSUER;
  aud: typeof SESSION_AUDIENCE;
  /** The session's id: a sign-out revokes it. */
  sid: string;
  /** When the user signed in, epoch seconds. */
  authTime: number;
}

export const sessionClaims = (sid: string, signedInAtMs: number): SessionClaims => ({
  iss: SESSION_ISSUER,
  aud: SESSION_AUDIENCE,
  sid,
  authTime: Math.floor(signedInAtMs / 1000),
});

/** A session a token stands for. */
export interface SessionIdentity {
  sessionId: string;
  /** When the session ends (sign-in + SESSION_MAX_AGE_S), epoch ms: a revocation need not outlive it. */
  endsAt: number;
}

/**
 * The session a decrypted token's claims stand for at `nowMs`; undefined when the token was not made
 * by the console for the API, names no session, or its session ends within AUTHORIZATION_CACHE_S
 * (it began 12 hours ago, less that minute, or earlier).
 */
export const sessionOf = (claims: Record<string, unknown>, nowMs: number): SessionIdentity | undefined => {
  const { iss, aud, sid, authTime } = claims;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (iss !== SESSION_ISSUER || !audiences.includes(SESSION_AUDIENCE)) return undefined;
  if (typeof sid !== 'string' || !SESSION_ID_PATTERN.test(sid)) return undefined;
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return undefined;
  const nowS = nowMs / 1000;
  if (authTime > nowS + SKEW_S || nowS - authTime > SESSION_MAX_AGE_S - AUTHORIZATION_CACHE_S) return undefined;
  return { sessionId: sid, endsAt: (authTime + SESSION_MAX_AGE_S) * 1000 };
};
