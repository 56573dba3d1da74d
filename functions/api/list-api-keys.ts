import { runtime } from '@vigil/aws';
import { httpRoute } from './http';
import { toApiKeyOut } from './api-key-view';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const keys = await runtime().tenants.listApiKeys(tenantId);
  return { status: 200, body: { items: keys.map(toApiKeyOut) } };
});
