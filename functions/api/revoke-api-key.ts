import { runtime } from '@vigil/aws';
import { listApiKeys, notifyKeyEvent, revokeApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, keyId, params }) => {
  const { tenancy, scheduling } = runtime();
  const revoked = params.keyId ?? '';
  // Noted as who revoked it: the calling key (which may be the key itself), or the console.
  const { revokedNow } = await revokeApiKey(tenancy, tenantId, revoked, keyId);
  // Announced once: revoking it again changes nothing, so tells nobody anything. With its name,
  // prefix and time as stored, so a person reading the event knows which key it was.
  if (revokedNow) {
    const key = (await listApiKeys(tenancy, tenantId, { includeRevoked: true })).find((k) => k.id === revoked);
    await notifyKeyEvent(scheduling, tenantId, 'key.revoked', key ?? { id: revoked });
  }
  return { status: 204 };
});
