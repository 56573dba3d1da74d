import { runtime } from '@vigil/aws';
import { ApiKeyIn, createApiKey, notifyKeyEvent } from '@vigil/core';
import { toApiKeyOut } from './api-key-view';
import { httpRoute } from './http';

export const handler = httpRoute({ body: ApiKeyIn }, async ({ tenantId, body }) => {
  const { tenancy, scheduling } = runtime();
  const created = await createApiKey(tenancy, tenantId, body.name);
  await notifyKeyEvent(scheduling, tenantId, 'key.created', created);
  return { status: 201, body: { ...toApiKeyOut(created), key: created.key } };
});
