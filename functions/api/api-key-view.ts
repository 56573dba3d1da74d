import type { ApiKeyInfo } from '@vigil/core';

/** `ApiKeyOut` in openapi.yaml. */
export const toApiKeyOut = (key: ApiKeyInfo) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  createdAt: new Date(key.createdAt).toISOString(),
  ...(key.lastUsedAt !== undefined && { lastUsedAt: new Date(key.lastUsedAt).toISOString() }),
  ...(key.revokedAt !== undefined && {
    revokedAt: new Date(key.revokedAt).toISOString(),
    revokedBy: key.revokedBy ?? 'unknown',
  }),
});
