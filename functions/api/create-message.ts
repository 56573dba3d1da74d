import { runtime } from '@vigil/aws';
import { MessageIn, scheduleMessage, toMessageOut, ValidationError } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ body: MessageIn }, async ({ tenantId, body, headers }) => {
  const key = headers['idempotency-key'];
  if (key !== undefined && (key.length < 1 || key.length > 255)) {
    throw ValidationError.single('Idempotency-Key', 'must be 1 to 255 characters');
  }
  const { message, created } = await scheduleMessage(runtime().scheduling, tenantId, body, key);
  return {
    status: created ? 201 : 200,
    body: toMessageOut(message, { withBody: true }),
    headers: { location: `/v1/messages/${message.id}` },
  };
});
