import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the signature is
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the base64 part of a `whsec_` secret.
 * Several signatures (during a secret rotation) are sent space-separated.
 */

const SECRET_PREFIX = 'whsec_';

export const newSigningSecret = (): string => `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;

const secretKey = (secret: string): Buffer => {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('signing secrets start with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
};

export const signPayload = (secret: string, messageId: string, timestampSeconds: number, body: string): string => {
  const digest = createHmac('sha256', secretKey(secret))
    .update(`${messageId}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${digest}`;
};

/** The value of the `webhook-signature` header: one signature per active secret. */
export const signatureHeader = (
  secrets: readonly string[],
  messageId: string,
  timestampSeconds: number,
  body: string,
): string => secrets.map((secret) => signPayload(secret, messageId, timestampSeconds, body)).join(' ');
