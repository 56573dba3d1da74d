/** The HTTP request a delivery sends: the message's own headers plus Vigil's and Standard Webhooks'. */
import type { Message } from './message';
import type { OutboundRequest } from './ports';
import { signatureHeader } from './signing';

const CONTENT_TYPES = {
  json: 'application/json',
  text: 'text/plain; charset=utf-8',
  none: undefined,
} as const;

export const buildDeliveryRequest = (
  message: Message,
  secrets: readonly string[],
  attempt: number,
  timestampSeconds: number,
  userAgent: string,
): OutboundRequest => {
  const headers: Record<string, string> = { ...message.headers };
  const contentType = CONTENT_TYPES[message.bodyKind];
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (contentType && !hasContentType) headers['content-type'] = contentType;
  Object.assign(headers, {
    'user-agent': userAgent,
    'webhook-id': message.id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(secrets, message.id, timestampSeconds, message.body),
    'vigil-attempt': String(attempt),
    'vigil-scheduled-at': new Date(message.sendAt).toISOString(),
  });
  return {
    url: message.url,
    method: message.method,
    headers,
    body: message.body,
    timeoutMs: message.timeoutMs,
  };
};
