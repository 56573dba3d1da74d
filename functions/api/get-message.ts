import { messageStore } from '@vigil/aws/wiring/messages';
import { getMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const message = await getMessage(messageStore(), tenantId, messageIdParam(params));
  return { status: 200, body: toMessageOut(message, { withBody: true }) };
});
