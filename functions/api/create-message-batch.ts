import { runtime } from '@vigil/aws';
import { MessageBatchIn, scheduleBatch, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ body: MessageBatchIn }, async ({ tenantId, body }) => {
  const messages = await scheduleBatch(runtime().scheduling, tenantId, body.messages);
  return { status: 201, body: { items: messages.map((m) => toMessageOut(m, { withBody: true })) } };
});
