/**
 * Console session tokens as the web console makes them (app/src/lib/auth.ts): next-auth's encrypted
 * JWT with the issuer, audience, session id and sign-in time the API's authorizer requires
 * (sessionClaims in @vigil/core). Overrides let a test make a token the authorizer must refuse.
 */
import { randomBytes } from 'node:crypto';
import { sessionClaims } from '@vigil/core';
import { encode } from 'next-auth/jwt';

export interface ConsoleSessionOptions {
  secret: string;
  /** When the user signed in (epoch ms); default now. */
  signedInAt?: number;
  /** The token's own lifetime in seconds (next-auth's maxAge); default 12 hours. */
  maxAge?: number;
  /** Claims to set or (undefined) remove, over the console's. */
  override?: Record<string, unknown>;
}

export const newSessionId = (): string => `ses_${randomBytes(16).toString('base64url')}`;

export const consoleSessionToken = (
  claims: Record<string, unknown>,
  { secret, signedInAt = Date.now(), maxAge = 12 * 3600, override = {} }: ConsoleSessionOptions,
): Promise<string> => {
  const token: Record<string, unknown> = { ...sessionClaims(newSessionId(), signedInAt), ...claims, ...override };
  for (const [name, value] of Object.entries(override)) if (value === undefined) delete token[name];
  return encode({ token, secret, maxAge });
};
