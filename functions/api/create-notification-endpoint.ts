import { notificationEndpointWiring } from '@vigil/aws/wiring/messages';
import { addNotificationEndpoint, NotificationEndpointIn, toNotificationEndpointOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ body: NotificationEndpointIn }, async ({ tenantId, body }) => {
  const { endpoint, created } = await addNotificationEndpoint(notificationEndpointWiring(), tenantId, body);
  return {
    // 200: the endpoint this URL had already, as asked (a retried request adds no second one).
    status: created ? 201 : 200,
    body: toNotificationEndpointOut(endpoint),
    headers: { location: `/v1/notification-endpoints/${endpoint.id}` },
  };
});
