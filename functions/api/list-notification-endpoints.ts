import { notificationEndpointWiring } from '@vigil/aws/wiring/messages';
import { listNotificationEndpoints, toNotificationEndpointOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const endpoints = await listNotificationEndpoints(notificationEndpointWiring(), tenantId);
  return { status: 200, body: { items: endpoints.map(toNotificationEndpointOut) } };
});
