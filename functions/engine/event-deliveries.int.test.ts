/**
 * Callbacks and notification endpoints on the whole local stack (API, queue, worker, store) with
 * a real receiver: a round's end calls back once, signed with the tenant's secret (Standard
 * Webhooks) and retried when the callback receiver fails; a redelivered message calls back again;
 * notification endpoints receive `message.failed`, `key.created`, `key.revoked` and a test event;
 * none of these event deliveries counts as the tenant's usage.
 */
import type { ReceivedWebhook, Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, newTenantKey, startTestStack, waitFor } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';
import { startReceiverThread } from '../../test-support/receiver-thread';

let stack: LocalStack;
let receiver: Receiver;
let api: ReturnType<typeof apiClient>;
let secret: string;

beforeAll(async () => {
  // On a thread of its own, so a starved stack does not make its answers late (a timeout, sent
  // again) and this file's exact counts off. Its `respond` runs there, so it holds its own table.
  receiver = await startReceiverThread({
    respond: ({ path, count }) => {
      if (path.startsWith('/gone')) return 410;
      // Paths whose first `n` requests are answered 500 (then 200).
      const failFirst: Record<string, number> = { '/callback-3': 2, '/callback-7': 1, '/nep-flaky': 1 };
      return count < (failFirst[path] ?? 0) ? 500 : 200;
    },
  });
  stack = await startTestStack();
  api = apiClient(stack.url, stack.apiKey);
  secret = (await api.get('/v1/signing-secret')).json.secret as string;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const arrivalsAt = (path: string): ReceivedWebhook[] => receiver.received.filter((r) => r.path === path);

const arrived = (path: string, count = 1): Promise<ReceivedWebhook[]> =>
  waitFor(
    async () => arrivalsAt(path),
    (list) => list.length >= count,
  );

/** The event a request carries, once its Standard Webhooks signature checks out with `whsec`. */
const verifiedEvent = (arrival: ReceivedWebhook, whsec = secret) =>
  new Webhook(whsec).verify(arrival.body, {
    'webhook-id': String(arrival.headers['webhook-id']),
    'webhook-timestamp': String(arrival.headers['webhook-timestamp']),
    'webhook-signature': String(arrival.headers['webhook-signature']),
  }) as { type: string; timestamp: string; data: Record<string, any> };

const messageNamed = async (id: string) => (await api.get(`/v1/messages/${id}`)).json;

describe('a message with a callback', () => {
  it('calls back once when delivered, signed with the tenant secret, with the message and its last attempt', async () => {
    // Prepare / Act
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/ok-1`,
      delay: 0,
      body: { order: 1 },
      callback: { url: `${receiver.url}/callback-1`, on: ['delivered', 'failed'] },
    });
    expect(created.status).toBe(201);
    expect(created.json.callback).toEqual({ url: `${receiver.url}/callback-1`, on: ['delivered', 'failed'] });
    const id = created.json.id as string;
    const [call] = await arrived('/callback-1');

    // Assess: verified like any delivery, about this message's delivered round.
    const event = verifiedEvent(call as ReceivedWebhook);
    expect(event.type).toBe('message.delivered');
    expect(event.data.round).toBe(0);
    expect(event.data.message).toMatchObject({ id, status: 'delivered', attempts: 1 });
    expect(event.data.message.lastAttempt).toMatchObject({ n: 1, statusCode: 200 });
    expect(event.data.message.body).toBeUndefined();
    assertMatchesSchema('EventEnvelope', event);
    assertMatchesSchema('MessageOutWithoutBody', event.data.message);
    // Its webhook-id is the callback delivery's own id, which the message links, with its status.
    const callbackId = String(call?.headers['webhook-id']);
    const parent = await waitFor(
      () => messageNamed(id),
      (m) => m.callbacks?.[0]?.status === 'delivered',
    );
    expect(parent.callbacks).toEqual([{ id: callbackId, round: 0, event: 'delivered', status: 'delivered' }]);
    const delivery = await messageNamed(callbackId);
    expect(delivery.origin).toEqual({ kind: 'callback', messageId: id, round: 0, event: 'delivered' });
    expect(delivery.maxAttempts).toBe(5);
    // Once per round: nothing more arrives.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(arrivalsAt('/callback-1')).toHaveLength(1);
  });

  it('calls back when the message fails, with the failing attempt', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/gone-2`,
      delay: 0,
      callback: { url: `${receiver.url}/callback-2`, on: ['failed'] },
    });
    const id = created.json.id as string;
    const [call] = await arrived('/callback-2');

    const event = verifiedEvent(call as ReceivedWebhook);
    expect(event.type).toBe('message.failed');
    expect(event.data.message).toMatchObject({ id, status: 'failed' });
    expect(event.data.message.lastAttempt).toMatchObject({ n: 1, statusCode: 410 });
  });

  it('retries the callback when its receiver fails first, with the same webhook-id', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/ok-3`,
      delay: 0,
      callback: { url: `${receiver.url}/callback-3`, on: ['delivered'] },
    });
    const calls = await arrived('/callback-3', 3);

    expect(calls.map((c) => c.status)).toEqual([500, 500, 200]);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);
    expect(calls.map((c) => c.headers['vigil-attempt'])).toEqual(['1', '2', '3']);
    for (const call of calls) expect(verifiedEvent(call).data.message.id).toBe(created.json.id);
    const delivery = await waitFor(
      () => messageNamed(String(calls[0]?.headers['webhook-id'])),
      (m) => m.status === 'delivered',
    );
    expect(delivery.attempts).toBe(3);
    // The message itself was delivered at once: its callback's retries never held it back.
    const parent = await messageNamed(created.json.id);
    expect(parent).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('does not call back on an outcome it did not ask for', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/ok-4`,
      delay: 0,
      callback: { url: `${receiver.url}/callback-4`, on: ['failed'] },
    });
    await arrived('/ok-4');
    await waitFor(
      () => messageNamed(created.json.id),
      (m) => m.status === 'delivered',
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(arrivalsAt('/callback-4')).toHaveLength(0);
    expect((await messageNamed(created.json.id)).callbacks).toBeUndefined();
  });

  it('calls back again for a redelivered round, as a delivery of its own', async () => {
    const created = await api.post('/v1/messages', {
      url: `${receiver.url}/ok-5`,
      delay: 0,
      callback: { url: `${receiver.url}/callback-5`, on: ['delivered'] },
    });
    const id = created.json.id as string;
    await arrived('/callback-5');
    await waitFor(
      () => messageNamed(id),
      (m) => m.callbacks?.length === 1,
    );
    expect((await api.post(`/v1/messages/${id}/redeliver`)).status).toBe(202);
    const calls = await arrived('/callback-5', 2);

    expect(calls.map((c) => verifiedEvent(c).data.round)).toEqual([0, 1]);
    expect(calls[0]?.headers['webhook-id']).not.toBe(calls[1]?.headers['webhook-id']);
    const parent = await waitFor(
      () => messageNamed(id),
      (m) => m.callbacks?.length === 2,
    );
    expect(parent.callbacks.map((c: { round: number }) => c.round)).toEqual([0, 1]);
  });

  it('refuses a callback url the target rules refuse (422 on callback.url), storing nothing', async () => {
    const own = new URL(stack.url).port;
    const refused = await api.post('/v1/messages', {
      url: `${receiver.url}/never`,
      delay: 5,
      callback: { url: `http://127.0.0.1:${own}/v1/messages`, on: ['delivered'] },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ path: 'callback.url', message: expect.stringContaining('own') }]);

    const badOn = await api.post('/v1/messages', {
      url: `${receiver.url}/never`,
      delay: 5,
      callback: { url: `${receiver.url}/cb`, on: ['delivered', 'delivered', 'maybe'] },
    });
    expect(badOn.status).toBe(422);
    expect(badOn.json.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^callback\.on/)]),
    );
    const page = await api.get('/v1/messages?limit=100');
    expect(page.json.items.some((m: { url: string }) => m.url.endsWith('/never'))).toBe(false);
  });

  it('does not count callback deliveries as the tenant’s messages or attempts', async () => {
    // A tenant of its own, so its counters hold only this test's.
    const key = await newTenantKey(stack, 'pro', 'callback-metering');
    const own = apiClient(stack.url, key);
    const created = await own.post('/v1/messages', {
      url: `${receiver.url}/ok-7`,
      delay: 0,
      callback: { url: `${receiver.url}/callback-7`, on: ['delivered'] },
    });
    expect(created.status).toBe(201);
    await arrived('/callback-7', 2);
    await waitFor(
      () => own.get(`/v1/messages/${created.json.id}`),
      (m) => m.json.callbacks?.[0]?.status === 'delivered',
    );
    await stack.foldUsage();

    const usage = await own.get('/v1/usage');
    expect(usage.json.monthToDate).toMatchObject({ scheduled: 1, attempts: 1, delivered: 1, failed: 0 });
  });
});

