/**
 * DynamoDB's request units for one call, as DynamoDB computes them (developer guide: "Capacity unit
 * consumption for write operations" and "... for read operations", "Global secondary indexes:
 * write capacity units"), from the item as it was before the call and as it is after:
 *
 * - a write to the table: the larger of the old and new item, rounded up to 1 KB (at least 1 unit);
 * - each global secondary index: an entry put (the item gained the index's keys), deleted (lost
 *   them), or both when an index key changed (a delete and a put), or rewritten when a projected
 *   attribute changed; nothing when the entry is the same. The entry's size follows the index's
 *   projection (dynamo-storage.ts's indexEntries), rounded up to 1 KB;
 * - a failed conditional write: the existing item's size (1 unit when there is none), no index;
 * - a read: the item's size rounded up to 4 KB (a Query sums the entries it read first), half for
 *   an eventually consistent read (every index read is one), at least half a unit.
 *
 * Item sizes come from dynamo-item-size.ts (an upper bound: a number counts one byte high).
 * DynamoDB Local's `ReturnConsumedCapacity: INDEXES` checks this in dynamo-request-units.int.test.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { dynamoItemBytes } from '@vigil/aws/dynamo-item-size';
import { indexEntries } from '@vigil/aws/dynamo-storage';
import { TABLE_DEFINITION } from '@vigil/aws/table-definition';

export type Item = Record<string, unknown>;

const WRITE_UNIT_BYTES = 1024;
const READ_UNIT_BYTES = 4096;

/** Write units for `bytes`: whole kilobytes, at least one. */
const writeUnitsFor = (bytes: number): number => Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));

export interface WriteUnits {
  table: number;
  /** Units by index name (indexes the write did not touch are left out). */
  indexes: Record<string, number>;
  total: number;
}

const sumOf = (indexes: Record<string, number>) => Object.values(indexes).reduce((sum, units) => sum + units, 0);

/** One write's units on one partition key: of the table (`index` 'table') or of an index. */
export interface PartitionWrite {
  index: string;
  /** The partition key's value (the table's `pk`, the index's hash key). */
  key: string;
  units: number;
}

const hashKeyOf = (keySchema: ReadonlyArray<{ AttributeName: string; KeyType: string }>): string =>
  keySchema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';

/**
 * The units of one successful write that turned `before` into `after` (undefined: no item), on each
 * partition key it touched: an index entry whose key changed is a delete on the old key's partition
 * and a put on the new one's.
 */
export const partitionWrites = (
  before: Item | undefined,
  after: Item | undefined,
  definition = TABLE_DEFINITION,
): PartitionWrite[] => {
  const tableKey = String((after ?? before)?.[hashKeyOf(definition.KeySchema)] ?? '');
  const writes: PartitionWrite[] = [
    {
      index: 'table',
      key: tableKey,
      units: writeUnitsFor(Math.max(before ? dynamoItemBytes(before) : 0, after ? dynamoItemBytes(after) : 0)),
    },
  ];
  const old = before ? indexEntries(before, definition) : {};
  const next = after ? indexEntries(after, definition) : {};
  for (const index of definition.GlobalSecondaryIndexes) {
    const hash = hashKeyOf(index.KeySchema);
    const on = (entry: Item, units: number) => writes.push({ index: index.IndexName, key: String(entry[hash]), units });
    const was = old[index.IndexName];
    const is = next[index.IndexName];
    if (!was && !is) continue;
    if (!was) on(is as Item, writeUnitsFor(dynamoItemBytes(is as Item)));
    else if (!is) on(was, writeUnitsFor(dynamoItemBytes(was)));
    else if (index.KeySchema.some((k) => !isDeepStrictEqual(was[k.AttributeName], is[k.AttributeName]))) {
      on(was, writeUnitsFor(dynamoItemBytes(was)));
      on(is, writeUnitsFor(dynamoItemBytes(is)));
    } else if (!isDeepStrictEqual(was, is)) on(is, writeUnitsFor(Math.max(dynamoItemBytes(was), dynamoItemBytes(is))));
  }
  return writes;
};

/** The units of one successful write that turned `before` into `after` (undefined: no item). */
export const writeUnits = (
  before: Item | undefined,
  after: Item | undefined,
  definition = TABLE_DEFINITION,
): WriteUnits => {
  let table = 0;
  const indexes: Record<string, number> = {};
  for (const write of partitionWrites(before, after, definition)) {
    if (write.index === 'table') table += write.units;
    else indexes[write.index] = (indexes[write.index] ?? 0) + write.units;
  }
  return { table, indexes, total: table + sumOf(indexes) };
};

/** A conditional write whose condition failed: charged on the existing item (1 unit when none), no index. */
export const failedWriteUnits = (existing: Item | undefined): WriteUnits => {
  const table = writeUnitsFor(existing ? dynamoItemBytes(existing) : 0);
  return { table, indexes: {}, total: table };
};

/**
 * The read units of one read that went through `entries` (a GetItem's item, a Query page's items
 * or index entries): their summed size rounded up to 4 KB, halved when eventually consistent.
 */
export const readUnits = (entries: readonly Item[], consistent: boolean): number => {
  const bytes = entries.reduce((sum, entry) => sum + dynamoItemBytes(entry), 0);
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
};

/** The entry an index holds for `item` (what a Query on that index reads and is charged for). */
export const indexEntryOf = (item: Item, indexName: string, definition = TABLE_DEFINITION): Item | undefined =>
  indexEntries(item, definition)[indexName];
