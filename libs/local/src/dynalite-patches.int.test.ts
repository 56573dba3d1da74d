/**
 * The local stack's store frees what compaction makes obsolete. dynalite 4.0.0 left the LevelDB
 * iterator of every Query open (dynalite-patches.mjs), and an open iterator pins the table files
 * it started on: under a steady write load with queries in between, every table file LevelDB ever
 * wrote stayed on disk (and in memory), and a soak run grew without bound. Here the store runs as
 * the stack runs it (startDynaliteThread), items are overwritten until LevelDB has flushed and
 * compacted many times over, with queries that stop at their Limit and queries that read to the
 * end in between, and the data dir must hold about the live tables only.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynaliteThread } from './dynalite-thread';
import { startDynaliteThread } from './dynalite-thread';

const TableName = 'soak';
let dir: string;
let dynamo: DynaliteThread;
let client: DynamoDBClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-dynalite-'));
  dynamo = await startDynaliteThread(dir);
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const tableFiles = async () => (await readdir(dir)).filter((name) => name.endsWith('.ldb')).length;

describe('the local store under writes and queries', () => {
  it('deletes the table files compaction made obsolete, queries or not', async () => {
    // 12 items of ~300 KB, overwritten 12 times: ~43 MB written for ~3.6 MB live, so LevelDB
    // (4 MB write buffer) flushes ~10 times and compacts level 0 every 4 flushes.
    const items = 12;
    const rounds = 12;
    const body = 'x'.repeat(300_000);
    for (let round = 0; round < rounds; round += 1) {
      await Promise.all(
        Array.from({ length: items }, (_, item) =>
          client.send(
            new PutItemCommand({
              TableName,
              Item: { pk: { S: `big${item}` }, sk: { S: 'body' }, body: { S: `${round}${body}` } },
            }),
          ),
        ),
      );
      // As the engine reads (the iterator is what matters, not what it reads): a promote or sweep
      // page that stops at its Limit, and a listing that reads its shard to the end.
      await client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'shard' }, sk: { S: `round${round}` } } }));
      const shard = {
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'shard' } },
      };
      const page = await client.send(new QueryCommand({ ...shard, Limit: 1 }));
      expect(page.Count).toBe(1);
      const all = await client.send(new QueryCommand(shard));
      expect(all.Count).toBe(round + 1);
    }

    // Compaction runs in LevelDB's background thread: give its deletions a moment.
    const deadline = Date.now() + 5_000;
    while ((await tableFiles()) > 8 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // About the live tables only (a few level-0 files and the compacted level 1: 2 to 7 seen).
    // With every query's iterator left open, every table file ever written stays: 12 and more.
    expect(await tableFiles()).toBeLessThanOrEqual(8);
  }, 60_000);
});
