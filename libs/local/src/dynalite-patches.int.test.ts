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
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActiveTable } from '../../../test-support/dynamo-backends';
import type { DynaliteThread } from './dynalite-thread';
import { startDynaliteThread } from './dynalite-thread';
import { STORE_MEMORY_BOUNDS, withStoreMemoryBounds } from './dynalite-patches.mjs';

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
  await createActiveTable(client, {
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
  });
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
    // (1 MiB write buffer: STORE_MEMORY_BOUNDS) flushes ~40 times and compacts level 0 every 4 flushes.
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

    // Compaction runs in LevelDB's background thread: give its deletions a moment (on a busy
    // machine it lags: CI once saw 9 files after 5 s).
    const deadline = Date.now() + 20_000;
    while ((await tableFiles()) > 8 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // About the live tables only: 4 on a quiet machine, and never more than LevelDB's own cap on
    // level 0 (12 files stop its writes) plus the compacted level 1. With every query's iterator left
    // open, every table file ever written stays: 39 to 42 in this test.
    expect(await tableFiles()).toBeLessThanOrEqual(16);
  }, 60_000);
});

describe("the local store's memory", () => {
  it('opens LevelDB with a 2 MiB block cache and a 1 MiB write buffer unless told otherwise', () => {
    expect(STORE_MEMORY_BOUNDS).toEqual({ cacheSize: 2 << 20, writeBufferSize: 1 << 20 });
    expect(withStoreMemoryBounds({ valueEncoding: 'json' })).toEqual({
      valueEncoding: 'json',
      cacheSize: 2 << 20,
      writeBufferSize: 1 << 20,
    });
    expect(withStoreMemoryBounds({ cacheSize: 1 << 20 }).cacheSize).toBe(1 << 20);
  });

  it('flushes its write buffer at 1 MiB, where LevelDB would hold 4 MiB by default', async () => {
    // A store of its own, written ~1.5 MiB: with the default write buffer it would all stay in
    // memory (no table file yet); bounded, LevelDB writes it out as a table file.
    const own = await mkdtemp(join(tmpdir(), 'vigil-dynalite-bounds-'));
    const store = await startDynaliteThread(own);
    const writer = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: store.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await createActiveTable(writer, {
        TableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      const body = 'y'.repeat(100_000);
      for (let i = 0; i < 15; i += 1) {
        await writer.send(new PutItemCommand({ TableName, Item: { pk: { S: `item${i}` }, body: { S: body } } }));
      }
      const deadline = Date.now() + 5_000;
      const flushed = async () => (await readdir(own)).some((name) => name.endsWith('.ldb'));
      while (!(await flushed()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await flushed()).toBe(true);
    } finally {
      writer.destroy();
      await store.stop();
      await rm(own, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("the local store's binary values", () => {
  // dynalite 4.0.0 compared binary values in `contains` and `begins_with` as UTF-8 text, so two
  // values differing only in bytes that are not UTF-8 (each read as U+FFFD) were equal: the usage
  // ledger's `NOT contains(ids, :digest)` then failed for an id never counted, on every try.
  // patches/dynalite+4.0.0.patch (applied by `npm install`) compares the bytes.
  const a = Uint8Array.of(0x61, 0x80);
  const lookalike = Uint8Array.of(0x61, 0x81);
  const holds = async (ConditionExpression: string, value: Uint8Array) => {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName,
          Key: { pk: { S: 'binary' }, sk: { S: 'ids' } },
          UpdateExpression: 'SET checked = :true',
          ConditionExpression,
          ExpressionAttributeValues: { ':v': { B: value }, ':true': { BOOL: true } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  };

  it('compares their bytes in contains and begins_with, not their UTF-8 reading', async () => {
    await client.send(
      new PutItemCommand({
        TableName,
        Item: { pk: { S: 'binary' }, sk: { S: 'ids' }, ids: { BS: [a] }, one: { B: a } },
      }),
    );
    expect(await holds('contains(ids, :v)', a)).toBe(true);
    expect(await holds('contains(ids, :v)', lookalike)).toBe(false);
    expect(await holds('contains(one, :v)', lookalike)).toBe(false);
    expect(await holds('begins_with(one, :v)', lookalike)).toBe(false);
    expect(await holds('begins_with(one, :v)', a.subarray(0, 1))).toBe(true);
  });
});
