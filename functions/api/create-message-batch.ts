import { runtime } from '@vigil/aws';
import { MessageBatchIn, scheduleBatch, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

export const handler = httpRoute({ body: MessageBatchIn }, async ({ tenantId, body, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { messages, created } = await scheduleBatch(runtime().scheduling, tenantId, body.messages, key);
  // Without their bodies: the caller has them, and a hundred echoed back could pass the 6 MB a
  // function may answer on AWS (a stored batch answered as an error, and its replay the same).
  return {
    status: created ? 201 : 200,
    body: { items: messages.map((m) => toMessageOut(m, { withBody: false })) },
  };
});
