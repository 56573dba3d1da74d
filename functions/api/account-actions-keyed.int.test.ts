/**
 * The account's actions made safe to repeat with an Idempotency-Key, as the message actions are: a
 * key's creation, the signing secret's rotation, a notification endpoint's add and its test. A repeat
 * (a timeout, a double click, a client's retry) makes nothing more; a key's secret is shown once only.
 */
import type { ReceivedWebhook, Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, newTenantKey, startTestStack } from '../../test-support/local-stack';
import { startReceiverThread } from '../../test-support/receiver-thread';
import { assertMatchesSchema } from '../../test-support/openapi';
import { openStackStore } from '../../test-support/stack-store';

let stack: LocalStack;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiverThread();
  stack = await startTestStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const newTenant = async (name: string) => apiClient(stack.url, await newTenantKey(stack, 'pro', name));
const keyed = (key: string) => ({ 'idempotency-key': key });
const arrivalsAt = (path: string): ReceivedWebhook[] => receiver.received.filter((r) => r.path === path);
const REUSED = 'https://vigil.dev/problems/idempotency-key-reused';
const STATE_CONFLICT = 'https://vigil.dev/problems/state-conflict';

/** Ends the lease of the request bound to the dev tenant's `key` now, as IDEMPOTENCY_LEASE_MS (15 s) later would. */
const endLease = async (key: string) => {
  const { store, close } = await openStackStore(stack.dataDir);
  try {
    const bound = await store.findIdempotencyKey(stack.tenantId, key, Date.now());
    if (!bound) throw new Error(`the Idempotency-Key ${key} is not bound`);
    await store.releaseIdempotencyKey(stack.tenantId, key, bound.owner);
  } finally {
    close();
  }
};

describe('POST /v1/keys with an Idempotency-Key', () => {
  it('makes one key for a repeated create: the repeat answers 200 with the key as it is, without its secret, saying to revoke it if that answer was lost', async () => {
    const api = await newTenant('keyed-keys');
    const before = (await api.get('/v1/keys')).json.items.length;

    const first = await api.post('/v1/keys', { name: 'deploy bot' }, keyed('key-once'));
    expect(first.status).toBe(201);
    assertMatchesSchema('ApiKeyCreated', first.json);
    const repeat = await api.post('/v1/keys', { name: 'deploy bot' }, keyed('key-once'));

    expect(repeat.status).toBe(200);
    assertMatchesSchema('ApiKeyNotShown', repeat.json);
    expect(repeat.json).toMatchObject({ id: first.json.id, name: 'deploy bot', prefix: first.json.prefix });
    expect(repeat.json.key).toBeUndefined();
    expect(JSON.stringify(repeat.json)).not.toContain(first.json.key);
    expect(repeat.json.keyNotShown).toContain(`DELETE /v1/keys/${first.json.id}`);
    const listed = (await api.get('/v1/keys')).json.items.map((k: { id: string }) => k.id);
    expect(listed).toHaveLength(before + 1);
    expect(listed).toContain(first.json.id);

    // Revoked since: the repeat says so, and still makes none.
    expect((await api.delete(`/v1/keys/${first.json.id}`)).status).toBe(204);
    const afterRevoke = await api.post('/v1/keys', { name: 'deploy bot' }, keyed('key-once'));
    expect([afterRevoke.status, afterRevoke.json.id, typeof afterRevoke.json.revokedAt]).toEqual([
      200,
      first.json.id,
      'string',
    ]);
    expect((await api.get('/v1/keys')).json.items).toHaveLength(before);
  });

  it('refuses the key with another name (422) and makes one key of five creates sent at once with one key', async () => {
    const api = await newTenant('keyed-keys-at-once');
    const before = (await api.get('/v1/keys')).json.items.length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api.post('/v1/keys', { name: 'at once' }, keyed('key-at-once'))),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 201 || s === 200 || s === 409)).toBe(true);
    expect(new Set(answers.filter((a) => a.status !== 409).map((a) => a.json.id)).size).toBe(1);
    expect((await api.get('/v1/keys')).json.items).toHaveLength(before + 1);

    const other = await api.post('/v1/keys', { name: 'another name' }, keyed('key-at-once'));
    expect([other.status, other.json.type]).toEqual([422, REUSED]);
    expect((await api.get('/v1/keys')).json.items).toHaveLength(before + 1);
  });
});

