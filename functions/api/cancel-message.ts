import { runtime } from '@vigil/aws';
import { cancelMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const message = await cancelMessage(runtime().scheduling, tenantId, messageIdParam(params));
  return { status: 200, body: toMessageOut(message, { withBody: false }) };
});
