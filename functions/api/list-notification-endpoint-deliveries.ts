import { messageStore, notificationEndpoints } from '@vigil/aws/wiring/messages';
import { recentEndpointDeliveries } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const items = await recentEndpointDeliveries(
    { endpoints: notificationEndpoints(), store: messageStore() },
    tenantId,
    params.endpointId ?? '',
  );
  return { status: 200, body: { items } };
});
