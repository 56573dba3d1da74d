import { runtime } from '@vigil/aws';
import { MessageIn, scheduleMessage, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

export const handler = httpRoute({ body: MessageIn }, async ({ tenantId, body, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { message, created } = await scheduleMessage(runtime().scheduling, tenantId, body, key);
  return {
    status: created ? 201 : 200,
    body: toMessageOut(message, { withBody: true }),
    headers: { location: `/v1/messages/${message.id}` },
  };
});
