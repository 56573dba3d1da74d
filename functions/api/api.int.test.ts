/**
 * The REST API end to end inside one process: the real handlers and authorizer behind the local
 * gateway, on dynalite, fauxqs and the scheduler emulator, delivering to a real local receiver.
 * Every response is checked against openapi.yaml.
 */

import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANS } from '@vigil/core/plans';
import {
  apiClient,
  newTenantApi,
  seedMonthlyScheduled,
  startTestStack,
  waitForStatus,
} from '../../test-support/local-stack';
import { startReceiverThread } from '../../test-support/receiver-thread';
import { assertMatchesSchema } from '../../test-support/openapi';
import { handler as sweep } from '../engine/sweep';

let stack: LocalStack;
let receiver: Receiver;
let api: ReturnType<typeof apiClient>;

/** Paths on the receiver answer by script: /fail-twice → 500, 500, 200; /gone → 410. */
const respond = ({ path, count }: { path: string; count: number }) => {
  if (path.startsWith('/fail-twice')) return count < 2 ? 500 : 200;
  if (path.startsWith('/gone')) return 410;
  return 200;
};

beforeAll(async () => {
  receiver = await startReceiverThread({ respond });
  stack = await startTestStack({ env: { VIGIL_WEB_ORIGIN: 'http://localhost:3000' } });
  api = apiClient(stack.url, stack.apiKey);
  const secret = await api.get('/v1/signing-secret');
  receiver.setSecret(secret.json.secret);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const arrivalsFor = (id: string) => receiver.received.filter((r) => r.headers['webhook-id'] === id);
const waitForArrivals = (id: string, count: number, timeoutMs = 15_000) =>
  receiver.waitFor(() => arrivalsFor(id).length >= count, timeoutMs);

describe('access', () => {
  it('serves /health without a key', async () => {
    const response = await fetch(`${stack.url}/health`);
    const body = await response.json();
    expect(response.status).toBe(200);
    assertMatchesSchema('Health', body);
  });

  it('refuses a missing or unknown key with a problem+json 401', async () => {
    const anonymous = await fetch(`${stack.url}/v1/messages`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    const wrong = await apiClient(stack.url, `vgl_${'x'.repeat(43)}`).get('/v1/messages');
    expect(wrong.status).toBe(401);
    assertMatchesSchema('Problem', wrong.json);
  });

  it('lets the web app origin read answers and problems alike (CORS)', async () => {
    const ok = await api.get('/v1/messages?limit=1');
    const missing = await api.get('/v1/messages/msg_01JAAAAAAAAAAAAAAAAAAAAAAA');
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it("answers a browser's preflight and the gateway's own refusals with the web app origin (VIGIL_WEB_ORIGIN), whatever page asks, as API Gateway answers with the console's", async () => {
    const page = { origin: 'http://localhost:5173' };
    const preflight = await fetch(`${stack.url}/v1/messages`, {
      method: 'OPTIONS',
      headers: { ...page, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    const refused = await fetch(`${stack.url}/v1/messages`, { headers: page });
    expect([preflight.status, refused.status]).toEqual([200, 401]);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it("lets a browser script on the web app's origin read when to try a refused request again (Retry-After, RateLimit-*)", async () => {
    // A tenant whose month's messages are used up: its create is refused 429 with when it renews.
    const { tenantId, api: full } = await newTenantApi(stack, 'free');
    await seedMonthlyScheduled(stack, tenantId, PLANS.free.monthlyMessages);
    const refused = await full.post('/v1/messages', { url: `${receiver.url}/never`, delay: 60 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    // A browser hands a script only the headers the answer exposes (beyond the safelisted few).
    const exposed = (refused.headers.get('access-control-expose-headers') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase());
    for (const name of ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
      expect(refused.headers.get(name), name).toMatch(/^\d+$/);
      expect(exposed, name).toContain(name);
    }
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    expect((await api.get('/v1/nope')).status).toBe(404);
    expect((await api.raw('PUT', '/v1/messages')).status).toBe(405);
  });

  it('answers GET on the POST-only /v1/messages/batch 405 with Allow: POST (it was 404 "No such message"), and text that is no message id 404 saying so', async () => {
    const batch = await api.get('/v1/messages/batch');
    expect(batch.status).toBe(405);
    expect(batch.headers.get('allow')).toBe('POST');
    expect(batch.json.detail).toBe('GET is not allowed here; use POST.');
    const notAnId = await api.get('/v1/messages/batches');
    expect(notAnId.status).toBe(404);
    expect(notAnId.json).toMatchObject({
      type: 'https://vigil.dev/problems/not-found',
      title: 'Not found',
      detail: expect.stringMatching(/^"batches" is not a message id \(msg_ and 26 characters\)/),
    });
  });
});

describe('scheduling and delivery', () => {
  it('delivers a near message once, signed, never before its sendAt, and records the attempt', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/near`,
      delay: 2,
      body: { hello: 'world' },
      metadata: { kind: 'test' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/messages/${created.json.id}`);
    assertMatchesSchema('MessageOut', created.json);
    expect(created.json).toMatchObject({
      status: 'queued',
      method: 'POST',
      attempts: 0,
      body: { hello: 'world' },
    });

    const [arrival] = (await waitForArrivals(created.json.id, 1)).filter(
      (r) => r.headers['webhook-id'] === created.json.id,
    );
    expect(arrival?.verified).toBe(true);
    expect(arrival?.arrivedAt).toBeGreaterThanOrEqual(Date.parse(created.json.sendAt));
    expect(JSON.parse(arrival?.body ?? '')).toEqual({ hello: 'world' });
    expect(arrival?.headers['content-type']).toBe('application/json');
    expect(arrival?.headers['user-agent']).toMatch(/^Vigil\//);

    const delivered = await waitForStatus(api, created.json.id, 'delivered');
    assertMatchesSchema('MessageOut', delivered);
    const attempts = await api.get(`/v1/messages/${created.json.id}/attempts`);
    assertMatchesSchema('AttemptList', attempts.json);
    expect(attempts.json.items).toEqual([expect.objectContaining({ n: 1, statusCode: 200, responseSnippet: 'ok' })]);
    await new Promise((r) => setTimeout(r, 500));
    expect(arrivalsFor(created.json.id)).toHaveLength(1);
  });

  it('lists the headers each attempt sent exactly as the receiver got them, the response headers, and how a failure ended', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/sent-headers?x=1`,
      delay: 0,
      method: 'PUT',
      headers: { 'x-tenant-trace': 'trace-42', authorization: 'Bearer tenant-own-token' },
      body: { order: 42, note: 'Zoë' },
    });
    await waitForStatus(api, created.json.id, 'delivered');
    const [arrival] = arrivalsFor(created.json.id);

    const attempts = await api.get(`/v1/messages/${created.json.id}/attempts`);
    assertMatchesSchema('AttemptList', attempts.json);
    const [attempt] = attempts.json.items;
    // Every header the receiver got, and no other; only the signature is masked.
    const signature = arrival!.headers['webhook-signature'] as string;
    expect(attempt.sentHeaders).toEqual({ ...arrival!.headers, 'webhook-signature': `${signature.slice(0, 7)}…` });
    expect(attempt).toMatchObject({ round: 0, responseHeaders: { 'content-type': 'text/plain' } });

    // A URL's user and password went as Basic authentication, and the list says so.
    const withUser = await api.post('/v1/messages', {
      url: `${receiver.url.replace('http://', 'http://ops:p%40ss@')}/sent-basic`,
      delay: 0,
    });
    await waitForStatus(api, withUser.json.id, 'delivered');
    const [basicArrival] = arrivalsFor(withUser.json.id);
    const [basicAttempt] = (await api.get(`/v1/messages/${withUser.json.id}/attempts`)).json.items;
    expect(basicArrival!.headers.authorization).toBe(`Basic ${Buffer.from('ops:p@ss').toString('base64')}`);
    const basicSignature = basicArrival!.headers['webhook-signature'] as string;
    expect(basicAttempt.sentHeaders).toEqual({
      ...basicArrival!.headers,
      'webhook-signature': `${basicSignature.slice(0, 7)}…`,
    });
    expect(attempt).not.toHaveProperty('errorKind');
    // The message's page shows the latest attempt with its response headers; lists leave them out.
    const listed = await api.get('/v1/messages?limit=5');
    const row = listed.json.items.find((m: { id: string }) => m.id === created.json.id);
    expect(row.lastAttempt).not.toHaveProperty('responseHeaders');
    expect(row.lastAttempt).not.toHaveProperty('sentHeaders');

    // A port nobody listens on: the attempt says so as data, not only in words.
    const closed = await startReceiver({});
    const closedUrl = closed.url;
    await closed.stop();
    const refused = await api.post('/v1/messages', {
      url: `${closedUrl}/nobody`,
      delay: 0,
      retry: { maxAttempts: 1 },
    });
    await waitForStatus(api, refused.json.id, 'failed');
    const failedAttempts = await api.get(`/v1/messages/${refused.json.id}/attempts`);
    assertMatchesSchema('AttemptList', failedAttempts.json);
    expect(failedAttempts.json.items[0]).toMatchObject({ errorKind: 'connection-refused', round: 0 });
    expect(failedAttempts.json.items[0].sentHeaders).toMatchObject({ 'webhook-id': refused.json.id });
  });

  it('delivers a far message through the bucket timer and promote, on time', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/far`,
      delay: 9,
      body: 'plain text',
    });
    expect(created.json.status).toBe('scheduled');
    await waitForArrivals(created.json.id, 1, 20_000);
    const [arrival] = arrivalsFor(created.json.id);
    expect(arrival?.arrivedAt).toBeGreaterThanOrEqual(Date.parse(created.json.sendAt));
    expect(arrival?.body).toBe('plain text');
    expect(arrival?.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('delivers a far message on time though its bucket schedule could not be created: the sweep promotes the bucket', async () => {
    const timer = stack.runtime.scheduling.timer;
    stack.runtime.scheduling.timer = {
      ensureBucket: async () => {
        throw new Error('ServiceQuotaExceededException (injected)');
      },
    };
    let created: Awaited<ReturnType<typeof api.post>>;
    try {
      created = await api.post('/v1/messages', { url: `${receiver.url}/far-net`, delay: 7 });
    } finally {
      stack.runtime.scheduling.timer = timer;
    }
    expect(created.status).toBe(201);
    expect(created.json.status).toBe('scheduled');
    // One-second buckets with a 2 s lead (the test stack): the sweep looks at those 1–3 s past their time.
    const sendAt = Date.parse(created.json.sendAt);
    const bucketAt = Math.floor((sendAt - 2_000) / 1_000) * 1_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, bucketAt + 1_200 - Date.now())));
    // This run promotes it (or the stack's own minute's run did, a moment before: promoted 0 here).
    expect(await sweep({})).toMatchObject({ promoted: expect.any(Number), requeued: 0 });
    await waitForArrivals(created.json.id, 1, 15_000);
    expect(arrivalsFor(created.json.id)[0]!.arrivedAt).toBeGreaterThanOrEqual(sendAt);
    const delivered = await waitForStatus(api, created.json.id, 'delivered');
    // Sent at its time by the promoted bucket, not by the pending sweep (only 5 s past due, by hand).
    expect(delivered.lastAttempt.latenessMs).toBeLessThan(5_000);
    expect(arrivalsFor(created.json.id)).toHaveLength(1);
  });

  it('retries 500 with backoff until a 200: three attempts, one webhook-id', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/fail-twice`, delay: 0 });
    await waitForStatus(api, created.json.id, 'delivered', 20_000);
    const attempts = (await api.get(`/v1/messages/${created.json.id}/attempts`)).json.items;
    expect(attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
    expect(arrivalsFor(created.json.id).map((r) => r.headers['vigil-attempt'])).toEqual(['1', '2', '3']);
  });

  it('stops at 410 Gone', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/gone`, delay: 0 });
    const failed = await waitForStatus(api, created.json.id, 'failed');
    expect(failed.attempts).toBe(1);
  });

  it('accepts a batch all-or-nothing', async () => {
    const before = (await api.get('/v1/messages?limit=100')).json.items.length;
    const bad = await api.post('/v1/messages/batch', {
      messages: [
        { url: `${receiver.url}/b`, delay: 1 },
        { url: 'nope', delay: 1 },
      ],
    });
    expect(bad.status).toBe(422);
    assertMatchesSchema('ValidationProblem', bad.json);
    expect(bad.json.errors).toEqual([{ path: 'messages.1.url', message: expect.any(String) }]);
    expect((await api.get('/v1/messages?limit=100')).json.items.length).toBe(before);

    const good = await api.post('/v1/messages/batch', {
      messages: [1, 2, 3].map((n) => ({ url: `${receiver.url}/batch/${n}`, delay: 1 })),
    });
    expect(good.status).toBe(201);
    assertMatchesSchema('MessageBatchOut', good.json);
    await receiver.waitFor(
      (all) => good.json.items.every((m: { id: string }) => all.some((r) => r.headers['webhook-id'] === m.id)),
      10_000,
    );
  });

  it('returns the first message for a repeated Idempotency-Key, with 200', async () => {
    const body = { url: `${receiver.url}/idem`, delay: 30 };
    const first = await api.post('/v1/messages', body, { 'idempotency-key': 'order-42' });
    const second = await api.post('/v1/messages', body, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json.id).toBe(first.json.id);
    await api.delete(`/v1/messages/${first.json.id}`);
  });
});

describe('changing messages', () => {
  it('a cancelled message never arrives, and cancelling twice is harmless', async () => {
    // Due in 6 s: a worker takes a message 1-2 s before it is due, and a cancel that came after
    // (a loaded machine's slow answer, as input-edges' PATCHes met on CI) would rightly be refused.
    const created = await api.post('/v1/messages', { url: `${receiver.url}/cancelled`, delay: 6 });
    const cancelled = await api.delete(`/v1/messages/${created.json.id}`);
    expect(cancelled.status).toBe(200);
    assertMatchesSchema('MessageOut', cancelled.json);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await api.delete(`/v1/messages/${created.json.id}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(created.json.sendAt) + 1_500 - Date.now()));
    expect(arrivalsFor(created.json.id)).toHaveLength(0);
  });

  it('reschedules with PATCH and refuses to change a delivered message (409)', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/patched`, delay: 60 });
    const patched = await api.patch(`/v1/messages/${created.json.id}`, { delay: 1, body: { v: 2 } });
    expect(patched.status).toBe(200);
    assertMatchesSchema('MessageOut', patched.json);
    await waitForArrivals(created.json.id, 1);
    expect(JSON.parse(arrivalsFor(created.json.id)[0]?.body ?? '')).toEqual({ v: 2 });
    await waitForStatus(api, created.json.id, 'delivered');
    const conflict = await api.patch(`/v1/messages/${created.json.id}`, { delay: 5 });
    expect(conflict.status).toBe(409);
    assertMatchesSchema('Problem', conflict.json);
    expect((await api.delete(`/v1/messages/${created.json.id}`)).status).toBe(409);
  });

  it('redelivers a delivered message now', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/again`, delay: 0 });
    await waitForStatus(api, created.json.id, 'delivered');
    const again = await api.post(`/v1/messages/${created.json.id}/redeliver`);
    expect(again.status).toBe(202);
    assertMatchesSchema('MessageOut', again.json);
    await waitForArrivals(created.json.id, 2);
    expect((await waitForStatus(api, created.json.id, 'delivered')).attempts).toBe(2);
    // Each attempt says which delivery it belongs to: the console marks the redelivery from it.
    const attempts = (await api.get(`/v1/messages/${created.json.id}/attempts`)).json.items;
    expect(attempts.map((a: { n: number; round: number }) => [a.n, a.round])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    // The second attempt's headers are derived with its own number and timestamp, as received.
    const second = arrivalsFor(created.json.id)[1]!;
    expect(attempts[1].sentHeaders).toMatchObject({
      'vigil-attempt': '2',
      'webhook-timestamp': second.headers['webhook-timestamp'],
    });
    expect((await api.post('/v1/messages/msg_01JAAAAAAAAAAAAAAAAAAAAAAA/redeliver')).status).toBe(404);
  });

  it('lists newest first with cursor pages and a status filter', async () => {
    const page = await api.get('/v1/messages?limit=2');
    assertMatchesSchema('MessagePage', page.json);
    expect(page.json.items).toHaveLength(2);
    const next = await api.get(`/v1/messages?limit=2&cursor=${page.json.nextCursor}`);
    expect(next.json.items[0].id < page.json.items[1].id).toBe(true);
    const failed = await api.get('/v1/messages?status=failed');
    expect(failed.json.items.every((m: { status: string }) => m.status === 'failed')).toBe(true);
    expect((await api.get('/v1/messages?status=bogus')).status).toBe(422);
    expect((await api.get('/v1/messages?cursor=forged')).status).toBe(422);
  });
});

describe('bad input', () => {
  it('answers 422 with every bad field, and stores nothing for unknown fields', async () => {
    const response = await api.post('/v1/messages', {
      url: `${receiver.url}/x`,
      delay: 1,
      status: 'delivered',
      retry: { maxAttempts: 99 },
    });
    expect(response.status).toBe(422);
    assertMatchesSchema('ValidationProblem', response.json);
    expect(response.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['retry.maxAttempts', 'status']);
  });

  it('answers 422 naming a query parameter that a route without any was given, as routes with some do', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/query`, delay: 600 });

    const attempts = await api.get(`/v1/messages/${created.json.id}/attempts?limit=10`);
    const message = await api.get(`/v1/messages/${created.json.id}?fields=id`);

    expect(attempts.status).toBe(422);
    assertMatchesSchema('ValidationProblem', attempts.json);
    expect(attempts.json.errors).toEqual([{ path: 'query.limit', message: 'unknown field' }]);
    expect(message.json.errors).toEqual([{ path: 'query.fields', message: 'unknown field' }]);
    expect((await api.get(`/v1/messages/${created.json.id}/attempts`)).status).toBe(200);
    await api.delete(`/v1/messages/${created.json.id}`);
  });

  it('answers 422 naming the fields of a body that a route without one was given, and does nothing', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/bodyless`, delay: 600 });
    await api.delete(`/v1/messages/${created.json.id}`);

    // Redeliver takes no options: a caller who meant "in a minute" is told, not redelivered now.
    const later = await api.post(`/v1/messages/${created.json.id}/redeliver`, { delay: 60 });
    const list = await api.post(`/v1/messages/${created.json.id}/redeliver`, [1]);

    expect(later.status).toBe(422);
    assertMatchesSchema('ValidationProblem', later.json);
    expect(later.json.errors).toEqual([{ path: 'delay', message: 'unknown field' }]);
    expect(list.status).toBe(422);
    expect((await api.get(`/v1/messages/${created.json.id}`)).json).toMatchObject({ status: 'cancelled', attempts: 0 });
    // An empty object is no body: refused for the message's state (cancelled), not for its body.
    expect((await api.post(`/v1/messages/${created.json.id}/redeliver`, {})).status).toBe(409);
  });

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    expect((await api.post('/v1/messages', '{"url":')).status).toBe(400);
    const form = await api.raw('POST', '/v1/messages', 'url=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
  });

  it('answers 413 for a body over 256 KiB and 422 for a sendAt long past', async () => {
    const big = await api.post('/v1/messages', {
      url: `${receiver.url}/x`,
      delay: 1,
      body: 'x'.repeat(300_000),
    });
    expect(big.status).toBe(413);
    assertMatchesSchema('Problem', big.json);
    const past = await api.post('/v1/messages', { url: `${receiver.url}/x`, sendAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(422);
    expect(past.json.errors[0].path).toBe('sendAt');
  });

  it('answers 404 for an id of the wrong shape or one that does not exist', async () => {
    expect((await api.get('/v1/messages/not-an-id')).status).toBe(404);
    expect((await api.get('/v1/messages/msg_01JAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
  });
});
