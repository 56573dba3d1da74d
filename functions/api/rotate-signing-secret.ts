import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { rotateSigningSecret } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const { secret, previousValidUntil } = await rotateSigningSecret(tenancyWiring().tenancy, tenantId);
  return { status: 200, body: { secret, previousValidUntil: new Date(previousValidUntil).toISOString() } };
});
