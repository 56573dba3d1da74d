import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { revokeApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, keyId, params }) => {
  // Noted as who revoked it: the calling key (which may be the key itself), or the console.
  await revokeApiKey(tenancyWiring().tenancy, tenantId, params.keyId ?? '', keyId);
  return { status: 204 };
});
