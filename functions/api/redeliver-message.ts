import { runtime } from '@vigil/aws';
import { redeliverMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const message = await redeliverMessage(runtime().scheduling, tenantId, messageIdParam(params));
  return { status: 202, body: toMessageOut(message, { withBody: false }) };
});
