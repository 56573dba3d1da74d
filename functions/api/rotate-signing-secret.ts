import { runtime } from '@vigil/aws';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const { secret, previousValidUntil } = await runtime().tenants.rotateSigningSecret(tenantId);
  return { status: 200, body: { secret, previousValidUntil: new Date(previousValidUntil).toISOString() } };
});
