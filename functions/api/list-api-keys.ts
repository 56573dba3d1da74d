import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { ApiKeyListQuery, listApiKeys } from '@vigil/core';
import { toApiKeyOut } from './api-key-view';
import { httpRoute } from './http';

export const handler = httpRoute({ query: ApiKeyListQuery }, async ({ tenantId, query: { include } }) => {
  const keys = await listApiKeys(tenancyWiring().tenancy, tenantId, { includeRevoked: include === 'revoked' });
  return { status: 200, body: { items: keys.map(toApiKeyOut) } };
});
