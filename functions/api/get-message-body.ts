import { messageStore } from '@vigil/aws/wiring/messages';
import { bodyAsSent, getMessage } from '@vigil/core';
import { httpRoute } from './http';
import { messageIdParam } from './message-params';

/**
 * The message's body as its deliveries send it: the stored text, byte for byte, in the content type
 * it goes with (a JSON answer's reader would move names like "1" first and round long numbers).
 */
export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const message = await getMessage(messageStore(), tenantId, messageIdParam(params));
  const body = bodyAsSent(message);
  if (body === undefined) return { status: 204 };
  // The type may be the message's own (text/html, say): never read as another.
  return {
    status: 200,
    text: body.text,
    headers: { 'content-type': body.contentType, 'x-content-type-options': 'nosniff' },
  };
});
