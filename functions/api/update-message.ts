import { runtime } from '@vigil/aws';
import { MessagePatch, patchMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({ body: MessagePatch }, async ({ tenantId, params, body }) => {
  const message = await patchMessage(runtime().scheduling, tenantId, messageIdParam(params), body);
  return { status: 200, body: toMessageOut(message, { withBody: true }) };
});
