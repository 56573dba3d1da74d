/**
 * Storage per retained message, from the item the store really writes: a 1 KB message delivered
 * at its first attempt, kept for its plan's retention. The figure goes into the cost table.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Message } from '@vigil/core';
import { DAY_MS } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { startDynalite } from '../../../test-support/dynamo-backends';
import { dynamoItemBytes } from './dynamo-item-size';
import { DynamoMessageStore } from './dynamo-message-store';
import { ITEM_OVERHEAD_BYTES, storedBytes } from './dynamo-storage';
import { aMessage, incompressibleText } from '../../../test-support/messages';

/** DynamoDB Standard storage, us-east-1, per GB-month (the list price on 2026-12-02). */
const STORAGE_USD_PER_GB_MONTH = 0.25;

const T0 = Date.parse('2026-12-02T09:00:00.000Z');

/**
 * A typical message: a JSON body of about 1,024 bytes that gzip cannot shrink (so stored whole, the
 * upper bound: stored-body.ts keeps a body a fifth smaller or more compressed), one header, one tag.
 */
const oneKilobyteMessage = (): Message =>
  aMessage(
    {
      id: 'msg_01KBZ3E7Y8RZ6Q4M2N0P9S8T7V',
      tenantId: 'tnt_01KBZ3E7Y8RZ6Q4M2N0P9S8T7W',
      url: 'https://api.example.com/webhooks/orders',
      headers: { 'x-source': 'checkout' },
      body: JSON.stringify({ order: '12345', note: incompressibleText(1024 - 30) }),
      createdAt: T0 - 60_000,
      updatedAt: T0 - 60_000,
      metadata: { customer: 'c_42' },
    },
    T0,
  );

describe('storage of a retained message', () => {
  let dynamo: DynamoBackend;
  let store: DynamoMessageStore;
  beforeAll(async () => {
    dynamo = await startDynalite();
    store = new DynamoMessageStore(dynamo.db, dynamo.table, 8, () => T0);
  });
  afterAll(() => dynamo?.stop());

  it('counts the item and each index copy with its 100-byte overhead, and skips indexes the item is not in', () => {
    const item = { pk: 'a', sk: 'b', statusPk: 'c', body: 'xyz' }; // names + values: 2+1 + 2+1 + 8+1 + 4+3 = 22 bytes
    const stored = storedBytes(item);
    expect(dynamoItemBytes(item)).toBe(22);
    // byStatus holds the keys and the listing's summary attributes (INCLUDE): here only the keys, 15 bytes.
    expect(stored).toEqual({ table: 122, indexes: { byStatus: 115 }, total: 237 });
    // A pending item is in the INCLUDE index with its keys and which message only (tenantId, id).
    const pending = storedBytes({ ...item, pendPk: 'P#1', pendingAt: 5, version: 0, tenantId: 't', id: 'm' });
    expect(pending.indexes.pending).toBe(
      dynamoItemBytes({ pk: 'a', sk: 'b', pendPk: 'P#1', pendingAt: 5, tenantId: 't', id: 'm' }) + ITEM_OVERHEAD_BYTES,
    );
  });

  it('a delivered 1 KB message costs about 2.8 KB of storage: about $0.64 per million per month kept', async () => {
    const m = oneKilobyteMessage();
    await store.insert(m);
    const taken = await store.take(
      { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt },
      T0,
      T0 + 45_000,
    );
    // As the engine records one: with the receiver's usual response headers and the sent facts.
    const attempt = {
      n: 1,
      startedAt: new Date(T0).toISOString(),
      durationMs: 84,
      latenessMs: 3,
      statusCode: 200,
      responseHeaders: {
        'content-type': 'application/json',
        'content-length': '11',
        date: 'Wed, 02 Dec 2026 09:00:00 GMT',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'x-request-id': 'req_7f3a9c2e41b04d5e',
      },
      round: 0,
      sent: {
        timestamp: Math.floor(T0 / 1000),
        signature: 'v1,K5oZ…',
        userAgent: 'Vigil/0.1.0',
        digest: '0123456789abcdef',
      },
    };
    const { leaseUntil: _l, takes: _t, ...held } = taken!;
    const delivered: Message = {
      ...held,
      status: 'delivered',
      attempts: [{ ...attempt, responseSnippet: '{"ok":true}' }],
      deliveredAt: T0,
      updatedAt: T0 + 90,
      expiresAt: T0 + 90 + 7 * DAY_MS,
    };
    expect(await store.save(delivered, taken!.version)).toBe(true);
    const { Item } = await dynamo.db.send(
      new GetCommand({ TableName: dynamo.table, Key: { pk: `T#${m.tenantId}`, sk: `M#${m.id}` } }),
    );

    const stored = storedBytes(Item!);

    // A finished message is in the table and in byStatus (its summary: no body, no attempt log).
    expect(Object.keys(stored.indexes)).toEqual(['byStatus']);
    const perMillionGb = (stored.total * 1_000_000) / 1024 ** 3;
    console.info(
      `retained 1 KB message: table ${stored.table} B + byStatus ${stored.indexes.byStatus} B = ${stored.total} B; ` +
        `${perMillionGb.toFixed(2)} GB and $${(perMillionGb * STORAGE_USD_PER_GB_MONTH).toFixed(2)} per million per month`,
    );
    // 2,159 B in the table and 663 B in byStatus on 2026-12-05 (a body gzip cannot shrink) with the
    // response headers and sent facts (README: Retention); 2,097 B with a body of 1,024 x on
    // 2026-12-02, before bodies were compressed; 1,818 B + 654 B without the headers and facts;
    // 3,636 B while byStatus projected the whole item.
    expect(stored.indexes.byStatus).toBeLessThan(800);
    expect(stored.total).toBeGreaterThan(2_550);
    expect(stored.total).toBeLessThan(2_950);
  });
});
