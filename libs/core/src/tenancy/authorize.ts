/**
 * Who is calling the API. The authorizer (functions/api/authorizer.ts) reads the bearer token at
 * the edge (an API key, or the console's next-auth session token, which it decrypts) and asks here
 * what the credential may do.
 */
import type { TenancyDeps } from './deps';
import type { SessionIdentity } from './session';
import { sessionOf } from './session';
import { API_KEY_PATTERN, hashApiKey, TENANT_ID_PATTERN } from './tenant';

/** The keyId of calls made by the web console on behalf of a signed-in user. */
export const SESSION_KEY_ID = 'session';

export type Credential =
  /** An API key as presented (`vgl_...`). */
  | { kind: 'api-key'; key: string }
  /** A console session of a user whose tenant is known (its id is in the session). */
  | { kind: 'session'; tenantId: string; session: SessionIdentity }
  /** A console session of a user whose tenant may not exist yet: good only for claiming it. */
  | { kind: 'user'; userId: string; email: string; name?: string; session: SessionIdentity };

export type Caller =
  | {
      kind: 'tenant';
      tenantId: string;
      /** The API key's id, or SESSION_KEY_ID for the console. */
      keyId: string;
      plan: string;
      /** The tenant's API Gateway usage key; absent where there are no usage plans (or not bound yet). */
      usageKey?: string;
      /** The console session, when the caller is one (it may revoke itself). */
      session?: SessionIdentity;
    }
  | { kind: 'user'; userId: string; email: string; name?: string };

/** A bearer token that presents itself as an API key (`vgl_...`); any other is a console session token. */
export const isApiKeyToken = (token: string): boolean => token.startsWith('vgl_');

/**
 * A console session token's claims (decrypted at the edge) as a credential: the session's tenant;
 * or, on the one route where the console claims a signed-in user's tenant (`claimingTenant`), the
 * user, who may have none yet. Undefined when the console did not make the session for the API, it
 * has ended (sessionOf), or it names neither.
 */
export const sessionCredential = (
  claims: Record<string, unknown>,
  nowMs: number,
  { claimingTenant }: { claimingTenant: boolean },
): Credential | undefined => {
  const session = sessionOf(claims, nowMs);
  if (!session) return undefined;
  const { tenantId, userId, email, name } = claims;
  if (typeof tenantId === 'string' && TENANT_ID_PATTERN.test(tenantId)) return { kind: 'session', tenantId, session };
  if (claimingTenant && typeof userId === 'string' && typeof email === 'string') {
    return { kind: 'user', userId, email, session, ...(typeof name === 'string' && { name }) };
  }
  return undefined;
};

/** The caller a credential stands for; undefined when it stands for nobody (refused with a 401). */
export const authorizeCaller = async (
  deps: Pick<TenancyDeps, 'tenants' | 'keys' | 'sessions' | 'clock' | 'log'>,
  credential: Credential,
): Promise<Caller | undefined> => {
  // A signed-out session stands for nobody.
  if (credential.kind !== 'api-key' && (await deps.sessions.isSessionRevoked(credential.session.sessionId))) {
    return undefined;
  }
  if (credential.kind === 'user') {
    const { userId, email, name } = credential;
    return { kind: 'user', userId, email, ...(name !== undefined && { name }) };
  }
  let identity: { tenantId: string; keyId: string } | undefined;
  if (credential.kind === 'session') identity = { tenantId: credential.tenantId, keyId: SESSION_KEY_ID };
  else if (API_KEY_PATTERN.test(credential.key)) identity = await deps.keys.findApiKey(hashApiKey(credential.key));
  if (!identity) return undefined;
  const apiKey = credential.kind === 'api-key' ? identity : undefined;
  const [tenant] = await Promise.all([
    deps.tenants.getTenant(identity.tenantId),
    // Best effort, and at most once a minute per key; beside the tenant read, not after it.
    apiKey &&
      deps.keys.touchApiKey(apiKey, deps.clock.now()).catch((error: unknown) => {
        deps.log.warn('could not note the key as used', { keyId: apiKey.keyId, error: String(error) });
      }),
  ]);
  if (!tenant) return undefined;
  return {
    kind: 'tenant',
    tenantId: tenant.id,
    keyId: identity.keyId,
    plan: tenant.plan,
    ...(tenant.usageKey && { usageKey: tenant.usageKey }),
    ...(credential.kind === 'session' && { session: credential.session }),
  };
};

/**
 * A sign-out: the console session revokes itself until it would have ended. Only a session may
 * (an API key has no session to end).
 */
export const revokeSession = async (
  deps: Pick<TenancyDeps, 'sessions' | 'clock'>,
  session: SessionIdentity,
): Promise<void> => {
  await deps.sessions.revokeSession(session.sessionId, session.endsAt, deps.clock.now());
};
