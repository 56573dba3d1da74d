/**
 * verifyWebhook with real deliveries from the local stack: as Node's IncomingMessage in a plain
 * node:http server, as a Fetch Request, and as Express's `{ headers, body }` raw form; refused with
 * a reason for a tampered body, a wrong secret, a stale timestamp or missing headers; and during a
 * secret rotation, when deliveries carry two signatures, accepted with the old secret, the new one,
 * or both given together.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { ReceivedWebhook, Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../../../test-support/local-stack';
import { Vigil } from './index';
import type { VerifiedWebhook } from './verify';
import { verifyWebhook, WebhookVerificationError } from './verify';

let stack: LocalStack;
let receiver: Receiver;
let vigil: Vigil;
let secret: string;

/** A receiver as a user would write one on node:http: verifyWebhook reads the IncomingMessage itself. */
let nodeServer: Server;
let nodeUrl: string;
const verifiedByNode: Array<VerifiedWebhook | WebhookVerificationError> = [];

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack();
  vigil = new Vigil({ apiKey: stack.apiKey, baseUrl: stack.url });
  secret = (await vigil.signingSecret.get()).secret;
  nodeServer = createServer((req, res) => {
    verifyWebhook(req, secret).then(
      (verified) => {
        verifiedByNode.push(verified);
        res.writeHead(204).end();
      },
      (error: WebhookVerificationError) => {
        verifiedByNode.push(error);
        res.writeHead(401).end();
      },
    );
  });
  await new Promise<void>((resolve) => nodeServer.listen(0, '127.0.0.1', resolve));
  const address = nodeServer.address();
  nodeUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
  nodeServer?.closeAllConnections();
  await new Promise<void>((resolve) => nodeServer?.close(() => resolve()));
});

/** Schedules a message now and waits for the receiver to get it. */
const deliver = async (path: string, body: unknown): Promise<{ id: string; arrival: ReceivedWebhook }> => {
  const { id } = await vigil.messages.create({ url: `${receiver.url}${path}`, in: 0, body });
  const all = await receiver.waitFor((received) => received.some((r) => r.path === path), 10_000);
  return { id, arrival: all.find((r) => r.path === path)! };
};

const headersOf = (arrival: ReceivedWebhook): Record<string, string> =>
  Object.fromEntries(Object.entries(arrival.headers as IncomingHttpHeaders).map(([k, v]) => [k, String(v)]));

const reasonOf = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return (error as WebhookVerificationError).reason;
};

