/**
 * A data directory made by an older Vigil, whose byStatus index projected fewer attributes (no
 * `labels`): the local stack brings the table to TABLE_DEFINITION at start-up, keeping every item,
 * so listings by status show labels again; and an upgrade a stopped start left is finished.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoMessageStore, TABLE_DEFINITION } from '@vigil/aws';
import { DEFAULT_INDEX_SHARDS } from '@vigil/aws/config';
import { documentClient } from '@vigil/aws/dynamo-document-client';
import type { Message } from '@vigil/core';
import { newApiKey, newMessageId, newTenantId } from '@vigil/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createActiveTable, dynamoClientFor } from '../../../test-support/dynamo-backends';
import { apiClient, startTestStack } from '../../../test-support/local-stack';
import { startDynaliteThread } from './dynalite-thread';
import type { LocalStack } from './stack';
import { outdatedIndexes, spareTableOf, upgradeTable } from './table-upgrade';
import { aMessage } from '../../../test-support/messages';

const TABLE = 'vigil-local';
const T0 = Date.parse('2026-11-23T10:00:00.000Z');

/** TABLE_DEFINITION as it was before `labels` joined the byStatus projection. */
const BEFORE_LABELS: Omit<CreateTableCommandInput, 'TableName'> = {
  ...TABLE_DEFINITION,
  GlobalSecondaryIndexes: TABLE_DEFINITION.GlobalSecondaryIndexes.map((index) =>
    index.IndexName === 'byStatus'
      ? {
          ...index,
          Projection: {
            ...index.Projection,
            NonKeyAttributes: index.Projection.NonKeyAttributes.filter((name) => name !== 'labels'),
          },
        }
      : index,
  ),
};

const delivered = (tenantId: string, i: number): Message =>
  aMessage({
    id: newMessageId(T0 + i),
    tenantId,
    status: 'delivered',
    url: `https://example.com/hook/${i}`,
    sendAt: T0,
    dueAt: T0,
    createdAt: T0 + i,
    updatedAt: T0 + i,
    deliveredAt: T0,
    labels: ['billing', `n-${i}`],
    attempts: [{ n: 1, startedAt: new Date(T0).toISOString(), durationMs: 5, latenessMs: 1, statusCode: 200 }],
    version: 2,
  });

/** A data dir whose dynalite table `table` has `definition`, holding `count` delivered messages of `tenantId`. */
const dataDirWith = async (
  definition: Omit<CreateTableCommandInput, 'TableName'>,
  table: string,
  tenantId: string,
  count: number,
) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-upgrade-'));
  const dynalite = await startDynaliteThread(join(dataDir, 'dynamodb'));
  const client = dynamoClientFor(dynalite.endpoint);
  try {
    await createActiveTable(client, { TableName: table, ...definition });
    const store = new DynamoMessageStore(documentClient(client), table, 8);
    const messages = Array.from({ length: count }, (_, i) => delivered(tenantId, i));
    for (const message of messages) await store.insert(message);
    return { dataDir, messages };
  } finally {
    client.destroy();
    await dynalite.stop();
  }
};

