import { runtime } from '@vigil/aws';
import { testNotificationEndpoint, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const { scheduling } = runtime();
  const delivery = await testNotificationEndpoint(scheduling, tenantId, params.endpointId ?? '');
  return {
    status: 202,
    body: toMessageOut(delivery, { withBody: true }),
    headers: { location: `/v1/messages/${delivery.id}` },
  };
});
