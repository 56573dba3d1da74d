/**
 * The key layout a table was written with, kept in the table itself, so that a start (the local
 * stack) or a deploy (the template's layout check) with other shard counts is refused instead of
 * losing what the table holds. Every message is found by keys its shard counts decide
 * (tenant-partitions.ts: the tenant shards for its own item and listing entry, the index shards for
 * its pending and bucket entries): run with other counts, Vigil would not find the messages written
 * before (a ticket for one is dropped as "no such message", the sweep never reads the shards past
 * the new count), and they would never be delivered.
 *
 * The first check writes the layout; a table that holds items but no layout (written before it was
 * kept) is taken as written with what its home wrote then (`LayoutGuard.unrecorded`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TableLayout } from './tenant-partitions';

/** The layout's item: a key no tenant item has (every tenant key starts with `T#`). */
export const LAYOUT_KEY = { pk: 'LAYOUT', sk: 'LAYOUT' } as const;

/** How a home (the local stack, a deployed stage) checks its table's layout and words a refusal. */
export interface LayoutGuard {
  /** Each count's name where an operator sets it (`VIGIL_TENANT_SHARDS`, a template parameter). */
  names: Readonly<Record<keyof TableLayout, string>>;
  /** Who asks, in the refusal: `this start`, `this deploy`. */
  asker: string;
  /** What to do instead, told what the table was written with. */
  advice: (written: TableLayout) => string;
  /** What a table that holds items but no layout was written with, told what is asked now. */
  unrecorded: (asked: TableLayout) => TableLayout;
}

export class TableLayoutMismatchError extends Error {
  constructor(
    readonly table: string,
    readonly written: TableLayout,
    readonly asked: TableLayout,
    guard: LayoutGuard,
  ) {
    const counts = Object.keys(guard.names) as Array<keyof TableLayout>;
    const differs = counts
      .filter((count) => written[count] !== asked[count])
      .map((count) => `${guard.names[count]}=${written[count]} (${guard.asker}: ${asked[count]})`);
    super(
      `table ${table} was written with ${differs.join(' and ')}: its messages would not be found under ` +
        `other shard counts. ${guard.advice(written)}`,
    );
    this.name = 'TableLayoutMismatchError';
  }
}

const layoutOf = (item: Record<string, unknown>): TableLayout => ({
  indexShards: Number(item.indexShards),
  tenantShards: Number(item.tenantShards),
});

const sameLayout = (a: TableLayout, b: TableLayout) =>
  a.indexShards === b.indexShards && a.tenantShards === b.tenantShards;

const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** The layout `table` records (keepTableLayout wrote it), or undefined when it records none. */
export const recordedTableLayout = async (
  db: DynamoDBDocumentClient,
  table: string,
): Promise<TableLayout | undefined> => {
  const { Item } = await db.send(new GetCommand({ TableName: table, Key: LAYOUT_KEY, ConsistentRead: true }));
  return Item && layoutOf(Item);
};

/**
 * Checks that `table` was written with `asked`, recording it on the first check; throws
 * TableLayoutMismatchError when it was written with other counts. Two first checks side by side
 * (two starts, a deploy beside a start) record one layout: the later one reads it and is checked
 * against it.
 */
export const keepTableLayout = async (
  db: DynamoDBDocumentClient,
  table: string,
  asked: TableLayout,
  guard: LayoutGuard,
): Promise<void> => {
  const recorded = () => recordedTableLayout(db, table);
  const refuseUnless = (written: TableLayout) => {
    if (!sameLayout(written, asked)) throw new TableLayoutMismatchError(table, written, asked, guard);
  };
  const kept = await recorded();
  if (kept) return refuseUnless(kept);
  const [first] = (await db.send(new ScanCommand({ TableName: table, Limit: 1 }))).Items ?? [];
  // The layout another first check has just written.
  if (first?.pk === LAYOUT_KEY.pk && first.sk === LAYOUT_KEY.sk) return refuseUnless(layoutOf(first));
  const written = first ? guard.unrecorded(asked) : asked;
  refuseUnless(written);
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { ...LAYOUT_KEY, ...written },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const other = await recorded();
    if (other) refuseUnless(other);
  }
};
