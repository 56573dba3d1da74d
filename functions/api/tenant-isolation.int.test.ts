/**
 * One tenant can never reach another, tried as an attacker would on the local stack's real
 * gateway, authorizer and handlers: two real tenants, each route called by one with the other's ids
 * (answered as an id that does not exist is, and changing nothing), cursors decoded, changed and
 * sent back, one Idempotency-Key used by both, a revoked key and a signed-out session at every
 * route, and account events told to the tenant's own endpoints only.
 */
import type { Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { API_ROUTES } from '@vigil/functions/api/routes';
import { newApiKeyId, newJobId, newMessageId, newNotificationEndpointId, PLANS } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSessionToken } from '../../test-support/console-session';
import {
  apiClient,
  newTenantApi,
  seedMonthlyScheduled,
  startTestStack,
  waitFor,
  waitForStatus,
} from '../../test-support/local-stack';
import { startReceiverThread } from '../../test-support/receiver-thread';

type Api = ReturnType<typeof apiClient>;
type Answer = Awaited<ReturnType<Api['get']>>;

let stack: LocalStack;
let receiver: Receiver;
let a: { tenantId: string; apiKey: string; api: Api };
let b: { tenantId: string; apiKey: string; api: Api };

beforeAll(async () => {
  // /fail answers 500: with retries a minute apart, such a message stays `retrying` through the tests.
  receiver = await startReceiverThread({ respond: ({ path }) => (path.startsWith('/fail') ? 500 : 200) });
  stack = await startTestStack({ env: { VIGIL_RETRY_BASE_MS: '60000' }, rateLimits: false });
  a = await newTenantApi(stack, 'pro');
  b = await newTenantApi(stack, 'pro');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

/** An answer as a caller can compare it: the id asked for as `<id>`, the request's own id left out. */
const seen = (answer: Answer, id: string) => {
  const { requestId: _requestId, ...body } = (answer.json ?? {}) as Record<string, unknown>;
  return {
    status: answer.status,
    type: answer.headers.get('content-type'),
    body: JSON.parse(JSON.stringify(body).replaceAll(id, '<id>')),
  };
};

/** B's message as B reads it, with its attempts: what a call of A's must leave as it was. */
const asStored = async (id: string) => ({
  message: (await b.api.get(`/v1/messages/${id}`)).json,
  attempts: (await b.api.get(`/v1/messages/${id}/attempts`)).json,
});

const create = async (tenant: { api: Api }, message: Record<string, unknown>) => {
  const created = await tenant.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600, ...message });
  expect(created.status).toBe(201);
  return created.json.id as string;
};

const jobDone = (api: Api, jobId: string) =>
  waitFor(
    async () => (await api.get(`/v1/jobs/${jobId}`)).json,
    (job) => job.state !== 'running',
  );

