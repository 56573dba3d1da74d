/**
 * The message store of a running local stack, opened from its data dir (the endpoints file the
 * stack writes at start), for tests that put a message into a state no API call makes. The stack's
 * indexes have their default shard count (a test stack started with VIGIL_INDEX_SHARDS set needs its own).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoMessageStore, localServiceClientOptions } from '@vigil/aws';
import { DEFAULT_INDEX_SHARDS } from '@vigil/aws/config';
import { ENDPOINTS_FILE } from '@vigil/local/stack-provisioning';

export interface StackStore {
  store: DynamoMessageStore;
  /** The same table through a document client, for reads the store has no method for. */
  db: DynamoDBDocumentClient;
  table: string;
  close(): void;
}

export const openStackStore = async (dataDir: string): Promise<StackStore> => {
  const where = JSON.parse(await readFile(join(dataDir, ENDPOINTS_FILE), 'utf8'));
  const client = new DynamoDBClient(localServiceClientOptions(where.region, where.dynamodb));
  const db = DynamoDBDocumentClient.from(client);
  return {
    store: new DynamoMessageStore(db, where.table, DEFAULT_INDEX_SHARDS),
    db,
    table: where.table,
    close: () => client.destroy(),
  };
};
