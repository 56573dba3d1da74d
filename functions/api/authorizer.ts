/**
 * The REQUEST authorizer for every route but /health: `Authorization: Bearer vgl_...` is looked
 * up by its SHA-256 hash. The policy allows the whole API (so API Gateway may cache it per key)
 * and carries the tenant in the context. A missing or unknown key is refused with the
 * conventional 'Unauthorized' error, which API Gateway turns into a 401. Keys are never logged.
 */
import { runtime } from '@vigil/aws';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

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

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const { tenants } = runtime();
  const token = bearerToken(event);
  const identity = token ? await tenants.findApiKey(token) : undefined;
  if (!identity) throw new AuthorizerDenied();
  const [tenant] = await Promise.all([
    tenants.getTenant(identity.tenantId),
    tenants.touchApiKey(identity).catch((error: unknown) => {
      runtime().log.warn('could not note the key as used', { keyId: identity.keyId, error: String(error) });
    }),
  ]);
  if (!tenant) throw new AuthorizerDenied();
  return {
    principalId: identity.tenantId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApi(event.methodArn) }],
    },
    context: { tenantId: identity.tenantId, keyId: identity.keyId, plan: tenant.plan },
  };
};