describe("another tenant's ids", () => {
  it("answers every message route for another tenant's message as for one that does not exist, and changes nothing", async () => {
    // Prepare: B's messages in each state a route acts on
    const waiting = await create(b, { body: { secret: 'b-waiting' }, labels: ['b'] });
    const delivered = await create(b, { delay: 0, body: { secret: 'b-delivered' } });
    const retrying = await create(b, { url: `${receiver.url}/fail`, delay: 0, retry: { maxAttempts: 5 } });
    await waitForStatus(b.api, delivered, 'delivered');
    await waitForStatus(b.api, retrying, 'retrying');
    const calls: Array<[string, (api: Api, id: string) => Promise<Answer>]> = [
      ['GET', (api, id) => api.get(`/v1/messages/${id}`)],
      ['GET attempts', (api, id) => api.get(`/v1/messages/${id}/attempts`)],
      ['GET body', (api, id) => api.get(`/v1/messages/${id}/body`)],
      ['PATCH', (api, id) => api.patch(`/v1/messages/${id}`, { delay: 1, url: `${receiver.url}/stolen` })],
      ['PATCH a zone alone', (api, id) => api.patch(`/v1/messages/${id}`, { timezone: 'Europe/Paris' })],
      ['DELETE', (api, id) => api.delete(`/v1/messages/${id}`)],
      ['redeliver', (api, id) => api.post(`/v1/messages/${id}/redeliver`)],
      ['redeliver keyed', (api, id) => api.post(`/v1/messages/${id}/redeliver`, undefined, { 'idempotency-key': id })],
      ['retry', (api, id) => api.post(`/v1/messages/${id}/retry`)],
      ['retry keyed', (api, id) => api.post(`/v1/messages/${id}/retry`, undefined, { 'idempotency-key': id })],
    ];

    for (const id of [waiting, delivered, retrying]) {
      const before = await asStored(id);
      for (const [name, call] of calls) {
        // Act: A calls the route with B's id, and with an id nobody has
        const nobodys = newMessageId(Date.now());
        const theirs = await call(a.api, id);
        const none = await call(a.api, nobodys);

        // Assess: the same problem (a 404; a 422 for a request refused for its own body), nothing of B's message in it
        expect({ name, ...seen(theirs, id) }).toEqual({ name, ...seen(none, nobodys) });
        expect({ name, status: theirs.status }).toEqual({ name, status: name === 'PATCH a zone alone' ? 422 : 404 });
        expect(theirs.text).not.toMatch(/b-waiting|b-delivered|\/fail/);
      }
      // Nothing of B's changed: not its target, not its state, no attempt made or round started.
      expect(await asStored(id)).toEqual(before);
    }
    // A's listings find none of them, whatever the filter names.
    for (const query of [`idContains=${waiting}`, 'label=b', 'status=retrying', `urlPrefix=${receiver.url}/fail`]) {
      expect({ query, items: (await a.api.get(`/v1/messages?${query}`)).json.items }).toEqual({ query, items: [] });
    }
    // B's keyed calls are B's own: A's tries bound none of B's keys.
    expect(
      (await b.api.post(`/v1/messages/${delivered}/redeliver`, undefined, { 'idempotency-key': delivered })).status,
    ).toBe(202);
    expect((await b.api.get(`/v1/messages?label=b`)).json.items.map((m: { id: string }) => m.id)).toEqual([waiting]);
    expect(receiver.received.filter((r) => r.path === '/stolen')).toEqual([]);
  });

  it("skips another tenant's messages in a bulk job as it skips ids that do not exist, and changes none of them", async () => {
    const waiting = await create(b, {});
    const delivered = await create(b, { delay: 0 });
    await waitForStatus(b.api, delivered, 'delivered');
    const before = [await asStored(waiting), await asStored(delivered)];
    const nobodys = [newMessageId(Date.now()), newMessageId(Date.now())];

    const run = async (action: 'cancel' | 'redeliver', ids: string[], by: 'ids' | 'filter' = 'ids') => {
      const status = action === 'cancel' ? ['scheduled', 'queued', 'retrying'] : ['delivered', 'failed'];
      const selection = by === 'ids' ? { ids } : { filter: { idContains: ids[0], status } };
      const started = await a.api.post(`/v1/messages/${action}`, selection);
      expect(started.status).toBe(202);
      const {
        id: _id,
        createdAt: _c,
        updatedAt: _u,
        finishedAt: _f,
        expiresAt: _e,
        ...job
      } = await jobDone(a.api, started.json.id);
      return JSON.parse(JSON.stringify(job).replaceAll(ids[0]!, '<id>'));
    };
    expect(await run('cancel', [waiting])).toEqual(await run('cancel', [nobodys[0]!]));
    expect(await run('redeliver', [delivered])).toEqual(await run('redeliver', [nobodys[1]!]));
    // A filter naming B's ids selects none of them, as one naming ids nobody has.
    expect(await run('cancel', [waiting], 'filter')).toEqual(await run('cancel', [nobodys[0]!], 'filter'));
    expect(await run('redeliver', [delivered], 'filter')).toEqual(await run('redeliver', [nobodys[1]!], 'filter'));
    expect(
      (await jobDone(a.api, (await a.api.post('/v1/messages/cancel', { ids: [waiting] })).json.id)).counts,
    ).toEqual({ done: 0, skipped: 1, failed: 0 });
    expect([await asStored(waiting), await asStored(delivered)]).toEqual(before);
  });

  it("answers another tenant's job, key and notification endpoint as ones that do not exist, and changes none", async () => {
    // Prepare: B's job, key and endpoint (with a test delivery)
    const job = (await b.api.post('/v1/messages/cancel', { ids: [newMessageId(Date.now())] })).json.id as string;
    const key = (await b.api.post('/v1/keys', { name: 'b-key' })).json;
    const endpoint = (
      await b.api.post('/v1/notification-endpoints', { url: `${receiver.url}/b-endpoint`, events: ['key.revoked'] })
    ).json.id as string;
    expect((await b.api.post(`/v1/notification-endpoints/${endpoint}/test`)).status).toBe(202);
    await waitFor(
      async () => receiver.received.filter((r) => r.path === '/b-endpoint').length,
      (n) => n === 1,
    );
    const bViews = async () => ({
      job: (await b.api.get(`/v1/jobs/${job}`)).json,
      // As listed, but when each was last used (B's own calls note that, at most once a minute).
      keys: (await b.api.get('/v1/keys?include=revoked')).json.items.map(
        ({ lastUsedAt: _used, ...key }: Record<string, unknown>) => key,
      ),
      endpoints: (await b.api.get('/v1/notification-endpoints')).json,
      deliveries: (await b.api.get(`/v1/notification-endpoints/${endpoint}/deliveries`)).json,
    });
    const before = await bViews();

    const pairs: Array<[string, string, (id: string) => Promise<Answer>]> = [
      ['GET job', job, (id) => a.api.get(`/v1/jobs/${id}`)],
      ['DELETE key', key.id, (id) => a.api.delete(`/v1/keys/${id}`)],
      ['DELETE endpoint', endpoint, (id) => a.api.delete(`/v1/notification-endpoints/${id}`)],
      ['test endpoint', endpoint, (id) => a.api.post(`/v1/notification-endpoints/${id}/test`)],
      [
        'test endpoint keyed',
        endpoint,
        (id) => a.api.post(`/v1/notification-endpoints/${id}/test`, undefined, { 'idempotency-key': id }),
      ],
      ['endpoint deliveries', endpoint, (id) => a.api.get(`/v1/notification-endpoints/${id}/deliveries`)],
    ];
    const nobodys: Record<string, string> = {
      job: newJobId(Date.now()),
      key: newApiKeyId(Date.now()),
      nep: newNotificationEndpointId(Date.now()),
    };
    for (const [name, id, call] of pairs) {
      const none = nobodys[id.split('_')[0]!]!;
      const theirs = await call(id);
      expect({ name, ...seen(theirs, id) }).toEqual({ name, ...seen(await call(none), none) });
      expect(theirs.status).toBe(404);
    }
    // A's own listings hold none of B's.
    const listed = JSON.stringify([
      (await a.api.get('/v1/jobs')).json,
      (await a.api.get('/v1/keys?include=revoked')).json,
      (await a.api.get('/v1/notification-endpoints')).json,
    ]);
    for (const id of [job, key.id, endpoint]) expect(listed).not.toContain(id);

    // B's are as they were: its key works, its endpoint got no second test.
    expect(await bViews()).toEqual(before);
    expect((await apiClient(stack.url, key.key).get('/v1/messages?limit=1')).status).toBe(200);
    expect(receiver.received.filter((r) => r.path === '/b-endpoint')).toHaveLength(1);
  });
});