describe('a data dir made before the byStatus index projected labels', () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('is rebuilt at start-up: every message kept, listed by status with its labels, and one line says so', async () => {
    // Prepare: the old table, with 60 labelled messages of the tenant the stack will sign in as.
    const tenantId = newTenantId(Date.now());
    const apiKey = newApiKey();
    const { dataDir, messages } = await dataDirWith(BEFORE_LABELS, TABLE, tenantId, 60);
    await writeFile(join(dataDir, 'dev-tenant.json'), JSON.stringify({ tenantId, apiKey }));

    // Act
    stack = await startTestStack({ dataDir });

    // Assess
    expect(stack.tableUpgrade).toBe(
      'table vigil-local rebuilt for the current indexes (byStatus changed): 60 items copied',
    );
    const api = apiClient(stack.url, apiKey);
    const listed = await api.get('/v1/messages?status=delivered&limit=100');
    expect(listed.status).toBe(200);
    expect(listed.json.items).toHaveLength(messages.length);
    for (const item of listed.json.items) expect(item.labels).toEqual(['billing', expect.stringMatching(/^n-\d+$/)]);
    const byLabel = await api.get('/v1/messages?status=delivered&label=n-7');
    expect(byLabel.json.items.map((m: { id: string }) => m.id)).toEqual([messages[7]!.id]);
    const one = await api.get(`/v1/messages/${messages[0]!.id}`);
    expect(one.json).toMatchObject({ status: 'delivered', attempts: 1, labels: ['billing', 'n-0'] });
    const table = await dynamoClientFor(stack.dynamoEndpoint).send(new DescribeTableCommand({ TableName: TABLE }));
    expect(outdatedIndexes(table.Table!)).toEqual([]);
  }, 60_000);

  it('leaves a table made from the current definition as it is', async () => {
    const tenantId = newTenantId(Date.now());
    const { dataDir } = await dataDirWith(TABLE_DEFINITION, TABLE, tenantId, 1);
    stack = await startTestStack({ dataDir });
    expect(stack.tableUpgrade).toBeUndefined();
  }, 60_000);
});

describe('an upgrade a stopped start left', () => {
  it('is finished from the spare when the table was already deleted, and nothing is lost', async () => {
    // Prepare: the process died after filling the spare and deleting the table.
    const tenantId = newTenantId(Date.now());
    const { dataDir, messages } = await dataDirWith(TABLE_DEFINITION, spareTableOf(TABLE), tenantId, 30);
    const dynalite = await startDynaliteThread(join(dataDir, 'dynamodb'));
    const client = dynamoClientFor(dynalite.endpoint);
    try {
      // Act
      const upgrade = await upgradeTable(client, TABLE);

      // Assess
      expect(upgrade).toEqual({ table: TABLE, indexes: [], items: messages.length });
      const store = new DynamoMessageStore(DynamoDBDocumentClient.from(client), TABLE, DEFAULT_INDEX_SHARDS);
      const page = await store.list(tenantId, { filter: { status: ['delivered'] }, limit: 100 });
      expect(page.items.map((m) => m.id).sort()).toEqual(messages.map((m) => m.id).sort());
      await expect(client.send(new DescribeTableCommand({ TableName: spareTableOf(TABLE) }))).rejects.toThrow(
        /not found/,
      );
    } finally {
      client.destroy();
      await dynalite.stop();
    }
  }, 60_000);

  it('starts over from the table when the spare was cut short', async () => {
    // Prepare: an old table, and a spare holding a part of it (the copy stopped midway).
    const tenantId = newTenantId(Date.now());
    const { dataDir, messages } = await dataDirWith(BEFORE_LABELS, TABLE, tenantId, 20);
    const dynalite = await startDynaliteThread(join(dataDir, 'dynamodb'));
    const client = dynamoClientFor(dynalite.endpoint);
    try {
      await createActiveTable(client, { TableName: spareTableOf(TABLE), ...TABLE_DEFINITION });
      await new DynamoMessageStore(
        DynamoDBDocumentClient.from(client),
        spareTableOf(TABLE),
        DEFAULT_INDEX_SHARDS,
      ).insert(messages[0]!);

      // Act
      const upgrade = await upgradeTable(client, TABLE);

      // Assess
      expect(upgrade).toEqual({ table: TABLE, indexes: ['byStatus'], items: messages.length });
      const store = new DynamoMessageStore(DynamoDBDocumentClient.from(client), TABLE, DEFAULT_INDEX_SHARDS);
      const page = await store.list(tenantId, { filter: { status: ['delivered'], label: 'billing' }, limit: 100 });
      expect(page.items).toHaveLength(messages.length);
    } finally {
      client.destroy();
      await dynalite.stop();
    }
  }, 60_000);
});
