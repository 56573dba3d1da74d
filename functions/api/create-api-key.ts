import { runtime } from '@vigil/aws';
import { ApiKeyIn, createApiKeyIdempotently } from '@vigil/core';
import { toApiKeyOut } from './api-key-view';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

/**
 * Makes a key and answers its secret this once (201); a repeat with its Idempotency-Key answers the
 * key as it is now without the secret, which is kept nowhere (200, `keyNotShown` says so).
 */
export const handler = httpRoute({ body: ApiKeyIn }, async ({ tenantId, body, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { tenancy, scheduling } = runtime();
  const { apiKey } = await createApiKeyIdempotently(
    { tenancy, events: scheduling, idempotency: scheduling },
    tenantId,
    body.name,
    key,
  );
  if (apiKey.key !== undefined) return { status: 201, body: { ...toApiKeyOut(apiKey), key: apiKey.key } };
  return { status: 200, body: { ...toApiKeyOut(apiKey), keyNotShown: keyNotShown(apiKey.id) } };
});

/** What a repeat of a key's creation says instead of its secret. */
const keyNotShown = (keyId: string): string =>
  `This key was made by the first request with this Idempotency-Key, whose answer was the only one to hold its secret: Vigil keeps only a hash of it and cannot show it again. If that answer was lost, nobody holds the secret (lastUsedAt is absent while the key was never used): revoke the key (DELETE /v1/keys/${keyId}) and create another with a new Idempotency-Key.`;