describe('cursors', () => {
  const encode = (fields: unknown) => Buffer.from(JSON.stringify(fields)).toString('base64url');
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));

  it('refuses a cursor changed to name another tenant (422 problem, never its items), and one of another listing', async () => {
    // Prepare: both tenants have messages; A pages through its own
    const bIds = [await create(b, { labels: ['cursor'] }), await create(b, { labels: ['cursor'] })];
    const aIds = [await create(a, { labels: ['cursor'] }), await create(a, { labels: ['cursor'] })];
    const first = await a.api.get('/v1/messages?limit=1&label=cursor');
    expect(first.json.items.map((m: { id: string }) => m.id)).toEqual([aIds[1]]);
    const { n: position } = decode(first.json.nextCursor);
    expect(position).toBe(aIds[1]);

    const job = (await a.api.post('/v1/messages/cancel', { ids: [newMessageId(Date.now())] })).json.id as string;
    const jobCursor = encode({ j: job });
    const crafted: Record<string, string> = {
      // The cursor as handed out, with a tenant added: its own or another's.
      'a tenant added': encode({ n: position, tenantId: b.tenantId }),
      'B named by its key (the earlier format)': encode({ pk: `T#${b.tenantId}`, sk: `M#${bIds[1]}` }),
      "B's listing by status (the earlier format)": encode({
        pk: `T#${b.tenantId}`,
        sk: `M#${bIds[1]}`,
        statusPk: `T#${b.tenantId}#scheduled`,
      }),
      "A's key with B's listing by status": encode({
        pk: `T#${a.tenantId}`,
        sk: `M#${bIds[1]}`,
        statusPk: `T#${b.tenantId}#scheduled`,
      }),
      'a tenant that is no key': encode({ pk: b.tenantId, sk: `M#${bIds[1]}` }),
      "a job listing's cursor": jobCursor,
      'not base64 JSON': 'not-a-cursor',
      'a store key for an id': encode({ n: `M#${bIds[1]}` }),
      'JSON that is no object': encode([position]),
    };
    for (const [name, cursor] of Object.entries(crafted)) {
      const answer = await a.api.get(`/v1/messages?limit=10&cursor=${cursor}`);
      expect({ name, status: answer.status, type: answer.headers.get('content-type') }).toEqual({
        name,
        status: 422,
        type: 'application/problem+json',
      });
      expect(answer.json.errors).toEqual([
        { path: 'query.cursor', message: 'is not a cursor returned by this listing' },
      ]);
      for (const id of bIds) expect(answer.text).not.toContain(id);
    }
    // A message listing's cursor on the job listing, and a job cursor with a tenant added.
    for (const cursor of [first.json.nextCursor, encode({ j: job, tenantId: b.tenantId })]) {
      const jobs = await a.api.get(`/v1/jobs?cursor=${cursor}`);
      expect([jobs.status, jobs.json.errors]).toEqual([
        422,
        [{ path: 'query.cursor', message: 'is not a cursor returned by this listing' }],
      ]);
    }

    // Places at either end of the id order are places: answered, never a 5xx; too long a cursor is a 422.
    for (const edge of [
      { n: `msg_${'Z'.repeat(26)}` },
      { p: `msg_${'0'.repeat(26)}` },
      { n: `msg_${'0'.repeat(26)}` },
    ]) {
      const answer = await a.api.get(`/v1/messages?label=cursor&cursor=${encode(edge)}`);
      expect(answer.status).toBe(200);
      for (const id of bIds) expect(answer.text).not.toContain(id);
    }
    expect((await a.api.get(`/v1/messages?cursor=${'x'.repeat(3000)}`)).status).toBe(422);

    // The cursors A was handed, in either format, go on in A's own messages only, whatever filter they meet.
    const own = [
      first.json.nextCursor,
      encode({ pk: `T#${a.tenantId}`, sk: `M#${aIds[1]}` }),
      encode({ pk: `T#${a.tenantId}`, sk: `M#${aIds[1]}`, statusPk: `T#${a.tenantId}#scheduled` }),
    ];
    for (const cursor of own) {
      for (const filter of ['label=cursor', 'status=scheduled', '']) {
        const next = await a.api.get(`/v1/messages?limit=100&cursor=${cursor}&${filter}`);
        expect(next.status).toBe(200);
        const ids = next.json.items.map((m: { id: string }) => m.id);
        expect(ids).toContain(aIds[0]);
        for (const id of bIds) expect(ids).not.toContain(id);
      }
    }
  });
});

