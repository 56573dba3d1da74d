import { runtime } from '@vigil/aws';
import { notifyKeyEvent, revokeApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const { tenancy, scheduling } = runtime();
  const keyId = params.keyId ?? '';
  await revokeApiKey(tenancy, tenantId, keyId);
  await notifyKeyEvent(scheduling, tenantId, 'key.revoked', { id: keyId });
  return { status: 204 };
});