describe('POST /v1/signing-secret/rotate with an Idempotency-Key', () => {
  it('rotates once for a repeated rotate: the repeat answers the secret that signs now, and spends none of the day’s rotations', async () => {
    const api = await newTenant('keyed-rotate');
    const original = (await api.get('/v1/signing-secret')).json.secret as string;

    const first = await api.post('/v1/signing-secret/rotate', undefined, keyed('rotate-once'));
    expect(first.status).toBe(200);
    const repeat = await api.post('/v1/signing-secret/rotate', undefined, keyed('rotate-once'));

    expect(repeat.status).toBe(200);
    assertMatchesSchema('SigningSecretRotated', repeat.json);
    expect(repeat.json).toEqual(first.json);
    expect(first.json.secret).not.toBe(original);
    expect((await api.get('/v1/signing-secret')).json.secret).toBe(first.json.secret);
    // One of the day's rotations spent, not two: one more is allowed (two replaced secrets sign beside the current one).
    const second = await api.post('/v1/signing-secret/rotate', undefined, keyed('rotate-again'));
    expect(second.status).toBe(200);
    // The first key's repeat now answers what is true now: the secret the later rotation made.
    const late = await api.post('/v1/signing-secret/rotate', undefined, keyed('rotate-once'));
    expect([late.status, late.json.secret]).toEqual([200, second.json.secret]);
    expect((await api.get('/v1/signing-secret')).json.secret).toBe(second.json.secret);

    // At the limit, a refused rotation releases its key: it is judged afresh, and the key is not spent.
    const refused = await api.post('/v1/signing-secret/rotate', undefined, keyed('rotate-refused'));
    expect([refused.status, refused.json.type]).toEqual([409, 'https://vigil.dev/problems/rotation-limit']);
  });
});

