import { runtime } from '@vigil/aws';
import { notifyKeyEvent, revokeApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, keyId, params }) => {
  const { tenancy, scheduling } = runtime();
  const revoked = params.keyId ?? '';
  // Noted as who revoked it: the calling key (which may be the key itself), or the console.
  const { revokedNow, key } = await revokeApiKey(tenancy, tenantId, revoked, keyId);
  // Announced once: revoking it again changes nothing, so tells nobody anything. With its name,
  // prefix and time as stored, so a person reading the event knows which key it was.
  if (revokedNow) await notifyKeyEvent(scheduling, tenantId, 'key.revoked', key);
  return { status: 204 };
});
