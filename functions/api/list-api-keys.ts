import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { listApiKeys } from '@vigil/core';
import { toApiKeyOut } from './api-key-view';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const keys = await listApiKeys(tenancyWiring().tenancy, tenantId);
  return { status: 200, body: { items: keys.map(toApiKeyOut) } };
});
