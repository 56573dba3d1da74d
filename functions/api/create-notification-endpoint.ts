import { runtime } from '@vigil/aws';
import { addNotificationEndpoint, NotificationEndpointIn, toNotificationEndpointOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ body: NotificationEndpointIn }, async ({ tenantId, body }) => {
  const { scheduling } = runtime();
  const endpoint = await addNotificationEndpoint(scheduling, tenantId, body);
  return {
    status: 201,
    body: toNotificationEndpointOut(endpoint),
    headers: { location: `/v1/notification-endpoints/${endpoint.id}` },
  };
});
