/**
 * The cost meter's DynamoDB request units against DynamoDB's own: the message store's real calls
 * (insert, take, record, the far path's bucket, fail, get, list, the sweep's and promote's index
 * reads) on AWS's DynamoDB Local, which reports what each call consumed in the table and in each
 * index (`ReturnConsumedCapacity: INDEXES`). Runs where Java is installed, as in CI.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoMessageStore } from '@vigil/aws';
import { documentClient } from '@vigil/aws/dynamo-document-client';
import type { Message } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../test-support/dynamo-backends';
import { dynamoDbLocalUnavailable, startDynamoDbLocal } from '../../test-support/dynamo-backends';
import type { Usage } from './aws-call-meter';
import { AwsCallMeter, usageBetween } from './aws-call-meter';
import { aMessage, incompressibleText } from '../../test-support/messages';
import { webhookBody } from './cost-scenarios';

const T0 = Date.parse('2026-12-02T09:00:00.000Z');

const message = (id: string, over: Partial<Message> = {}): Message =>
  aMessage({
    id,
    tenantId: 'tnt_cost',
    headers: { 'x-source': 'checkout' },
    // 1 KB gzip cannot shrink: stored as text, so the item is over 1 KB (stored-body.ts).
    body: JSON.stringify({ order: '42', note: incompressibleText(1_000) }),
    sendAt: T0 + 10_000,
    dueAt: T0 + 10_000,
    createdAt: T0,
    updatedAt: T0,
    metadata: { customer: 'cus_7' },
    ...over,
  });

const writeUnitsOf = (usage: Usage) =>
  Object.entries(usage)
    .filter(([name]) => name.startsWith('dynamodb.wru.'))
    .reduce((sum, [, units]) => sum + units, 0);

const unavailable = dynamoDbLocalUnavailable();
if (unavailable) console.warn(`cost meter cross-check skipped: ${unavailable}`);

describe.runIf(unavailable === undefined)('the cost meter against DynamoDB Local', () => {
  let backend: DynamoBackend;
  let client: DynamoDBClient;
  let store: DynamoMessageStore;
  const meter = new AwsCallMeter(new Set(), { reference: true });

  beforeAll(async () => {
    backend = await startDynamoDbLocal();
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: backend.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    meter.instrument(client);
    const db = documentClient(client);
    store = new DynamoMessageStore(db, backend.table, 8, () => T0);
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await backend?.stop();
  });

  /** Runs `act` and compares the meter's units with DynamoDB Local's for the calls it made. */
  const metered = async (act: () => Promise<unknown>) => {
    const before = meter.snapshot();
    await act();
    const usage = usageBetween(before, meter.snapshot());
    expect(writeUnitsOf(usage)).toBe(usage['reference.wru'] ?? 0);
    // AWS charges an empty Query page half a unit (every read costs its minimum); DynamoDB Local says 0.
    expect(usage['dynamodb.rru'] ?? 0).toBe(
      (usage['reference.rru'] ?? 0) + 0.5 * (usage['dynamodb.emptyQueryPages'] ?? 0),
    );
    return usage;
  };

  it('counts a near message’s insert, take and record as DynamoDB does, index by index', async () => {
    const m = message('msg_cost_near');
    const insert = await metered(() => store.insert(m));
    expect(insert['dynamodb.wru.byStatus']).toBeGreaterThan(0);
    const take = await metered(() =>
      store.take({ tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 60_000),
    );
    // The pending index holds which message only, at its due time: a take leaves its entry as it was.
    expect(take['dynamodb.wru.pending'] ?? 0).toBe(0);
    expect(take['dynamodb.wru.byStatus']).toBeGreaterThan(0); // queued → delivering: a move
    const held = (await store.get(m.tenantId, m.id)) as Message;
    await metered(() =>
      store.save(
        {
          ...held,
          status: 'delivered',
          deliveredAt: T0 + 10_000,
          attempts: [
            {
              n: 1,
              startedAt: new Date(T0 + 10_000).toISOString(),
              durationMs: 5,
              latenessMs: 1,
              statusCode: 200,
              responseSnippet: 'ok',
            },
          ],
          version: held.version + 1,
          expiresAt: T0 + 7 * 86_400_000,
        },
        held.version,
      ),
    );
  });

  it('counts a compressed body by the bytes DynamoDB stores, not their base64 on the wire', async () => {
    const m = message('msg_cost_gzip', { body: JSON.stringify(webhookBody(64)) });
    const insert = await metered(() => store.insert(m));
    // 16 KB of JSON as about 4.5 KB of gzip: 5 units where the text would cost 17.
    expect(insert['dynamodb.wru.table']).toBe(5);
    await metered(() =>
      store.take({ tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 60_000),
    );
  });

  it('counts the far path’s bucket entry, its promote read and the sweep’s read', async () => {
    const far = message('msg_cost_far', { status: 'scheduled', bucketAt: T0 + 5_000 });
    await metered(() => store.insert(far));
    await metered(async () => {
      for await (const _ of store.bucketMembers(T0 + 5_000)) void _;
    });
    await metered(async () => {
      for await (const _ of store.pendingBefore(T0 + 60_000)) void _;
    });
    await metered(() =>
      store.take({ tenantId: far.tenantId, messageId: far.id, version: 0, dueAt: far.dueAt }, T0, T0 + 60_000),
    );
  });

  it('counts reads: a consistent get and a listing by status', async () => {
    await metered(() => store.get('tnt_cost', 'msg_cost_near'));
    await metered(() => store.list('tnt_cost', { filter: { status: ['delivered'] }, limit: 10 }));
  });

  it('counts a small failure write and a delete', async () => {
    // A taken message (the failure write finishes only one still delivering).
    const m = message('msg_cost_failed', { status: 'delivering' });
    await store.insert(m);
    await metered(() =>
      store.fail(m, 0, { reason: { code: 'poison', detail: 'taken too often' }, now: T0, expiresAt: T0 + 86_400_000 }),
    );
    // The failure bumped its version: the delete of a rollback removes a message only as last written.
    await metered(() => store.removeUnchanged([{ ...m, version: 1 }]));
  });
});
