/**
 * The tests' receiver on a thread of its own (receiver-thread.ts), against the local stack in this
 * thread: a stall of this thread past a message's timeout does not stop it answering, and the
 * stack reads the answer it gave during the stall as the attempt's (no timeout, no retry).
 */
import type { ClientRequest } from 'node:http';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ReceivedWebhook, Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, waitFor } from './local-stack';
import { startReceiverThread } from './receiver-thread';
import { stall } from './stall';

let stack: LocalStack;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiverThread({
    respond: ({ path, count }) => (path.startsWith('/flaky') && count === 0 ? 503 : 200),
  });
  stack = await startTestStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

/** Blocks this thread for `ms` once a request to `path` has been written to its socket (its `finish`). */
const stallOnceSent = (path: string, ms: number): void => {
  const onStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (request.path !== path) return;
    unsubscribe('http.client.request.start', onStart);
    request.once('finish', () => stall(ms));
  };
  subscribe('http.client.request.start', onStart);
};

describe('the tests’ receiver on a thread of its own', () => {
  it('answers while the stack’s thread is stalled past the timeout, and the attempt counts that answer: delivered once, no retry', async () => {
    // Prepare: a message with the shortest timeout (1 s), and this thread (the stack's) blocked
    // for 2.5 s from just after the request is written, as a starved machine does. The receiver
    // answers on its own thread meanwhile; the stack reads that answer when it wakes. A receiver
    // on this thread (startReceiver's, in place of startReceiverThread above) reads the request
    // only after the stall, past the deadline: the attempt is a timeout and is sent again (tried
    // so: "timeout after 1000 ms (this process stalled 1507 ms past it)", and a second attempt).
    const api = apiClient(stack.url, stack.apiKey);
    stallOnceSent('/stalled', 2_500);

    // Act
    const created = await api.post('/v1/messages', { url: `${receiver.url}/stalled`, delay: 0, timeoutMs: 1_000 });
    expect(created.status).toBe(201);

    // Assess
    const message = await waitFor(
      () => api.get(`/v1/messages/${created.json.id}`),
      (read) => read.json.attempts > 0,
    );
    expect(message.json).toMatchObject({ status: 'delivered', attempts: 1 });
    const attempts = await api.get(`/v1/messages/${created.json.id}/attempts`);
    expect(attempts.json.items).toHaveLength(1);
    expect(attempts.json.items[0]).toMatchObject({ n: 1, statusCode: 200 });
    expect(attempts.json.items[0]).not.toHaveProperty('errorKind');
    expect(receiver.received.filter((r) => r.path === '/stalled')).toHaveLength(1);
  });

  it('keeps the in-process receiver’s API: per-path answers by count, and received read as an array', async () => {
    const api = apiClient(stack.url, stack.apiKey);
    const created = await api.post('/v1/messages', { url: `${receiver.url}/flaky-1`, body: { n: 1 }, delay: 0 });

    const received = await receiver.waitFor((all) => all.filter((r) => r.path === '/flaky-1').length === 2, 30_000);

    const mine = received.filter((r) => r.path === '/flaky-1');
    expect(mine.map((r) => [r.status, r.headers['vigil-attempt'], r.headers['webhook-id']])).toEqual([
      [503, '1', created.json.id],
      [200, '2', created.json.id],
    ]);
    expect(mine[0]).toMatchObject({ method: 'POST', body: '{"n":1}' });
    expect(receiver.received).toBe(received);
  });

  it('records and answers a request as the in-process receiver does: signatures checked with the secret given at the start, then with the one set later', async () => {
    // Prepare: the same answers and secret for both; each gets a request signed with that secret,
    // then the secret is changed and it gets the same request again.
    const secret = `whsec_${Buffer.from('the first secret, 24 b..').toString('base64')}`;
    const respond = ({ count }: { count: number }) => (count === 0 ? 202 : 409);
    const threaded = await startReceiverThread({ secret, respond });
    const inProcess = await startReceiver({ secret, respond });
    const body = '{"n":1}';
    const sentAt = new Date();
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'msg_parity',
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_parity', sentAt, body),
    };
    const recorded = async (receiver: Receiver): Promise<{ statuses: number[]; received: ReceivedWebhook[] }> => {
      const first = await fetch(`${receiver.url}/signed`, { method: 'POST', headers, body });
      receiver.setSecret(`whsec_${Buffer.from('the second secret, 24 b.').toString('base64')}`);
      const second = await fetch(`${receiver.url}/signed`, { method: 'POST', headers, body });
      return {
        statuses: [first.status, second.status],
        received: await receiver.waitFor((all) => all.length === 2, 5_000),
      };
    };
    try {
      // Act
      const [fromThread, fromProcess] = await Promise.all([recorded(threaded), recorded(inProcess)]);

      // Assess: the same statuses and the same records (but when each arrived, and the port each was sent to).
      const shape = ({ statuses, received }: Awaited<ReturnType<typeof recorded>>) => ({
        statuses,
        received: received.map(({ arrivedAt: _, headers: { host: __, ...sent }, ...entry }) => ({
          ...entry,
          headers: sent,
        })),
      });
      expect(shape(fromThread)).toEqual(shape(fromProcess));
      expect(shape(fromThread).statuses).toEqual([202, 409]);
      expect(
        fromThread.received.map(({ path, method, body, status, verified }) => ({
          path,
          method,
          body,
          status,
          verified,
        })),
      ).toEqual([
        { path: '/signed', method: 'POST', body, status: 202, verified: true },
        { path: '/signed', method: 'POST', body, status: 409, verified: false },
      ]);
      expect(fromThread.received[0]!.headers).toMatchObject(headers);
    } finally {
      await Promise.all([threaded.stop(), inProcess.stop()]);
    }
  });

  it('says so when a `respond` used a variable of the test’s (it runs on the thread), rather than waiting out its time', async () => {
    const answer = 200;
    const broken = await startReceiverThread({ respond: () => answer });
    try {
      const sent = fetch(`${broken.url}/hook`, { method: 'POST' }).catch(() => undefined);

      const waited = broken.waitFor((all) => all.length === 1, 10_000);

      await expect(waited).rejects.toThrow(/^receiver thread: answer is not defined$/);
      await sent;
    } finally {
      await broken.stop();
    }
  });
});