describe('POST /v1/notification-endpoints with an Idempotency-Key', () => {
  it('adds one endpoint for a repeated add, and refuses the key with another URL (422) instead of adding a second endpoint', async () => {
    const api = await newTenant('keyed-endpoints');
    const url = `${receiver.url}/keyed-endpoint`;
    const first = await api.post('/v1/notification-endpoints', { url }, keyed('endpoint-once'));
    expect(first.status).toBe(201);
    const repeat = await api.post('/v1/notification-endpoints', { url }, keyed('endpoint-once'));
    expect([repeat.status, repeat.json.id]).toEqual([200, first.json.id]);

    const elsewhere = await api.post(
      '/v1/notification-endpoints',
      { url: `${receiver.url}/keyed-endpoint-other` },
      keyed('endpoint-once'),
    );
    expect([elsewhere.status, elsewhere.json.type]).toEqual([422, REUSED]);
    expect((await api.get('/v1/notification-endpoints')).json.items.map((e: { id: string }) => e.id)).toEqual([
      first.json.id,
    ]);
  });

  it('adds nothing again for the repeat of an add whose endpoint was removed since: 409 state-conflict naming it, at once and after the lease', async () => {
    // The dev tenant, whose claims the test reads in the stack's store.
    const api = apiClient(stack.url, stack.apiKey);
    const url = `${receiver.url}/keyed-endpoint-removed`;
    const first = await api.post('/v1/notification-endpoints', { url }, keyed('p1'));
    expect(first.status).toBe(201);
    expect((await api.delete(`/v1/notification-endpoints/${first.json.id}`)).status).toBe(204);

    // Within the first request's lease: it is done, not running (this answered 409 idempotency-key-in-use after 5 s).
    const started = Date.now();
    const atOnce = await api.post('/v1/notification-endpoints', { url }, keyed('p1'));
    expect([atOnce.status, atOnce.json.type]).toEqual([409, STATE_CONFLICT]);
    expect(atOnce.headers.get('retry-after')).toBeNull();
    expect(atOnce.json.detail).toContain(
      `the notification endpoint it answered with, ${first.json.id}, has been removed since`,
    );
    expect(atOnce.json.detail).toContain('send the request with a new Idempotency-Key');
    expect(Date.now() - started).toBeLessThan(4_000);

    // After the lease (this took the request over and added the endpoint again, with the same id).
    await endLease('p1');
    const afterLease = await api.post('/v1/notification-endpoints', { url }, keyed('p1'));
    expect([afterLease.status, afterLease.json.type]).toEqual([409, STATE_CONFLICT]);
    const listed = (await api.get('/v1/notification-endpoints')).json.items.map((e: { url: string }) => e.url);
    expect(listed).not.toContain(url);

    // A new key is a new request: the endpoint is added anew.
    const anew = await api.post('/v1/notification-endpoints', { url }, keyed('p2'));
    expect(anew.status).toBe(201);
    expect((await api.delete(`/v1/notification-endpoints/${anew.json.id}`)).status).toBe(204);
  });

  it('names the endpoint the URL had, which the keyed add answered with, when refusing its repeat once that endpoint was removed', async () => {
    const api = await newTenant('keyed-endpoint-url-had-one');
    const url = `${receiver.url}/keyed-endpoint-url-had-one`;
    const unkeyed = await api.post('/v1/notification-endpoints', { url });
    expect(unkeyed.status).toBe(201);
    const keyedAdd = await api.post('/v1/notification-endpoints', { url }, keyed('had-one'));
    expect([keyedAdd.status, keyedAdd.json.id]).toEqual([200, unkeyed.json.id]);
    expect((await api.delete(`/v1/notification-endpoints/${unkeyed.json.id}`)).status).toBe(204);

    const repeat = await api.post('/v1/notification-endpoints', { url }, keyed('had-one'));

    expect([repeat.status, repeat.json.type]).toEqual([409, STATE_CONFLICT]);
    expect(repeat.json.detail).toContain(
      `the notification endpoint it answered with, ${unkeyed.json.id}, has been removed since`,
    );
    expect((await api.get('/v1/notification-endpoints')).json.items).toEqual([]);
  });

  it('binds nothing to a URL the target rules refuse: the key is free for the corrected request', async () => {
    const api = await newTenant('keyed-endpoints-refused');
    // The stack's own API: refused as a target, as any of its services' ports.
    const bad = await api.post('/v1/notification-endpoints', { url: `${stack.url}/x` }, keyed('fix-url'));
    expect([bad.status, bad.json.errors?.[0]?.path]).toEqual([422, 'url']);
    const good = await api.post('/v1/notification-endpoints', { url: `${receiver.url}/fixed` }, keyed('fix-url'));
    expect(good.status).toBe(201);
  });
});

describe('POST /v1/notification-endpoints/{id}/test with an Idempotency-Key', () => {
  it('sends one test event for a repeated test: the repeat answers 200 with that delivery, and 404 once its endpoint is removed', async () => {
    const api = await newTenant('keyed-endpoint-test');
    const endpoint = (await api.post('/v1/notification-endpoints', { url: `${receiver.url}/keyed-test` })).json;
    const other = (await api.post('/v1/notification-endpoints', { url: `${receiver.url}/keyed-test-other` })).json;
    const path = `/v1/notification-endpoints/${endpoint.id}/test`;

    const first = await api.post(path, undefined, keyed('test-once'));
    expect(first.status).toBe(202);
    const repeat = await api.post(path, undefined, keyed('test-once'));
    expect([repeat.status, repeat.json.id]).toEqual([200, first.json.id]);
    assertMatchesSchema('MessageOut', repeat.json);

    const elsewhere = await api.post(`/v1/notification-endpoints/${other.id}/test`, undefined, keyed('test-once'));
    expect([elsewhere.status, elsewhere.json.type]).toEqual([422, REUSED]);
    // Its endpoint removed since, the repeat names no endpoint (404, before its key is looked at) and sends nothing.
    expect((await api.delete(`/v1/notification-endpoints/${endpoint.id}`)).status).toBe(204);
    const afterRemoved = await api.post(path, undefined, keyed('test-once'));
    expect([afterRemoved.status, afterRemoved.json.type]).toEqual([404, 'https://vigil.dev/problems/not-found']);
    await receiver.waitFor((all) => all.some((r) => r.path === '/keyed-test'), 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(arrivalsAt('/keyed-test')).toHaveLength(1);
    expect(arrivalsAt('/keyed-test-other')).toHaveLength(0);
  });
});
