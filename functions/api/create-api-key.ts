import { runtime } from '@vigil/aws';
import { ApiKeyIn } from '@vigil/core';
import { httpRoute } from './http';
import { toApiKeyOut } from './api-key-view';

export const handler = httpRoute({ body: ApiKeyIn }, async ({ tenantId, body }) => {
  const created = await runtime().tenants.createApiKey(tenantId, body.name);
  return { status: 201, body: { ...toApiKeyOut(created), key: created.key } };
});
