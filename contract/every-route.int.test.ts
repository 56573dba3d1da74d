/**
 * Every route in openapi.yaml, called through the integration tests' API client, which checks
 * each response against the contract: each tenant route's success, the problems every route
 * shares, and a route's own problems. A route added to the contract without a call here fails.
 */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant, rotateSigningSecret } from '@vigil/core';
import { Webhook } from 'standardwebhooks';
import { consoleSessionToken } from '../test-support/console-session';
import { apiClient, startTestStack } from '../test-support/local-stack';
import { checkedResponses, documentedOperations } from '../test-support/openapi';

/** The canary's reserved tenant (libs/aws/src/canary.ts: CANARY_TENANT_ID). */
const CANARY_TENANT_ID = 'tnt_canary';

let stack: LocalStack;
let receiver: Receiver;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack();
  api = apiClient(stack.url, stack.apiKey);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const statusOf = async (id: string) => (await api.get(`/v1/messages/${id}`)).json.status as string;
const waitUntilDelivered = async (id: string) => {
  const until = Date.now() + 15_000;
  while ((await statusOf(id)) !== 'delivered') {
    if (Date.now() > until) throw new Error(`message ${id} was not delivered`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('every route answers as openapi.yaml documents', () => {
  it('health', async () => {
    expect((await api.get('/health')).status).toBe(200);
  });

  it('messages: create (and its idempotent replay), list, get, its body, change, attempts, retry, cancel, redeliver', async () => {
    const once = { 'idempotency-key': 'every-route-1' };
    const message = { url: `${receiver.url}/hook`, delay: 600, body: { n: 1 }, metadata: { from: 'contract' } };
    const created = await api.post('/v1/messages', message, once);
    expect(created.status).toBe(201);
    expect((await api.post('/v1/messages', message, once)).status).toBe(200);
    const id = created.json.id;
    expect((await api.get('/v1/messages?limit=5')).status).toBe(200);
    expect((await api.get(`/v1/messages/${id}`)).status).toBe(200);
    expect((await api.get(`/v1/messages/${id}/body`)).text).toBe('{"n":1}');
    expect((await api.patch(`/v1/messages/${id}`, { delay: 900 })).status).toBe(200);
    expect((await api.get(`/v1/messages/${id}/attempts`)).status).toBe(200);
    expect((await api.post(`/v1/messages/${id}/redeliver`)).status).toBe(409);
    // Retry now is for a retrying message only.
    expect((await api.post(`/v1/messages/${id}/retry`)).status).toBe(409);
    expect((await api.delete(`/v1/messages/${id}`)).status).toBe(200);

    const batch = await api.post('/v1/messages/batch', { messages: [{ url: `${receiver.url}/hook`, delay: 0 }] });
    expect(batch.status).toBe(201);
    const sent = batch.json.items[0].id;
    await waitUntilDelivered(sent);
    expect((await api.patch(`/v1/messages/${sent}`, { delay: 5 })).status).toBe(409);
    expect((await api.post(`/v1/messages/${sent}/redeliver`)).status).toBe(202);

    // A message to a closed port retries; moved 10 minutes out (a retrying message may be
    // rescheduled, between its attempts), it is tried now on request.
    const refused = await api.post('/v1/messages', { url: 'http://127.0.0.1:1/closed', delay: 0 });
    const waiting = refused.json.id;
    const until = Date.now() + 15_000;
    const waitFor = async (done: () => Promise<boolean>) => {
      while (!(await done())) {
        if (Date.now() > until) throw new Error(`message ${waiting} did not wait to retry`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await waitFor(async () => (await statusOf(waiting)) === 'retrying');
    // (Refused with 409 while an attempt is on its way; it waits to retry again right after.)
    await waitFor(async () => (await api.patch(`/v1/messages/${waiting}`, { delay: 600 })).status === 200);
    expect(await statusOf(waiting)).toBe('retrying');
    const retried = await api.post(`/v1/messages/${waiting}/retry`);
    expect(retried.status).toBe(202);
    expect(Date.parse(retried.json.nextAttemptAt)).toBeLessThan(Date.now() + 1_000);
    await api.delete(`/v1/messages/${waiting}`);
  });

  it('bulk jobs: cancel, redeliver, follow', async () => {
    const pending = await api.post('/v1/messages', { url: `${receiver.url}/hook`, delay: 600 });
    const cancel = await api.post('/v1/messages/cancel', { ids: [pending.json.id] });
    expect(cancel.status).toBe(202);
    const redeliver = await api.post('/v1/messages/redeliver', { filter: { status: 'failed' } });
    expect(redeliver.status).toBe(202);
    expect((await api.get(`/v1/jobs/${cancel.json.id}`)).status).toBe(200);
    const listed = await api.get('/v1/jobs?limit=5');
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((job: { id: string }) => job.id)).toContain(cancel.json.id);
  });

  it('signing secret, keys and usage', async () => {
    expect((await api.get('/v1/signing-secret')).status).toBe(200);
    expect((await api.post('/v1/signing-secret/rotate')).status).toBe(200);
    const key = await api.post('/v1/keys', { name: 'every route' });
    expect(key.status).toBe(201);
    expect((await api.get('/v1/keys')).status).toBe(200);
    expect((await api.delete(`/v1/keys/${key.json.id}`)).status).toBe(204);
    expect((await api.get('/v1/usage')).status).toBe(200);
  });

  it('notification endpoints: add, list, test, deliveries, remove', async () => {
    const endpoint = await api.post('/v1/notification-endpoints', { url: `${receiver.url}/events` });
    expect(endpoint.status).toBe(201);
    const path = `/v1/notification-endpoints/${endpoint.json.id}`;
    expect((await api.get('/v1/notification-endpoints')).status).toBe(200);
    expect((await api.post(`${path}/test`)).status).toBe(202);
    expect((await api.get(`${path}/deliveries`)).status).toBe(200);
    expect((await api.delete(path)).status).toBe(204);
    expect((await api.get(`${path}/deliveries`)).status).toBe(404);
  });

  it('the problems routes share: 400, 401, 404, 413, 415, 422 and a request to no route', async () => {
    expect((await api.raw('POST', '/v1/messages', '{not json')).status).toBe(400);
    expect((await apiClient(stack.url, `vgl_${'x'.repeat(43)}`).get('/v1/messages')).status).toBe(401);
    expect((await api.get('/v1/messages/msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M')).status).toBe(404);
    const huge = { url: `${receiver.url}/hook`, delay: 5, body: 'x'.repeat(300_000) };
    expect((await api.post('/v1/messages', huge)).status).toBe(413);
    expect((await api.raw('POST', '/v1/keys', 'name', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await api.post('/v1/messages', { url: 'not a url', delay: -1 })).status).toBe(422);
    expect((await api.get('/v1/usage?from=yesterday')).status).toBe(422);
    expect((await api.get('/v2/nothing')).status).toBe(404);
  });

  it("the console's first sign-in claims the user's tenant with a session token", async () => {
    const session = await consoleSessionToken(
      { sub: 'user-1', userId: 'dev:ada@example.com', email: 'ada@example.com' },
      { secret: stack.sessionSecret },
    );
    const claimed = await apiClient(stack.url, session).post('/v1/session/tenant', {});
    expect(claimed.status).toBe(200);
    expect((await api.post('/v1/session/tenant', {})).status).toBe(401);

    // Its sign-out revokes the session; an API key has no session to revoke.
    const signedIn = apiClient(
      stack.url,
      await consoleSessionToken({ tenantId: claimed.json.id }, { secret: stack.sessionSecret }),
    );
    expect((await signedIn.post('/v1/session/revoke', {})).status).toBe(204);
    expect((await signedIn.get('/v1/keys')).status).toBe(401);
    expect((await api.post('/v1/session/revoke', {})).status).toBe(401);
  });

  it('the internal canary receiver refuses a probe not signed by the canary tenant, and takes one signed by a secret it replaced minutes ago', async () => {
    expect((await api.post('/canary-receiver', { probe: 'unsigned' })).status).toBe(401);
    const { tenancy } = stack.tenantAdmin;
    await ensureTenant(tenancy, { id: CANARY_TENANT_ID, name: 'Canary', plan: 'pro' });
    const [before] = (await tenancy.tenants.getTenant(CANARY_TENANT_ID))!.signingSecrets;
    await rotateSigningSecret(tenancy, CANARY_TENANT_ID);
    // A probe made by a worker that read the tenant before the rotation: signed by the earlier secret only.
    const probe = async (secret: string) => {
      const body = JSON.stringify({ probe: 'canary' });
      const id = 'msg_01JDXPROBE0000000000000000';
      const now = new Date();
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, now, body),
        'vigil-scheduled-at': now.toISOString(),
        'content-type': 'application/json',
      };
      return (await fetch(`${stack.url}/canary-receiver`, { method: 'POST', headers, body })).status;
    };
    expect(await probe(before!)).toBe(204);
    expect(await probe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(401);
  });

  it('covered every route: a success for each tenant route, a documented answer for the internal ones', () => {
    const answered = (operation: string, success: boolean) =>
      [...checkedResponses].some(
        (checked) => checked.startsWith(`${operation} `) && (!success || / 2\d\d$/.test(checked)),
      );
    const missing = documentedOperations()
      .filter(({ operation, tags }) => !answered(operation, !tags.includes('Internal')))
      .map(({ operation }) => operation);
    expect(missing, 'routes in openapi.yaml this file never called (add a call above)').toEqual([]);
  });
});
