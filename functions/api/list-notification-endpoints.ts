import { notificationEndpoints } from '@vigil/aws/wiring/messages';
import { toNotificationEndpointOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId }) => {
  const endpoints = await notificationEndpoints().listEndpoints(tenantId);
  return { status: 200, body: { items: endpoints.map(toNotificationEndpointOut) } };
});
