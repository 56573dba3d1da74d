import { runtime } from '@vigil/aws';
import { ApiKeyNotFoundError } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const keyId = params.keyId ?? '';
  if (!/^key_[0-9A-HJKMNP-TV-Z]{26}$/.test(keyId) || !(await runtime().tenants.revokeTenantApiKey(tenantId, keyId))) {
    throw new ApiKeyNotFoundError(`API key ${keyId} does not exist.`);
  }
  return { status: 204 };
});
