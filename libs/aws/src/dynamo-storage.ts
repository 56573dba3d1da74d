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

/** The billed storage of one item as written (the attributes the store sends), in the table and its indexes. */
export const storedBytes = (
  item: Record<string, unknown>,
  definition: {
    KeySchema: ReadonlyArray<{ AttributeName: string }>;
    GlobalSecondaryIndexes: readonly IndexShape[];
  } = TABLE_DEFINITION,
): StoredBytes => {
  const table = dynamoItemBytes(item) + ITEM_OVERHEAD_BYTES;
  const tableKeys = definition.KeySchema.map((k) => k.AttributeName);
  const indexes: Record<string, number> = {};
  for (const index of definition.GlobalSecondaryIndexes) {
    const keys = index.KeySchema.map((k) => k.AttributeName);
    if (keys.some((name) => item[name] === undefined)) continue; // sparse: no copy
    const copy =
      index.Projection.ProjectionType === 'ALL'
        ? item
        : pick(item, new Set([...tableKeys, ...keys, ...index.Projection.NonKeyAttributes]));
    indexes[index.IndexName] = dynamoItemBytes(copy) + ITEM_OVERHEAD_BYTES;
  }
  return { table, indexes, total: table + Object.values(indexes).reduce((sum, bytes) => sum + bytes, 0) };
};
