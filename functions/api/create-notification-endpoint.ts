import { idempotencyWiring, notificationEndpointWiring } from '@vigil/aws/wiring/messages';
import { addNotificationEndpointIdempotently, NotificationEndpointIn, toNotificationEndpointOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

export const handler = httpRoute({ body: NotificationEndpointIn }, async ({ tenantId, body, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { endpoint, created } = await addNotificationEndpointIdempotently(
    { ...notificationEndpointWiring(), idempotency: idempotencyWiring() },
    tenantId,
    body,
    key,
  );
  return {
    // 200: the endpoint this URL had already, as asked, or the one this Idempotency-Key added (a
    // retried request adds no second one).
    status: created ? 201 : 200,
    body: toNotificationEndpointOut(endpoint),
    headers: { location: `/v1/notification-endpoints/${endpoint.id}` },
  };
});
