import { idempotencyWiring } from '@vigil/aws/wiring/messages';
import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import { rotateSigningSecretIdempotently } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

/** Rotates the signing secret, or answers the rotation its Idempotency-Key made, as it stands now (both 200). */
export const handler = httpRoute({}, async ({ tenantId, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { rotation } = await rotateSigningSecretIdempotently(
    { tenancy: tenancyWiring().tenancy, idempotency: idempotencyWiring() },
    tenantId,
    key,
  );
  const { secret, previousValidUntil } = rotation;
  return { status: 200, body: { secret, previousValidUntil: new Date(previousValidUntil).toISOString() } };
});
