import { notificationEndpointWiring } from '@vigil/aws/wiring/messages';
import { recentEndpointDeliveries } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const items = await recentEndpointDeliveries(notificationEndpointWiring(), tenantId, params.endpointId ?? '');
  return { status: 200, body: { items } };
});
