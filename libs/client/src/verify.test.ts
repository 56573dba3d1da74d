/** verifyWebhook on requests signed here (the deliveries of a real stack are in verify.int.test.ts). */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isLosslessNumber, stringifyApiJson } from './exact-json';
import { MAX_WEBHOOK_BODY_BYTES, verifyWebhook } from './verify';

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

describe('verifyWebhook: a body larger than Vigil sends', () => {
  /** A request whose signed-looking headers are fresh (no secret is needed for that) and whose body never ends. */
  const endless = () => {
    const read = { bytes: 0 };
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const { headers } = signed('');
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => {
        read.bytes += chunk.byteLength;
        c.enqueue(chunk);
        // Ends at 64 MiB so that a verify reading on ends too.
        if (read.bytes >= 64 * 1024 * 1024) c.close();
      },
    });
    return { headers, body, read };
  };

  it('is refused (bad-body) after reading 1 MiB of it, from a Fetch Request and from a Node-style stream', async () => {
    const fromFetch = endless();
    const request = new Request('http://receiver.test/hook', {
      method: 'POST',
      headers: fromFetch.headers,
      body: fromFetch.body,
      duplex: 'half',
    } as RequestInit);
    await expect(verifyWebhook(request, SECRET)).rejects.toMatchObject({
      reason: 'bad-body',
      message: 'The body is over 1 MiB, more than Vigil sends (a message holds at most 256 KiB): not read further.',
    });
    expect(fromFetch.read.bytes).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES + 3 * 64 * 1024);

    const fromNode = endless();
    const iterable = Object.assign(fromNode.body as unknown as AsyncIterable<Uint8Array>, {
      headers: fromNode.headers,
    });
    await expect(verifyWebhook(iterable, SECRET)).rejects.toMatchObject({ reason: 'bad-body' });
    expect(fromNode.read.bytes).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES + 3 * 64 * 1024);
  });

  it('is refused by its Content-Length before a byte of it is read', async () => {
    const { headers, body, read } = endless();
    const request = new Request('http://receiver.test/hook', {
      method: 'POST',
      headers: { ...headers, 'content-length': String(MAX_WEBHOOK_BODY_BYTES + 1) },
      body,
      duplex: 'half',
    } as RequestInit);

    await expect(verifyWebhook(request, SECRET)).rejects.toMatchObject({ reason: 'bad-body' });
    expect(read.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('still verifies a signed body of 1 MiB', async () => {
    const body = `"${'a'.repeat(MAX_WEBHOOK_BODY_BYTES - 2)}"`;
    const { headers } = signed(body);
    const request = new Request('http://receiver.test/hook', { method: 'POST', headers, body });

    await expect(verifyWebhook(request, SECRET)).resolves.toMatchObject({
      payload: 'a'.repeat(MAX_WEBHOOK_BODY_BYTES - 2),
    });
  });
});
