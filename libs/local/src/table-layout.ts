/**
 * The key layout a data dir's table was written with, kept in the table itself, so a start with
 * other shard counts is refused instead of losing what the table holds. Every message is found by
 * keys its shard counts decide (VIGIL_TENANT_SHARDS for its own item and listing entry,
 * VIGIL_INDEX_SHARDS for its pending and bucket entries): started with other counts, the stack
 * would not find the messages written before (a ticket for one is dropped as "no such message", the
 * sweep never reads the shards past the new count), and they would never be delivered.
 *
 * The first start writes the layout; a table that holds items but no layout (written before it was
 * kept: every tenant under its own key) is taken as written with one tenant shard and the index
 * shards it is started with.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TableLayout } from '@vigil/aws';

/** The layout's item: a key no tenant item has (every tenant key starts with `T#`). */
const LAYOUT_KEY = { pk: 'LAYOUT', sk: 'LAYOUT' } as const;

export class TableLayoutMismatchError extends Error {
  constructor(
    readonly table: string,
    readonly written: TableLayout,
    readonly asked: TableLayout,
  ) {
    const differs = (name: string, key: keyof TableLayout) =>
      written[key] === asked[key] ? [] : [`${name}=${written[key]} (this start: ${asked[key]})`];
    super(
      `table ${table} was written with ${[
        ...differs('VIGIL_TENANT_SHARDS', 'tenantShards'),
        ...differs('VIGIL_INDEX_SHARDS', 'indexShards'),
      ].join(' and ')}: its messages would not be found under other shard counts. ` +
        'Start with the counts it was written with, or with another data dir (VIGIL_DATA_DIR).',
    );
    this.name = 'TableLayoutMismatchError';
  }
}

/**
 * Checks that `table` was written with `asked`, recording it on the first start; throws
 * TableLayoutMismatchError when it was written with other counts.
 */
export const keepTableLayout = async (dynamo: DynamoDBClient, table: string, asked: TableLayout): Promise<void> => {
  const db = DynamoDBDocumentClient.from(dynamo);
  const { Item } = await db.send(new GetCommand({ TableName: table, Key: LAYOUT_KEY, ConsistentRead: true }));
  const empty = !Item && ((await db.send(new ScanCommand({ TableName: table, Limit: 1 }))).Items ?? []).length === 0;
  const written: TableLayout = Item
    ? { indexShards: Number(Item.indexShards), tenantShards: Number(Item.tenantShards) }
    : empty
      ? asked
      : { indexShards: asked.indexShards, tenantShards: 1 };
  if (written.indexShards !== asked.indexShards || written.tenantShards !== asked.tenantShards) {
    throw new TableLayoutMismatchError(table, written, asked);
  }
  if (!Item) await db.send(new PutCommand({ TableName: table, Item: { ...LAYOUT_KEY, ...written } }));
};
