import { messageStore } from '@vigil/aws/wiring/messages';
import { callbackStatuses, getMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const store = messageStore();
  const message = await getMessage(store, tenantId, messageIdParam(params));
  const statuses = await callbackStatuses(store, message);
  return { status: 200, body: toMessageOut(message, { withBody: true, callbackStatuses: statuses }) };
});