describe('Idempotency-Keys', () => {
  it("binds one tenant's key to its own requests only: another tenant's same key is its own, on every keyed route", async () => {
    const key = { 'idempotency-key': `shared-${Date.now()}` };
    // Messages: the same key, another request, each tenant its own message.
    const mine = await a.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600, body: { by: 'a' } }, key);
    const theirs = await b.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600, body: { by: 'b' } }, key);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.json.id).not.toBe(mine.json.id);
    expect((await b.api.get(`/v1/messages/${mine.json.id}`)).status).toBe(404);
    // Each repeat answers its own tenant's message.
    const again = await b.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600, body: { by: 'b' } }, key);
    expect([again.status, again.json.id]).toEqual([200, theirs.json.id]);

    // The account's keyed routes: B's key is made for B, with its secret, though A made one with the key.
    const accountKey = { 'idempotency-key': `account-${Date.now()}` };
    const aKey = await a.api.post('/v1/keys', { name: 'keyed' }, accountKey);
    const bKey = await b.api.post('/v1/keys', { name: 'keyed' }, accountKey);
    expect([aKey.status, bKey.status]).toEqual([201, 201]);
    expect(bKey.json.id).not.toBe(aKey.json.id);
    expect(bKey.json.key).toEqual(expect.stringMatching(/^vgl_/));
    const endpoint = { url: `${receiver.url}/keyed-endpoint`, events: ['key.created'] };
    const endpointKey = { 'idempotency-key': `endpoint-${Date.now()}` };
    const aEndpoint = await a.api.post('/v1/notification-endpoints', endpoint, endpointKey);
    const bEndpoint = await b.api.post('/v1/notification-endpoints', endpoint, endpointKey);
    expect([aEndpoint.status, bEndpoint.status]).toEqual([201, 201]);
    expect(bEndpoint.json.id).not.toBe(aEndpoint.json.id);
    const rotateKey = { 'idempotency-key': `rotate-${Date.now()}` };
    const aSecret = (await a.api.post('/v1/signing-secret/rotate', undefined, rotateKey)).json.secret;
    const bSecret = (await b.api.post('/v1/signing-secret/rotate', undefined, rotateKey)).json.secret;
    expect(bSecret).not.toBe(aSecret);
    expect((await b.api.get('/v1/signing-secret')).json.secret).toBe(bSecret);
    expect((await a.api.get('/v1/signing-secret')).json.secret).toBe(aSecret);
    for (const id of [aEndpoint.json.id, bEndpoint.json.id]) {
      const owner = id === aEndpoint.json.id ? a : b;
      expect((await owner.api.delete(`/v1/notification-endpoints/${id}`)).status).toBe(204);
    }
  });

  it('refuses a key bound to a create on a redeliver (422, no round), and one tenant’s redeliver key leaves the other’s free', async () => {
    const delivered = await create(b, { delay: 0 });
    const before = await waitForStatus(b.api, delivered, 'delivered');
    const key = { 'idempotency-key': `create-then-redeliver-${Date.now()}` };
    expect((await b.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600 }, key)).status).toBe(201);

    const reused = await b.api.post(`/v1/messages/${delivered}/redeliver`, undefined, key);
    expect([reused.status, reused.json.type]).toEqual([422, 'https://vigil.dev/problems/idempotency-key-reused']);
    expect((await b.api.get(`/v1/messages/${delivered}`)).json).toEqual(before);

    // A's own delivered message, redelivered with a key B holds for a redeliver of B's: A's round starts.
    const bRound = { 'idempotency-key': `redeliver-${Date.now()}` };
    const other = await create(b, { delay: 0 });
    await waitForStatus(b.api, other, 'delivered');
    expect((await b.api.post(`/v1/messages/${other}/redeliver`, undefined, bRound)).status).toBe(202);
    const aDelivered = await create(a, { delay: 0 });
    await waitForStatus(a.api, aDelivered, 'delivered');
    const aRound = await a.api.post(`/v1/messages/${aDelivered}/redeliver`, undefined, bRound);
    expect([aRound.status, aRound.json.id]).toEqual([202, aDelivered]);
  });
});

