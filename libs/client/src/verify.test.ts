/** verifyWebhook on requests signed here (the deliveries of a real stack are in verify.int.test.ts). */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isLosslessNumber, stringifyApiJson } from './exact-json';
import { verifyWebhook } from './verify';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

/** A delivery of `body` as Vigil signs it, `content-type: application/json`. */
const signed = (body: string) => {
  const id = 'msg_01JDX0000000000000000000AA';
  const at = new Date();
  return {
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign(id, at, body),
      'content-type': 'application/json',
    },
    body,
  };
};

describe('verifyWebhook: the payload', () => {
  it('keeps an int64 in the body as its digits (a LosslessNumber), as the client reads answers', async () => {
    const { payload } = await verifyWebhook<{ orderId: unknown; n: unknown }>(
      signed('{"orderId":12345678901234567890,"n":42}'),
      SECRET,
    );

    expect(isLosslessNumber(payload.orderId)).toBe(true);
    expect(String(payload.orderId)).toBe('12345678901234567890');
    expect(payload.n).toBe(42);
    expect(stringifyApiJson(payload)).toBe('{"orderId":12345678901234567890,"n":42}');
  });
});
