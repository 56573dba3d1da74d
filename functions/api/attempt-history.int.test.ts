/**
 * The attempt history as it happened, through the API on the whole local stack: an attempt sent
 * before the message was changed (PATCH of its url and body between two attempts) says where it
 * went, in the attempt list and as the message's (and its listing's) lastAttempt, and the one after
 * says the new. Every answer is checked against openapi.yaml.
 */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';

let stack: LocalStack;
let down: Receiver;
let up: Receiver;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  down = await startReceiver({ respond: () => 500 });
  up = await startReceiver({ respond: () => 200 });
  // A retry a minute after a failure: the test makes the second attempt itself (retry now), after its change.
  stack = await startTestStack({ env: { VIGIL_RETRY_BASE_MS: '60000' } });
  api = apiClient(stack.url, stack.apiKey);
});

afterAll(async () => {
  await stack?.stop();
  await down?.stop();
  await up?.stop();
});

const waitFor = async (id: string, done: (message: { status: string; attempts: number }) => boolean) => {
  const until = Date.now() + 20_000;
  for (;;) {
    const { json } = await api.get(`/v1/messages/${id}`);
    if (done(json)) return json;
    if (Date.now() > until) throw new Error(`message ${id} is ${json.status} after ${json.attempts} attempts`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('the attempt history of a message changed between its attempts', () => {
  it('says the attempt before a PATCH of url and body went to the old URL, and the one after to the new', async () => {
    const created = await api.post('/v1/messages', {
      url: `${down.url}/orders`,
      delay: 0,
      body: { v: 1 },
      retry: { maxAttempts: 5 },
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    await waitFor(id, (m) => m.status === 'retrying' && m.attempts === 1);

    const patched = await api.patch(`/v1/messages/${id}`, { url: `${up.url}/orders`, body: { v: 2 } });
    expect(patched.status).toBe(200);
    // The message, and its listing (which reads neither body nor stamps), say where its last attempt went.
    const sentBefore = { n: 1, statusCode: 500, url: `${down.url}/orders`, method: 'POST', differs: ['url', 'body'] };
    expect(patched.json.lastAttempt).toMatchObject(sentBefore);
    const changed = await api.get(`/v1/messages/${id}`);
    assertMatchesSchema('MessageOut', changed.json);
    expect(changed.json.lastAttempt).toMatchObject(sentBefore);
    const listed = await api.get(`/v1/messages?idContains=${id.slice(4)}`);
    assertMatchesSchema('MessagePage', listed.json);
    expect(listed.json.items).toEqual([
      expect.objectContaining({ id, lastAttempt: expect.objectContaining(sentBefore) }),
    ]);
    expect((await api.post(`/v1/messages/${id}/retry`)).status).toBe(202);
    await waitFor(id, (m) => m.status === 'delivered');

    // What the receivers got: one request each, the old body to the old URL.
    expect(down.received.filter((r) => r.headers['webhook-id'] === id).map((r) => r.body)).toEqual(['{"v":1}']);
    expect(up.received.filter((r) => r.headers['webhook-id'] === id).map((r) => r.body)).toEqual(['{"v":2}']);

    const attempts = await api.get(`/v1/messages/${id}/attempts`);
    expect(attempts.status).toBe(200);
    assertMatchesSchema('AttemptList', attempts.json);
    const [first, second] = attempts.json.items;
    expect(first).toMatchObject({
      n: 1,
      statusCode: 500,
      url: `${down.url}/orders`,
      method: 'POST',
      differs: ['url', 'body'],
    });
    expect(first).not.toHaveProperty('sentHeaders');
    expect(second).toMatchObject({ n: 2, statusCode: 200, url: `${up.url}/orders`, method: 'POST' });
    expect(second).not.toHaveProperty('differs');
    expect(second.sentHeaders).toMatchObject({ 'vigil-attempt': '2', host: new URL(up.url).host });

    // The last attempt went as the message is, in the message and in its listing; the stamps are the store's own.
    const message = await api.get(`/v1/messages/${id}`);
    expect(message.json.url).toBe(`${up.url}/orders`);
    expect(message.json).not.toHaveProperty('earlierRequests');
    expect(message.json.lastAttempt).toMatchObject({ n: 2, url: `${up.url}/orders`, method: 'POST' });
    expect(message.json.lastAttempt).not.toHaveProperty('differs');
    const relisted = await api.get(`/v1/messages?idContains=${id.slice(4)}`);
    expect(relisted.json.items[0].lastAttempt).toMatchObject({ n: 2, url: `${up.url}/orders`, method: 'POST' });
    expect(relisted.json.items[0].lastAttempt).not.toHaveProperty('differs');
  });
});