describe('notification endpoints', () => {
  it('receive key.created, key.revoked, message.failed and a test event, signed; and list their deliveries', async () => {
    // Prepare: a tenant of its own, with one endpoint for everything and one for key events only.
    const key = await newTenantKey(stack, 'pro', 'notified');
    const own = apiClient(stack.url, key);
    const whsec = (await own.get('/v1/signing-secret')).json.secret as string;
    const all = await own.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-all`, description: 'ops' });
    expect(all.status).toBe(201);
    expect(all.json).toMatchObject({
      url: `${receiver.url}/nep-all`,
      events: ['message.failed', 'key.created', 'key.revoked'],
      description: 'ops',
    });
    const keysOnly = await own.post('/v1/notification-endpoints', {
      url: `${receiver.url}/nep-keys`,
      events: ['key.created'],
    });
    expect(keysOnly.status).toBe(201);
    expect((await own.get('/v1/notification-endpoints')).json.items.map((e: { id: string }) => e.id)).toEqual([
      all.json.id,
      keysOnly.json.id,
    ]);

    // Act: a key is made and revoked, a message fails.
    const made = await own.post('/v1/keys', { name: 'ci' });
    expect(made.status).toBe(201);
    expect((await own.delete(`/v1/keys/${made.json.id}`)).status).toBe(204);
    // Revoking it again changes nothing and tells nobody (one key.revoked below, not two).
    expect((await own.delete(`/v1/keys/${made.json.id}`)).status).toBe(204);
    const failing = await own.post('/v1/messages', { url: `${receiver.url}/gone-nep`, delay: 0 });

    // Assess: each endpoint got what it subscribed to, verified with the tenant's secret.
    const events = (await arrived('/nep-all', 3)).map((a) => verifiedEvent(a, whsec));
    expect(events.map((e) => e.type).sort()).toEqual(['key.created', 'key.revoked', 'message.failed']);
    expect(events.find((e) => e.type === 'key.created')?.data.key).toMatchObject({
      id: made.json.id,
      name: 'ci',
      prefix: made.json.prefix,
    });
    // The revoked key named as created, with the time its list shows.
    const listed = (await own.get('/v1/keys?include=revoked')).json.items.find(
      (k: { id: string }) => k.id === made.json.id,
    );
    expect(events.find((e) => e.type === 'key.revoked')?.data.key).toEqual({
      id: made.json.id,
      name: 'ci',
      prefix: made.json.prefix,
      revokedAt: listed.revokedAt,
      revokedBy: listed.revokedBy,
    });
    expect(events.find((e) => e.type === 'message.failed')?.data.message).toMatchObject({
      id: failing.json.id,
      status: 'failed',
      lastAttempt: expect.objectContaining({ statusCode: 410 }),
    });
    const [keyEvent] = await arrived('/nep-keys');
    expect(verifiedEvent(keyEvent as ReceivedWebhook, whsec).type).toBe('key.created');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsAt('/nep-keys')).toHaveLength(1);

    // A test event, and the endpoint's recent deliveries, newest first.
    const test = await own.post(`/v1/notification-endpoints/${all.json.id}/test`);
    expect(test.status).toBe(202);
    expect(test.json.origin).toEqual({ kind: 'notification', endpointId: all.json.id, event: 'notification.test' });
    const [, , , tested] = await arrived('/nep-all', 4);
    expect(verifiedEvent(tested as ReceivedWebhook, whsec).type).toBe('notification.test');
    const deliveries = await waitFor(
      () => own.get(`/v1/notification-endpoints/${all.json.id}/deliveries`),
      (r) => r.json.items.length === 4 && r.json.items.every((m: { status: string }) => m.status === 'delivered'),
    );
    expect(deliveries.json.items[0].id).toBe(test.json.id);
    expect(deliveries.json.items.map((m: { origin: { event: string } }) => m.origin.event).sort()).toEqual([
      'key.created',
      'key.revoked',
      'message.failed',
      'notification.test',
    ]);
  });

  it('retries a notification whose endpoint fails first', async () => {
    const key = await newTenantKey(stack, 'pro', 'notified-retry');
    const own = apiClient(stack.url, key);
    const endpoint = await own.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-flaky` });
    await own.post('/v1/keys', { name: 'flaky' });
    const calls = await arrived('/nep-flaky', 2);
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
    expect(calls[0]?.headers['webhook-id']).toBe(calls[1]?.headers['webhook-id']);
    const [delivery] = (
      await waitFor(
        () => own.get(`/v1/notification-endpoints/${endpoint.json.id}/deliveries`),
        (r) => r.json.items[0]?.status === 'delivered',
      )
    ).json.items;
    expect(delivery.attempts).toBe(2);
  });

  it('are at most 5 per tenant, checked like targets, and removed by id (404 for another)', async () => {
    const key = await newTenantKey(stack, 'pro', 'endpoint-limits');
    const own = apiClient(stack.url, key);
    for (let i = 0; i < 5; i += 1) {
      expect((await own.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-${i}` })).status).toBe(201);
    }
    const sixth = await own.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-6` });
    expect(sixth.status).toBe(409);
    expect(sixth.json.detail).toContain('at most 5');
    // One URL, one endpoint: the same request again (a retry after a lost answer) gets that endpoint
    // back, even at the limit; the URL with other events is refused.
    const [made] = (await own.get('/v1/notification-endpoints')).json.items.filter(
      (e: { url: string }) => e.url === `${receiver.url}/nep-0`,
    );
    const again = await own.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-0` });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(made);
    expect(again.headers.get('location')).toBe(`/v1/notification-endpoints/${made.id}`);
    const otherEvents = await own.post('/v1/notification-endpoints', {
      url: `${receiver.url}/nep-0`,
      events: ['key.created'],
    });
    expect(otherEvents.status).toBe(409);
    expect(otherEvents.json).toMatchObject({ type: expect.stringContaining('endpoint-exists') });
    expect(otherEvents.json.detail).toContain(made.id);
    expect((await own.get('/v1/notification-endpoints')).json.items).toHaveLength(5);

    const refused = await own.post('/v1/notification-endpoints', {
      url: `http://localhost:${new URL(stack.url).port}/x`,
    });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ path: 'url', message: expect.stringContaining('own') }]);
    const badEvents = await own.post('/v1/notification-endpoints', { url: `${receiver.url}/x`, events: ['bogus'] });
    expect(badEvents.status).toBe(422);
    expect(badEvents.json.errors.map((e: { path: string }) => e.path)).toContain('events.0');

    const [first] = (await own.get('/v1/notification-endpoints')).json.items;
    // Another tenant's endpoint is not found.
    expect((await api.delete(`/v1/notification-endpoints/${first.id}`)).status).toBe(404);
    expect((await api.post(`/v1/notification-endpoints/${first.id}/test`)).status).toBe(404);
    expect((await own.delete(`/v1/notification-endpoints/${first.id}`)).status).toBe(204);
    expect((await own.delete(`/v1/notification-endpoints/${first.id}`)).status).toBe(404);
    expect((await own.get('/v1/notification-endpoints')).json.items).toHaveLength(4);
  });
});
