/**
 * Retention through the whole local stack: with every plan's retention shortened to a few seconds
 * (VIGIL_RETENTION_OVERRIDE_S, tests only), a delivered or cancelled message shows when it expires,
 * is gone from the API once it has, and is then deleted from dynalite by the stack's reaper, while
 * a message still waiting stays. Every response is checked against openapi.yaml.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, waitForStatus } from '../../../test-support/local-stack';
import type { Receiver } from './receiver';
import { startReceiver } from './receiver';
import type { LocalStack } from './stack';

const RETENTION_S = 4;

let stack: LocalStack;
let receiver: Receiver;
let api: ReturnType<typeof apiClient>;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  receiver = await startReceiver({});
  stack = await startTestStack({ env: { VIGIL_RETENTION_OVERRIDE_S: String(RETENTION_S) } });
  api = apiClient(stack.url, stack.apiKey);
  receiver.setSecret((await api.get('/v1/signing-secret')).json.secret);
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
  dynamo = new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamoEndpoint, credentials });
}, 60_000);

afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
  await receiver?.stop();
});

const sleepUntil = (epochMs: number) => new Promise((r) => setTimeout(r, Math.max(0, epochMs - Date.now())));

/** The message's item in dynalite, as DynamoDB TTL would find it. */
const storedItem = async (id: string) =>
  (
    await dynamo.send(
      new GetItemCommand({
        TableName: 'vigil-local',
        Key: { pk: { S: `T#${stack.tenantId}` }, sk: { S: `M#${id}` } },
      }),
    )
  ).Item;

const listedIds = async () => {
  const { json } = await api.get('/v1/messages?limit=100');
  return (json.items as Array<{ id: string }>).map((m) => m.id);
};

describe('retention on the local stack', () => {
  it('a delivered and a cancelled message expire after the retention and are deleted; a waiting one stays', async () => {
    // Prepare: one delivered, one cancelled, one waiting an hour.
    const delivered = await api.post('/v1/messages', { url: `${receiver.url}/kept`, delay: 0.5 });
    const cancelled = await api.post('/v1/messages', { url: `${receiver.url}/never`, delay: 600 });
    const waiting = await api.post('/v1/messages', { url: `${receiver.url}/later`, delay: 3_600 });
    expect(waiting.json).not.toHaveProperty('expiresAt');
    const cancel = await api.delete(`/v1/messages/${cancelled.json.id}`);
    const done = await waitForStatus(api, delivered.json.id, 'delivered');

    // The API says when each finished message goes: the retention after it got there.
    const cancelledAt = Date.parse(cancel.json.updatedAt);
    expect(Date.parse(cancel.json.expiresAt)).toBe(cancelledAt + RETENTION_S * 1000);
    expect(Date.parse(done.expiresAt)).toBe(Date.parse(done.updatedAt) + RETENTION_S * 1000);
    expect((await api.get(`/v1/messages/${waiting.json.id}`)).json).not.toHaveProperty('expiresAt');
    const listed = (await api.get('/v1/messages?status=delivered')).json.items;
    expect(listed.find((m: { id: string }) => m.id === done.id)?.expiresAt).toBe(done.expiresAt);

    // Act: the expiry passes; dynalite still holds the items until the reaper runs.
    await sleepUntil(Math.max(Date.parse(done.expiresAt), Date.parse(cancel.json.expiresAt)) + 50);

    // Assess: gone from the API at once, a redeliver included.
    for (const id of [delivered.json.id, cancelled.json.id]) {
      expect((await api.get(`/v1/messages/${id}`)).status).toBe(404);
      expect((await api.get(`/v1/messages/${id}/attempts`)).status).toBe(404);
    }
    expect((await api.post(`/v1/messages/${delivered.json.id}/redeliver`)).status).toBe(404);
    const ids = await listedIds();
    expect(ids).toContain(waiting.json.id);
    expect(ids).not.toContain(delivered.json.id);
    expect(ids).not.toContain(cancelled.json.id);

    // ...and deleted from the store by the local stand-in for DynamoDB TTL.
    expect(await storedItem(delivered.json.id)).toBeDefined();
    expect(await stack.reapExpired()).toBeGreaterThanOrEqual(2);
    expect(await storedItem(delivered.json.id)).toBeUndefined();
    expect(await storedItem(cancelled.json.id)).toBeUndefined();
    expect(await storedItem(waiting.json.id)).toBeDefined();
    expect((await api.get(`/v1/messages/${waiting.json.id}`)).json.status).toBe('scheduled');
  }, 40_000);

  it('a redeliver before the expiry takes the expiry away until the message is delivered again', async () => {
    const created = await api.post('/v1/messages', { url: `${receiver.url}/again`, delay: 0.2 });
    const first = await waitForStatus(api, created.json.id, 'delivered');
    expect(first.expiresAt).toBeDefined();

    const redelivered = await api.post(`/v1/messages/${created.json.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.json).not.toHaveProperty('expiresAt');
    const item = await storedItem(created.json.id);
    expect(item).not.toHaveProperty('expiresAt'); // no TTL attribute while it waits

    const second = await waitForStatus(api, created.json.id, 'delivered');
    expect(second.attempts).toBe(2);
    expect(Date.parse(second.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));
  }, 40_000);
});
