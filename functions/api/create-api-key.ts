import { runtime } from '@vigil/aws';
import { ApiKeyIn, createAndAnnounceApiKey } from '@vigil/core';
import { toApiKeyOut } from './api-key-view';
import { httpRoute } from './http';

export const handler = httpRoute({ body: ApiKeyIn }, async ({ tenantId, body }) => {
  const { tenancy, scheduling } = runtime();
  const created = await createAndAnnounceApiKey({ tenancy, events: scheduling }, tenantId, body.name);
  return { status: 201, body: { ...toApiKeyOut(created), key: created.key } };
});
