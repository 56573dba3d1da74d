import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { currentSigningSecret } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const secret = await currentSigningSecret(tenancyWiring().tenancy, tenantId);
  return { status: 200, body: { secret } };
});
