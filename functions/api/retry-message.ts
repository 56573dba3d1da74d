import { runtime } from '@vigil/aws';
import { retryMessageNowIdempotently, toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';
import { messageIdParam } from './message-params';

/** Makes a retrying message's next attempt now (202), or answers the one its Idempotency-Key made (200). */
export const handler = httpRoute({}, async ({ tenantId, params, headers }) => {
  const key = idempotencyKeyHeader(headers);
  const { message, created } = await retryMessageNowIdempotently(
    runtime().scheduling,
    tenantId,
    messageIdParam(params),
    key,
  );
  return { status: created ? 202 : 200, body: toMessageOut(message, { withBody: false }) };
});
