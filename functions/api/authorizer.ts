/**
 * The REQUEST authorizer for every route but /health. `Authorization: Bearer <credential>` where
 * the credential is either an API key (`vgl_...`) or the web console's next-auth session token
 * (verified with the web app's session secret by next-auth's own JWT helper: on AWS read from the SSM
 * SecureString parameter VIGIL_SESSION_SECRET_PARAMETER names, cached for 5 minutes). Which caller a credential stands
 * for is tenancy's rule (`authorizeCaller` in @vigil/core); this edge only reads the token.
 *
 * A tenant's policy allows the whole API (so API Gateway may cache it per credential), the context
 * carries the tenant, and `usageIdentifierKey` names the tenant's API Gateway key so its usage plan
 * throttles and caps it. A session of a user who has no tenant yet (`userId` and no `tenantId`) is
 * allowed on SESSION_TENANT_ROUTE only, where the console claims the user's tenant. A missing or
 * unknown credential is refused with the conventional 'Unauthorized' error (a 401). Credentials are
 * never logged.
 */
import { sessionSecretSource } from '@vigil/aws/wiring/session-secret';
import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import type { Credential } from '@vigil/core';
import { authorizeCaller, isApiKeyToken, sessionCredential } from '@vigil/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { decode } from 'next-auth/jwt';
import { SESSION_TENANT_ROUTE } from './session-tenant-route';

export class AuthorizerDenied extends Error {
  override name = 'AuthorizerDenied';
  constructor() {
    super('Unauthorized');
  }
}

const bearerToken = (event: APIGatewayRequestAuthorizerEvent): string | undefined => {
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
};

/** `arn:...:apiId/stage/METHOD/path` → `arn:...:apiId/stage/*` so one cached policy covers every route. */
const wholeApi = (methodArn: string): string => methodArn.split('/').slice(0, 2).join('/').concat('/*');

const onSessionTenantRoute = (event: APIGatewayRequestAuthorizerEvent): boolean =>
  event.httpMethod === SESSION_TENANT_ROUTE.method && event.resource === SESSION_TENANT_ROUTE.path;

const allow = (principalId: string, resource: string) => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow' as const, Resource: resource }],
  },
});

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const { tenancy, config, log } = tenancyWiring();
  const token = bearerToken(event);
  let credential: Credential | undefined;
  if (token && isApiKeyToken(token)) credential = { kind: 'api-key', key: token };
  else if (token) {
    // A next-auth session token (an encrypted JWT): one that does not decrypt or has expired stands for nobody.
    const secret = await sessionSecretSource().get();
    const claims = secret ? await decode({ token, secret }).catch(() => null) : null;
    if (claims) {
      credential = sessionCredential(claims, tenancy.clock.now(), { claimingTenant: onSessionTenantRoute(event) });
    }
  }
  const caller = credential && (await authorizeCaller(tenancy, credential));
  if (!caller) throw new AuthorizerDenied();
  if (caller.kind === 'user') {
    // This one route only (not cached for the others): the user has no tenant to act for yet.
    const { userId, email, name } = caller;
    return { ...allow(userId, event.methodArn), context: { userId, email, ...(name !== undefined && { name }) } };
  }
  if (!caller.usageKey && config.stage !== 'local') {
    // Every tenant route requires the usage key, so API Gateway will answer this tenant 403.
    log.warn('tenant has no API Gateway usage key: bind it with `npm run admin -- tenant bind`', {
      tenantId: caller.tenantId,
    });
  }
  return {
    ...allow(caller.tenantId, wholeApi(event.methodArn)),
    context: {
      tenantId: caller.tenantId,
      keyId: caller.keyId,
      plan: caller.plan,
      // A console session may revoke itself (POST /v1/session/revoke, its sign-out).
      ...(caller.session && { sessionId: caller.session.sessionId, sessionEndsAt: caller.session.endsAt }),
    },
    ...(caller.usageKey && { usageIdentifierKey: caller.usageKey }),
  };
};
