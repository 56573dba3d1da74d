/**
 * What an item costs to keep, as DynamoDB bills storage: the item's bytes plus 100 bytes of
 * overhead in the table, and again in every global secondary index that holds a copy of it (an
 * index holds one while the item carries all of its key attributes): with projection ALL the whole
 * item, with INCLUDE the table's keys, the index's keys and the included attributes, each plus
 * 100 bytes. For the cost table's "storage per million retained messages".
 */
import { dynamoItemBytes } from './dynamo-item-size';
import { TABLE_DEFINITION } from './table-definition';

/** DynamoDB's per-item storage overhead, in the table and in each index copy. */
export const ITEM_OVERHEAD_BYTES = 100;

type Projection = { ProjectionType: 'ALL' } | { ProjectionType: 'INCLUDE'; NonKeyAttributes: readonly string[] };

interface IndexShape {
  IndexName: string;
  KeySchema: ReadonlyArray<{ AttributeName: string }>;
  Projection: Projection;
}

export interface StoredBytes {
  /** The item in the table, overhead included. */
  table: number;
  /** Each index copy, overhead included (indexes that hold none are left out). */
  indexes: Record<string, number>;
  total: number;
}

const pick = (item: Record<string, unknown>, names: Iterable<string>): Record<string, unknown> =>
  Object.fromEntries([...names].filter((name) => item[name] !== undefined).map((name) => [name, item[name]]));

type TableShape = {
  KeySchema: ReadonlyArray<{ AttributeName: string }>;
  GlobalSecondaryIndexes: readonly IndexShape[];
};

/**
 * The copy of an item each global secondary index holds, by index name (an index holds none while
 * the item lacks one of its keys): with projection ALL the whole item, with INCLUDE the table's
 * keys, the index's keys and the included attributes. What index writes and storage are billed on.
 */
export const indexEntries = (
  item: Record<string, unknown>,
  definition: TableShape = TABLE_DEFINITION,
): Record<string, Record<string, unknown>> => {
  const tableKeys = definition.KeySchema.map((k) => k.AttributeName);
  const entries: Record<string, Record<string, unknown>> = {};
  for (const index of definition.GlobalSecondaryIndexes) {
    const keys = index.KeySchema.map((k) => k.AttributeName);
    if (keys.some((name) => item[name] === undefined)) continue; // sparse: no copy
    entries[index.IndexName] =
      index.Projection.ProjectionType === 'ALL'
        ? item
        : pick(item, new Set([...tableKeys, ...keys, ...index.Projection.NonKeyAttributes]));
  }
  return entries;
};

/** The billed storage of one item as written (the attributes the store sends), in the table and its indexes. */
export const storedBytes = (item: Record<string, unknown>, definition: TableShape = TABLE_DEFINITION): StoredBytes => {
  const table = dynamoItemBytes(item) + ITEM_OVERHEAD_BYTES;
  const indexes: Record<string, number> = {};
  for (const [name, entry] of Object.entries(indexEntries(item, definition))) {
    indexes[name] = dynamoItemBytes(entry) + ITEM_OVERHEAD_BYTES;
  }
  return { table, indexes, total: table + Object.values(indexes).reduce((sum, bytes) => sum + bytes, 0) };
};
