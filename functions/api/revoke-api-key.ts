import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { revokeApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  await revokeApiKey(tenancyWiring().tenancy, tenantId, params.keyId ?? '');
  return { status: 204 };
});
