/**
 * The local store keeps an item and its index entries together across a kill -9
 * (dynalite-patches.mjs `writeItemsWithTheirIndexes`). dynalite, in a process of its own on a data
 * dir, takes a stream of updates that move items between index partitions (as a message's status
 * moves it between byStatus partitions) and is killed with SIGKILL mid-stream, again and again;
 * after each restart every item must be in its index exactly as it is, and the index must hold
 * nothing else. As published, dynalite writes the index entries and the item apart, and a kill in
 * between leaves an item out of its index or an entry of a write that never landed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DynamoDBClient,
  paginateScan,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createActiveTable } from '../../../test-support/dynamo-backends';

const CHILD = fileURLToPath(new URL('../../../test-support/dynalite-child.mjs', import.meta.url));
const TableName = 'kills';
const ITEMS = 40;
const KILLS = 8;

interface Store {
  child: ChildProcess;
  client: DynamoDBClient;
}

const startStore = async (dir: string): Promise<Store> => {
  const child = spawn(process.execPath, [CHILD, dir, 'patched'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the store exited (${code}) before it listened`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  const config: DynamoDBClientConfig = {
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // A write cut off by the kill is not tried again against the dead process.
    maxAttempts: 1,
  };
  return { child, client: new DynamoDBClient(config) };
};

const kill = async ({ child, client }: Store) => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  client.destroy();
};

const scanAll = async (client: DynamoDBClient, IndexName?: string) => {
  const items: Array<Record<string, AttributeValue>> = [];
  for await (const page of paginateScan({ client }, { TableName, ...(IndexName && { IndexName }) })) {
    items.push(...(page.Items ?? []));
  }
  return items;
};

/** Each item as `id status version`, and each index entry the same way: equal when they agree. */
const asLines = (items: Array<Record<string, AttributeValue>>) =>
  items.map((item) => `${item.id?.S} ${item.statusPk?.S} ${item.version?.N}`).sort();

describe('the local store across kill -9 in the middle of writes', () => {
  let dir: string;
  let store: Store | undefined;
  afterAll(async () => {
    if (store) await kill(store);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps every item in its index as it is, and nothing else there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-kills-'));
    store = await startStore(dir);
    await createActiveTable(store.client, {
      TableName,
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'statusPk', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'statusPk', KeyType: 'HASH' },
            { AttributeName: 'id', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['version'] },
        },
      ],
    });
    const disagreements: string[] = [];
    for (let round = 1; round <= KILLS; round += 1) {
      // Every item moves to another partition, over and over, until the kill.
      const { client } = store;
      let writing = true;
      const writers = Array.from({ length: ITEMS }, async (_, i) => {
        for (let n = 0; writing; n += 1) {
          await client
            .send(
              new UpdateItemCommand({
                TableName,
                Key: { id: { S: `item-${i}` } },
                UpdateExpression: 'SET statusPk = :s ADD version :one',
                ExpressionAttributeValues: { ':s': { S: `status-${(n + i) % 7}` }, ':one': { N: '1' } },
              }),
            )
            .catch(() => {});
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 37));
      await kill(store);
      writing = false;
      await Promise.all(writers);

      store = await startStore(dir);
      const table = asLines(await scanAll(store.client));
      const index = asLines(await scanAll(store.client, 'byStatus'));
      if (table.join('\n') !== index.join('\n')) {
        disagreements.push(`after kill ${round}: table ${table.length} items, index ${index.length} entries`);
      }
    }
    expect(disagreements).toEqual([]);
  }, 90_000);
});