/** Every tenant route of routes.ts with ids in its path, as a caller would call it. */
const everyTenantRoute = () =>
  API_ROUTES.filter((route) => route.auth).map((route) => ({
    method: route.method,
    path: route.path
      .replace('{messageId}', newMessageId(Date.now()))
      .replace('{jobId}', newJobId(Date.now()))
      .replace('{keyId}', newApiKeyId(Date.now()))
      .replace('{endpointId}', newNotificationEndpointId(Date.now())),
  }));

const callEveryRoute = (credential: string) =>
  Promise.all(
    everyTenantRoute().map(async ({ method, path }) => {
      const body = method === 'POST' || method === 'PATCH' ? {} : undefined;
      const answer = await apiClient(stack.url, credential).raw(method, path, body);
      return { route: `${method} ${path.replace(/_[0-9A-Z]{26}/, '_…')}`, status: answer.status };
    }),
  );

describe('revoked credentials', () => {
  it('refuses a revoked API key at every route at once, though its answers were cached', async () => {
    const { key, id } = (await a.api.post('/v1/keys', { name: 'to revoke' })).json;
    // Every route answered it (and the gateway cached its authorization), but those a key may not call.
    const sessionOnly = ['POST /v1/session/tenant', 'POST /v1/session/revoke'];
    for (const { route, status } of await callEveryRoute(key)) {
      expect({ route, status: status === 401 }).toEqual({ route, status: sessionOnly.includes(route) });
    }

    expect((await a.api.delete(`/v1/keys/${id}`)).status).toBe(204);
    for (const { route, status } of await callEveryRoute(key))
      expect({ route, status }).toEqual({ route, status: 401 });
  });

  it('refuses a key an operator revoked, and a signed-out console session, at every route at once', async () => {
    const { key, id } = (await b.api.post('/v1/keys', { name: 'operator revokes' })).json;
    expect((await apiClient(stack.url, key).get('/v1/keys')).status).toBe(200);
    await stack.tenantAdmin.tenancy.keys.revokeTenantApiKey(b.tenantId, id, Date.now(), 'operator');
    for (const { route, status } of await callEveryRoute(key))
      expect({ route, status }).toEqual({ route, status: 401 });

    const session = await consoleSessionToken({ tenantId: a.tenantId }, { secret: stack.sessionSecret });
    const console = apiClient(stack.url, session);
    expect((await console.get('/v1/keys')).status).toBe(200);
    expect((await console.post('/v1/session/revoke', {})).status).toBe(204);
    for (const { route, status } of await callEveryRoute(session))
      expect({ route, status }).toEqual({ route, status: 401 });
    // Another session of the same tenant is not signed out with it.
    const other = await consoleSessionToken({ tenantId: a.tenantId }, { secret: stack.sessionSecret });
    expect((await apiClient(stack.url, other).get('/v1/keys')).status).toBe(200);
  });
});

