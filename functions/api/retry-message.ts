import { runtime } from '@vigil/aws';
import { retryMessageNow, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const message = await retryMessageNow(runtime().scheduling, tenantId, messageIdParam(params));
  return { status: 202, body: toMessageOut(message, { withBody: false }) };
});
