import { runtime } from '@vigil/aws';
import { notifyKeyEvent, revokeApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, keyId, params }) => {
  const { tenancy, scheduling } = runtime();
  const revoked = params.keyId ?? '';
  // Noted as who revoked it: the calling key (which may be the key itself), or the console.
  const { revokedNow } = await revokeApiKey(tenancy, tenantId, revoked, keyId);
  // Announced once: revoking it again changes nothing, so tells nobody anything.
  if (revokedNow) await notifyKeyEvent(scheduling, tenantId, 'key.revoked', { id: revoked });
  return { status: 204 };
});