describe('account events', () => {
  it("tells a key's events to its own tenant's endpoints only", async () => {
    const events = ['key.created', 'key.revoked'];
    const aEndpoint = await a.api.post('/v1/notification-endpoints', { url: `${receiver.url}/a-keys`, events });
    const bEndpoint = await b.api.post('/v1/notification-endpoints', { url: `${receiver.url}/b-keys`, events });
    // The same receiver URL for both tenants: each endpoint its own tenant's.
    const shared = { url: `${receiver.url}/both-keys`, events };
    const aShared = await a.api.post('/v1/notification-endpoints', shared);
    const bShared = await b.api.post('/v1/notification-endpoints', shared);
    expect([aEndpoint.status, bEndpoint.status, aShared.status, bShared.status]).toEqual([201, 201, 201, 201]);

    const made = (await a.api.post('/v1/keys', { name: 'told to a' })).json;
    expect((await a.api.delete(`/v1/keys/${made.id}`)).status).toBe(204);

    const at = (path: string) => receiver.received.filter((r) => r.path === path);
    await waitFor(
      async () => [at('/a-keys').length, at('/both-keys').length],
      ([own, both]) => own === 2 && both === 2,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(at('/b-keys')).toEqual([]);
    const told = at('/both-keys').map((r) => ({ type: JSON.parse(r.body).type, key: JSON.parse(r.body).data.key.id }));
    expect(told.sort((x, y) => x.type.localeCompare(y.type))).toEqual([
      { type: 'key.created', key: made.id },
      { type: 'key.revoked', key: made.id },
    ]);
    // Signed with A's secret: B's verifies none of them.
    const aSecret = (await a.api.get('/v1/signing-secret')).json.secret;
    const bSecret = (await b.api.get('/v1/signing-secret')).json.secret;
    const { Webhook } = await import('standardwebhooks');
    for (const arrival of at('/both-keys')) {
      const headers = arrival.headers as Record<string, string>;
      expect(() => new Webhook(aSecret).verify(arrival.body, headers)).not.toThrow();
      expect(() => new Webhook(bSecret).verify(arrival.body, headers)).toThrow();
    }
    // And B's endpoints list nothing of A's deliveries.
    for (const id of [bEndpoint.json.id, bShared.json.id]) {
      expect((await b.api.get(`/v1/notification-endpoints/${id}/deliveries`)).json.items).toEqual([]);
    }
  });
});

describe('quota', () => {
  it("never counts one tenant's messages against another's quota", async () => {
    const full = await newTenantApi(stack, 'free');
    const other = await newTenantApi(stack, 'free');
    await seedMonthlyScheduled(stack, full.tenantId, PLANS.free.monthlyMessages);
    // The guard reads the counters at most every 5 s: a fresh tenant's first create reads them.
    const refused = await full.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600 });
    expect([refused.status, refused.json.type]).toEqual([429, 'https://vigil.dev/problems/quota-exceeded']);
    const allowed = await other.api.post('/v1/messages', { url: `${receiver.url}/ok`, delay: 600 });
    expect(allowed.status).toBe(201);
    const usage = (await other.api.get('/v1/usage')).json;
    expect(usage.monthToDate.scheduled).toBeLessThanOrEqual(1);
  });
});
