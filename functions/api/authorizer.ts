/**
 * The REQUEST authorizer for every route but /health. `Authorization: Bearer <credential>` where
 * the credential is either an API key (`vgl_...`, looked up by its SHA-256 hash) or the web app's
 * next-auth session token (verified with NEXTAUTH_SECRET by next-auth's own JWT helper; the web
 * app's sign-in puts the user's tenant in it). The policy allows the whole API (so API Gateway may
 * cache it per credential), the context carries the tenant, and `usageIdentifierKey` names the
 * tenant's API Gateway key so its usage plan throttles and caps it. A missing or unknown
 * credential is refused with the conventional 'Unauthorized' error (a 401). Credentials are never logged.
 */
import { runtime } from '@vigil/aws';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { decode } from 'next-auth/jwt';

export class AuthorizerDenied extends Error {
  override name = 'AuthorizerDenied';
  constructor() {
    super('Unauthorized');
  }
}

/** Who is calling: the tenant, and the key (SESSION_KEY_ID for the web app). */
interface Caller {
  tenantId: string;
  keyId: string;
}

/** The keyId of calls made by the web app on behalf of a signed-in user. */
export const SESSION_KEY_ID = 'session';

const bearerToken = (event: APIGatewayRequestAuthorizerEvent): string | undefined => {
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
};

/** `arn:...:apiId/stage/METHOD/path` → `arn:...:apiId/stage/*` so one cached policy covers every route. */
const wholeApi = (methodArn: string): string => methodArn.split('/').slice(0, 2).join('/').concat('/*');

/** A next-auth session token (an encrypted JWT); undefined when it does not decrypt or has expired. */
const bySession = async (token: string, secret: string): Promise<Caller | undefined> => {
  const claims = await decode({ token, secret }).catch(() => null);
  const tenantId = claims?.tenantId;
  if (typeof tenantId !== 'string' || !tenantId.startsWith('tnt_')) return undefined;
  return { tenantId, keyId: SESSION_KEY_ID };
};

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const { tenants, config, log } = runtime();
  const token = bearerToken(event);
  let caller: Caller | undefined;
  if (token?.startsWith('vgl_')) caller = await tenants.findApiKey(token);
  else if (token && config.sessionSecret) caller = await bySession(token, config.sessionSecret);
  if (!caller) throw new AuthorizerDenied();
  const apiKey = caller.keyId === SESSION_KEY_ID ? undefined : caller;
  const [tenant] = await Promise.all([
    tenants.getTenant(caller.tenantId),
    // Best effort, and at most once a minute per key; beside the tenant read, not after it.
    apiKey &&
      tenants.touchApiKey(apiKey).catch((error: unknown) => {
        log.warn('could not note the key as used', { keyId: apiKey.keyId, error: String(error) });
      }),
  ]);
  if (!tenant) throw new AuthorizerDenied();
  if (!tenant.usageKey && config.stage !== 'local') {
    // Every authorized route requires the usage key, so API Gateway will answer this tenant 403.
    log.warn('tenant has no API Gateway usage key: bind it with `npm run admin -- tenant bind`', {
      tenantId: tenant.id,
    });
  }
  return {
    principalId: caller.tenantId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApi(event.methodArn) }],
    },
    context: { tenantId: caller.tenantId, keyId: caller.keyId, plan: tenant.plan },
    ...(tenant.usageKey && { usageIdentifierKey: tenant.usageKey }),
  };
};
