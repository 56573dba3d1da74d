import { runtime } from '@vigil/aws';
import type { KeyedMessageCommand } from '@vigil/core';
import { toMessageOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';
import { messageIdParam } from './message-params';

/**
 * `POST /v1/messages/{messageId}/<command>`: starts the step the command makes (202), or answers
 * the one its Idempotency-Key started (200), with the message either way.
 */
export const keyedMessageCommandRoute = (command: KeyedMessageCommand) =>
  httpRoute({}, async ({ tenantId, params, headers }) => {
    const { message, created } = await command(
      runtime().scheduling,
      tenantId,
      messageIdParam(params),
      idempotencyKeyHeader(headers),
    );
    return { status: created ? 202 : 200, body: toMessageOut(message, { withBody: false }) };
  });
