/**
 * The local stand-in for DynamoDB TTL, on dynalite (which has none): expired items are deleted,
 * index copies included, a bounded slice of the table per tick; live ones are left alone.
 */
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DynamoMessageStore } from '@vigil/aws';
import type { Message } from '@vigil/core';
import { DAY_MS } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { startDynalite } from '../../../test-support/dynamo-backends';
import { reapExpired } from './expiry-reaper';
import { aMessage } from '../../../test-support/messages';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
let seq = 0;
const message = (over: Partial<Message> = {}): Message => {
  seq += 1;
  return aMessage(
    {
      id: `msg_01JREAP${String(seq).padStart(19, '0')}`,
      tenantId: 'tnt_reap',
      body: '{"a":1}',
      attempts: [{ n: 1, startedAt: new Date(T0).toISOString(), durationMs: 3, latenessMs: 0, statusCode: 200 }],
      ...over,
    },
    T0,
  );
};

describe('the expiry reaper on dynalite', () => {
  let dynamo: DynamoBackend;
  let store: DynamoMessageStore;
  let client: DynamoDBClient;
  let now = T0;
  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoMessageStore(dynamo.db, dynamo.table, 2, () => now);
    const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
    client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.stop();
  });

  const stored = async (tenantId: string, sk: string) =>
    (
      await client.send(
        new GetItemCommand({ TableName: dynamo.table, Key: { pk: { S: `T#${tenantId}` }, sk: { S: sk } } }),
      )
    ).Item;
  const options = (over: { pageSize?: number; maxPages?: number } = {}) => ({
    dynamo: client,
    table: dynamo.table,
    now: () => now,
    ...over,
  });

  it('deletes finished messages past their expiry and expired idempotency keys, and nothing else', async () => {
    const finished = async (expiresAt: number) => {
      const m = message();
      await store.insert(m);
      await store.save({ ...m, status: 'delivered', expiresAt, version: 1 }, 0);
      return m;
    };
    const expired = await finished(T0 + 7 * DAY_MS);
    const kept = await finished(T0 + 30 * DAY_MS);
    const waiting = message({ dueAt: T0 + 365 * DAY_MS });
    await store.insert(waiting);
    const record = { messageIds: [waiting.id], owner: waiting.id, leaseUntil: T0 + 60_000 };
    await store.claimIdempotencyKey('tnt_reap', 'old-key', record, T0, DAY_MS);
    await store.claimIdempotencyKey('tnt_reap', 'new-key', record, T0 + 7 * DAY_MS, DAY_MS);

    now = T0 + 7 * DAY_MS;
    const pass = await reapExpired(options());

    expect(pass.deleted).toBe(2);
    expect(await stored('tnt_reap', `M#${expired.id}`)).toBeUndefined();
    expect(await stored('tnt_reap', 'I#old-key')).toBeUndefined();
    expect(await stored('tnt_reap', `M#${kept.id}`)).toBeDefined();
    expect(await stored('tnt_reap', `M#${waiting.id}`)).toBeDefined(); // a pending message never expires
    expect(await stored('tnt_reap', 'I#new-key')).toBeDefined();
    // Its copy in the status index went with it.
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: dynamo.table,
        IndexName: 'byStatus',
        KeyConditionExpression: 'statusPk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'T#tnt_reap#delivered' } },
      }),
    );
    expect(Items.map((item) => item.id?.S)).toEqual([kept.id]);
  });

  it('reads a bounded slice per tick and goes on where it stopped, covering the table in a few ticks', async () => {
    const tenantId = 'tnt_many';
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const m = message({ tenantId });
      await store.insert(m);
      await store.save({ ...m, status: 'cancelled', expiresAt: T0 + DAY_MS, version: 1 }, 0);
      ids.push(m.id);
    }
    now = T0 + 400 * DAY_MS;
    const bounded = options({ pageSize: 10, maxPages: 2 });

    const first = await reapExpired(bounded);
    expect(first.scanned).toBeLessThanOrEqual(20);
    expect(first.next).toBeDefined();
    let deleted = first.deleted;
    let position = first.next;
    for (let tick = 0; tick < 10 && position; tick += 1) {
      const pass = await reapExpired(bounded, position);
      expect(pass.scanned).toBeLessThanOrEqual(20);
      deleted += pass.deleted;
      position = pass.next;
    }

    expect(position).toBeUndefined(); // reached the end: the next tick starts over
    expect(deleted).toBeGreaterThanOrEqual(30);
    for (const id of ids) expect(await stored(tenantId, `M#${id}`)).toBeUndefined();
  });
});
