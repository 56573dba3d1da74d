import { runtime } from '@vigil/aws';
import { testNotificationEndpointIdempotently, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

/** Sends the endpoint a test event (202), or answers the one its Idempotency-Key sent (200). */
export const handler = httpRoute({}, async ({ tenantId, params, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { scheduling } = runtime();
  const { delivery, created } = await testNotificationEndpointIdempotently(
    scheduling,
    tenantId,
    params.endpointId ?? '',
    key,
  );
  return {
    status: created ? 202 : 200,
    body: toMessageOut(delivery, { withBody: true }),
    headers: { location: `/v1/messages/${delivery.id}` },
  };
});
