import { runtime } from '@vigil/aws';
import { redeliverMessageIdempotently, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';
import { messageIdParam } from './message-params';

/** Starts a new round of a finished message (202), or answers the one its Idempotency-Key started (200). */
export const handler = httpRoute({}, async ({ tenantId, params, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { message, created } = await redeliverMessageIdempotently(
    runtime().scheduling,
    tenantId,
    messageIdParam(params),
    key,
  );
  return { status: created ? 202 : 200, body: toMessageOut(message, { withBody: false }) };
});
