import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { ApiKeyIn, createApiKey } from '@vigil/core';
import { toApiKeyOut } from './api-key-view';
import { httpRoute } from './http';

export const handler = httpRoute({ body: ApiKeyIn }, async ({ tenantId, body }) => {
  const created = await createApiKey(tenancyWiring().tenancy, tenantId, body.name);
  return { status: 201, body: { ...toApiKeyOut(created), key: created.key } };
});