describe('verifyWebhook with real deliveries', () => {
  it('verifies a delivery read from Node’s IncomingMessage, giving the payload and Vigil’s headers', async () => {
    const created = await vigil.messages.create({ url: `${nodeUrl}/hook`, in: 0, body: { order: 42 } });
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const check = () =>
        verifiedByNode.length > 0
          ? resolve()
          : Date.now() > deadline
            ? reject(new Error('no delivery'))
            : setTimeout(check, 50);
      check();
    });
    const [verified] = verifiedByNode;
    expect(verified).not.toBeInstanceOf(Error);
    const delivery = verified as VerifiedWebhook;
    expect(delivery).toMatchObject({ payload: { order: 42 }, id: created.id, attempt: 1, scheduledAt: created.sendAt });
    expect(Math.abs(delivery.timestamp.getTime() - Date.now())).toBeLessThan(10_000);
    // The 204 answer counts as delivered (recorded just after the answer came back).
    for (let tries = 0; tries < 50 && (await vigil.messages.get(created.id)).status !== 'delivered'; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await vigil.messages.get(created.id)).status).toBe('delivered');
  });

  it('verifies the same delivery as a Fetch Request and as Express’s raw { headers, body }', async () => {
    const { id, arrival } = await deliver('/forms', { hello: 'world' });
    const headers = headersOf(arrival);
    const request = new Request(`${receiver.url}/forms`, { method: 'POST', headers, body: arrival.body });
    expect(await verifyWebhook(request, secret)).toMatchObject({ id, payload: { hello: 'world' }, attempt: 1 });
    const read = new Request(`${receiver.url}/forms`, { method: 'POST', headers, body: arrival.body });
    await read.json();
    expect(await reasonOf(verifyWebhook(read, secret))).toBe('bad-body');
    const raw = await verifyWebhook({ headers: arrival.headers, body: Buffer.from(arrival.body) }, secret);
    expect(raw).toMatchObject({ id, payload: { hello: 'world' }, body: arrival.body });
  });

  it('gives a text body as text (and `npm run receiver` verifies it too)', async () => {
    receiver.setSecret(secret);
    const { arrival } = await deliver('/text', 'just words');
    const verified = await verifyWebhook({ headers: arrival.headers, body: arrival.body }, secret);
    expect(verified.payload).toBe('just words');
    expect(arrival.verified).toBe(true);
  });

  it('verifies a body that starts with a byte order mark, in every form (it is part of what was signed)', async () => {
    const { id, arrival } = await deliver('/bom', '\ufeffhello bom');
    expect(arrival.body.startsWith('\ufeff')).toBe(true);
    const headers = headersOf(arrival);
    const request = new Request(`${receiver.url}/bom`, { method: 'POST', headers, body: arrival.body });
    expect(await verifyWebhook(request, secret)).toMatchObject({ id, body: '\ufeffhello bom' });
    const raw = await verifyWebhook({ headers, body: Buffer.from(arrival.body) }, secret);
    expect(raw.payload).toBe('\ufeffhello bom');
  });

  it('verifies a delivery with no body as Express 4 leaves it (an empty object), and no other empty object', async () => {
    const { id, arrival } = await deliver('/empty', undefined);
    const headers = headersOf(arrival);
    expect(arrival.body).toBe('');
    expect(await verifyWebhook({ headers, body: {} }, secret)).toMatchObject({ id, payload: undefined, body: '' });
    // A body the headers say is there, parsed to {}: not the raw body.
    expect(await reasonOf(verifyWebhook({ headers: { ...headers, 'content-length': '2' }, body: {} }, secret))).toBe(
      'bad-body',
    );
  });

  it('refuses a tampered body, a wrong secret, a stale timestamp, missing headers and a parsed body, each with its reason', async () => {
    const { arrival } = await deliver('/refused', { amount: 10 });
    const headers = headersOf(arrival);
    const tampered = arrival.body.replace('10', '1000');
    expect(await reasonOf(verifyWebhook({ headers, body: tampered }, secret))).toBe('bad-signature');
    const wrong = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(await reasonOf(verifyWebhook({ headers, body: arrival.body }, wrong))).toBe('bad-signature');
    const sixMinutesOn = () => Date.now() + 6 * 60_000;
    expect(await reasonOf(verifyWebhook({ headers, body: arrival.body }, secret, { now: sixMinutesOn }))).toBe(
      'stale-timestamp',
    );
    // A wider tolerance accepts the same delivery then.
    await expect(
      verifyWebhook({ headers, body: arrival.body }, secret, { now: sixMinutesOn, toleranceSeconds: 600 }),
    ).resolves.toMatchObject({ payload: { amount: 10 } });
    const { 'webhook-signature': _dropped, ...unsigned } = headers;
    expect(await reasonOf(verifyWebhook({ headers: unsigned, body: arrival.body }, secret))).toBe('missing-headers');
    expect(await reasonOf(verifyWebhook({ headers, body: JSON.parse(arrival.body) }, secret))).toBe('bad-body');
    // A timestamp changed to look fresh no longer matches the signature.
    const moved = { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) };
    expect(await reasonOf(verifyWebhook({ headers: moved, body: arrival.body }, secret))).toBe('bad-signature');
  });

  it('says plainly when the secret given is not a signing secret', async () => {
    await expect(verifyWebhook({ headers: {}, body: '' }, 'not-a-secret')).rejects.toThrow(TypeError);
    await expect(verifyWebhook({ headers: {}, body: '' }, [])).rejects.toThrow(/whsec_/);
  });

  it('accepts the old secret, the new one, or both during a rotation’s overlap', async () => {
    const before = secret;
    const rotated = await vigil.signingSecret.rotate();
    expect(rotated.secret).not.toBe(before);
    const { id, arrival } = await deliver('/rotated', { after: 'rotation' });
    const headers = headersOf(arrival);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secrets of [
      before,
      rotated.secret,
      [rotated.secret, before],
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', before],
    ]) {
      expect(await verifyWebhook({ headers, body: arrival.body }, secrets)).toMatchObject({ id });
    }
    expect(
      await reasonOf(verifyWebhook({ headers, body: arrival.body }, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')),
    ).toBe('bad-signature');
    secret = rotated.secret;
  });
});
