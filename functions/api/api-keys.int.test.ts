/** A tenant manages its own API keys: create (secret shown once), list, revoke (refused at once locally). */
import type { Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, waitFor } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';
import { startReceiverThread } from '../../test-support/receiver-thread';

let stack: LocalStack;
let api: ReturnType<typeof apiClient>;
let receiver: Receiver;

beforeAll(async () => {
  // On a thread of its own: it counts the events told exactly, which a starved stack's retries would add to.
  receiver = await startReceiverThread();
  stack = await startTestStack();
  api = apiClient(stack.url, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

describe('/v1/keys', () => {
  it('creates a key that works, lists it without its secret, and revokes it at once', async () => {
    const created = await api.post('/v1/keys', { name: 'billing service' });
    expect(created.status).toBe(201);
    assertMatchesSchema('ApiKeyCreated', created.json);
    expect(created.json.prefix).toBe(created.json.key.slice(0, 12));

    const billing = apiClient(stack.url, created.json.key);
    expect((await billing.get('/v1/messages?limit=1')).status).toBe(200);

    const listed = await api.get('/v1/keys');
    assertMatchesSchema('ApiKeyList', listed.json);
    const entry = listed.json.items.find((k: { id: string }) => k.id === created.json.id);
    expect(entry).toEqual({
      id: created.json.id,
      name: 'billing service',
      prefix: created.json.prefix,
      createdAt: expect.any(String),
      // It was just used (above), and the authorizer notes that.
      lastUsedAt: expect.any(String),
    });
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);

    expect((await api.delete(`/v1/keys/${created.json.id}`)).status).toBe(204);
    const refused = await billing.get('/v1/messages?limit=1');
    expect(refused.status).toBe(401);
    assertMatchesSchema('Problem', refused.json);
    expect((await api.get('/v1/keys')).json.items.map((k: { id: string }) => k.id)).not.toContain(created.json.id);
  });

  it('lists revoked keys on request, with when and by which key (a key may revoke itself)', async () => {
    const mine = (await api.get('/v1/keys')).json.items.find(
      (k: { prefix: string }) => k.prefix === stack.apiKey.slice(0, 12),
    );
    const byMe = (await api.post('/v1/keys', { name: 'revoked by the main key' })).json;
    const itself = (await api.post('/v1/keys', { name: 'revokes itself' })).json;
    expect((await api.delete(`/v1/keys/${byMe.id}`)).status).toBe(204);
    expect((await apiClient(stack.url, itself.key).delete(`/v1/keys/${itself.id}`)).status).toBe(204);

    const active = (await api.get('/v1/keys')).json.items.map((k: { id: string }) => k.id);
    expect(active).not.toContain(byMe.id);
    const all = await api.get('/v1/keys?include=revoked');
    expect(all.status).toBe(200);
    assertMatchesSchema('ApiKeyList', all.json);
    const find = (id: string) => all.json.items.find((k: { id: string }) => k.id === id);
    expect(find(byMe.id)).toMatchObject({ revokedAt: expect.any(String), revokedBy: mine.id });
    expect(find(itself.id)).toMatchObject({ revokedBy: itself.id });
    expect(find(mine.id).revokedAt).toBeUndefined();
    expect(Date.now() - Date.parse(find(byMe.id).revokedAt)).toBeLessThan(60_000);

    const unknown = await api.get('/v1/keys?include=everything');
    expect(unknown.status).toBe(422);
    assertMatchesSchema('Problem', unknown.json);
  });

  it('tells a key.revoked endpoint who revoked each key, as the listing of revoked keys does', async () => {
    // Prepare: an endpoint for key.revoked, and two keys to revoke
    const endpoint = await api.post('/v1/notification-endpoints', {
      url: `${receiver.url}/keys-revoked`,
      events: ['key.revoked'],
    });
    expect(endpoint.status).toBe(201);
    const byMain = (await api.post('/v1/keys', { name: 'revoked by the main key, told' })).json;
    const itself = (await api.post('/v1/keys', { name: 'revokes itself, told' })).json;

    // Act: the main key revokes one, the other revokes itself
    expect((await api.delete(`/v1/keys/${byMain.id}`)).status).toBe(204);
    expect((await apiClient(stack.url, itself.key).delete(`/v1/keys/${itself.id}`)).status).toBe(204);

    // Assess: each event's revokedBy (and revokedAt) is the listing's
    const arrivals = await waitFor(
      async () => receiver.received.filter((r) => r.path === '/keys-revoked'),
      (list) => list.length >= 2,
    );
    const told = arrivals.map((a) => JSON.parse(a.body).data.key as Record<string, unknown>);
    const listed = (await api.get('/v1/keys?include=revoked')).json.items as Array<Record<string, unknown>>;
    const asListed = (id: string) => {
      const { revokedAt, revokedBy } = listed.find((k) => k.id === id)!;
      return expect.objectContaining({ id, revokedAt, revokedBy });
    };
    expect(told).toEqual(expect.arrayContaining([asListed(byMain.id), asListed(itself.id)]));
    expect(told.find((k) => k.id === itself.id)?.revokedBy).toBe(itself.id);
    expect(told).toHaveLength(2);
    expect((await api.delete(`/v1/notification-endpoints/${endpoint.json.id}`)).status).toBe(204);
  });

  it('refuses a 21st active key with 409, and a bad name with 422', async () => {
    const active = (await api.get('/v1/keys')).json.items.length;
    for (let i = active; i < 20; i += 1) expect((await api.post('/v1/keys', { name: `k${i}` })).status).toBe(201);
    const over = await api.post('/v1/keys', { name: 'one too many' });
    expect(over.status).toBe(409);
    assertMatchesSchema('Problem', over.json);
    const bad = await api.post('/v1/keys', { name: '', admin: true });
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['admin', 'name']);
  });

  it("answers 404 for another tenant's key or an id of the wrong shape", async () => {
    expect((await api.delete('/v1/keys/key_01JAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await api.delete('/v1/keys/nope')).status).toBe(404);
  });
});
