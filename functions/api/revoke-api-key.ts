import { runtime } from '@vigil/aws';
import { revokeAndAnnounceApiKey } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, keyId, params }) => {
  const { tenancy, scheduling } = runtime();
  // Noted as who revoked it: the calling key (which may be the key itself), or the console.
  await revokeAndAnnounceApiKey({ tenancy, events: scheduling }, { tenantId, keyId: params.keyId ?? '', by: keyId });
  return { status: 204 };
});
