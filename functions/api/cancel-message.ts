import { runtime } from '@vigil/aws';
import { cancelMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

export const handler = httpRoute({}, async ({ tenantId, plan, params }) => {
  // The plan (for how long the cancelled message is kept) comes with the caller, from the authorizer.
  const message = await cancelMessage(runtime().scheduling, tenantId, messageIdParam(params), plan);
  return { status: 200, body: toMessageOut(message, { withBody: false }) };
});
