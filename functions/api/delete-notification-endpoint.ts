import { notificationEndpoints } from '@vigil/aws/wiring/messages';
import { removeNotificationEndpoint } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  await removeNotificationEndpoint({ endpoints: notificationEndpoints() }, tenantId, params.endpointId ?? '');
  return { status: 204 };
});
