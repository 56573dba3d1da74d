import { notificationEndpointWiring } from '@vigil/aws/wiring/messages';
import { removeNotificationEndpoint } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  await removeNotificationEndpoint(notificationEndpointWiring(), tenantId, params.endpointId ?? '');
  return { status: 204 };
});
