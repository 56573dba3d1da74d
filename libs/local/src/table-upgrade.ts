/**
 * The local stack's table, brought to TABLE_DEFINITION at start-up. The table is created from the
 * definition only when it does not exist, so a data directory made by an older Vigil keeps the
 * indexes of then: a byStatus index that projects fewer attributes (before `labels` was added,
 * say) lists messages without them. So every start compares the table's secondary indexes
 * (DescribeTable) with the definition's: names, keys and projected attributes.
 *
 * dynalite's UpdateTable changes throughput only (it ignores GlobalSecondaryIndexUpdates' Create
 * and Delete), and no engine changes an index's projection in place. So an out-of-date table is
 * rebuilt: copied whole into a spare table made from the definition, deleted, made again from the
 * definition, and copied back from the spare, which is then deleted. Every item is copied as it
 * is stored (the index entries are the engine's to write), and the stack starts only after.
 *
 * Nothing accepted is lost, whenever the process dies: at every instant one complete copy exists,
 * and which one is told by what is there at the next start:
 * - the table out of date (with or without a spare): the table is complete; a spare is a copy cut
 *   short, deleted and made again;
 * - the table missing, or up to date, while the spare exists: the spare is complete (the table was
 *   deleted only after the spare was filled); the copy back is done again (writing an item twice
 *   writes the same item) and the spare deleted;
 * - a table still being deleted (dynalite stopped in the middle of a DeleteTable) is never the
 *   complete copy (a table is deleted only once the other is complete): its deletion is finished.
 */
import type { AttributeValue, DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  paginateScan,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { TABLE_DEFINITION } from '@vigil/aws';

/** BatchWriteItem's most puts per call. */
const BATCH_WRITE_MAX = 25;
/** A batch's unprocessed items are written again at most this many times (dynalite never throttles). */
const UNPROCESSED_RETRIES = 10;
/** How long a created or deleted table may take to be ACTIVE or gone (dynalite: at once). */
const TABLE_STATE_WAIT_MS = 30_000;

type IndexShape = Pick<(typeof TABLE_DEFINITION.GlobalSecondaryIndexes)[number], 'IndexName' | 'KeySchema'> & {
  Projection?: { ProjectionType?: string; NonKeyAttributes?: readonly string[] };
};

/** What an upgrade did, for the one line the stack prints. */
export interface TableUpgrade {
  table: string;
  /**
   * The indexes that differed from the definition (added, removed, or with other keys or
   * projection); none when the upgrade finished one a stopped start had left.
   */
  indexes: string[];
  /** Items copied into the rebuilt table. */
  items: number;
}

/** The spare table an upgrade copies into (kept only while it runs). */
export const spareTableOf = (table: string) => `${table}-upgrade`;

const indexSignature = (index: IndexShape): string =>
  JSON.stringify({
    keys: index.KeySchema.map((k) => `${k.AttributeName}:${k.KeyType}`),
    type: index.Projection?.ProjectionType ?? 'ALL',
    attributes: [...(index.Projection?.NonKeyAttributes ?? [])].sort(),
  });

/** The names of the global secondary indexes in which `table` differs from TABLE_DEFINITION. */
export const outdatedIndexes = (table: Pick<TableDescription, 'GlobalSecondaryIndexes'>): string[] => {
  const have = new Map<string | undefined, IndexShape>(
    (table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i as IndexShape]),
  );
  const want = new Map<string | undefined, IndexShape>(
    TABLE_DEFINITION.GlobalSecondaryIndexes.map((i) => [i.IndexName, i]),
  );
  const names = [...new Set([...want.keys(), ...have.keys()])].flatMap((name) => (name ? [name] : []));
  return names.filter((name) => {
    const a = have.get(name);
    const b = want.get(name);
    return !a || !b || indexSignature(a) !== indexSignature(b);
  });
};

const describeTable = async (dynamo: DynamoDBClient, table: string): Promise<TableDescription | undefined> => {
  try {
    return (await dynamo.send(new DescribeTableCommand({ TableName: table }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
};

/** Waits until `table` is ACTIVE (`gone` false) or no longer exists (`gone` true). */
const settle = async (dynamo: DynamoDBClient, table: string, gone: boolean): Promise<void> => {
  const until = Date.now() + TABLE_STATE_WAIT_MS;
  for (;;) {
    const state = await describeTable(dynamo, table);
    if (gone ? state === undefined : state?.TableStatus === 'ACTIVE') return;
    if (Date.now() > until) throw new Error(`table ${table} did not become ${gone ? 'deleted' : 'active'} in time`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const create = async (dynamo: DynamoDBClient, table: string) => {
  await dynamo.send(new CreateTableCommand({ TableName: table, ...TABLE_DEFINITION }));
  await settle(dynamo, table, false);
};

const drop = async (dynamo: DynamoDBClient, table: string) => {
  try {
    await dynamo.send(new DeleteTableCommand({ TableName: table }));
  } catch (error) {
    // DynamoDB refuses to delete a table already being deleted: it only has to finish.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await settle(dynamo, table, true);
};

/** The table as it stands, once ACTIVE; undefined if missing, or still being deleted (finished first). */
const standing = async (dynamo: DynamoDBClient, table: string): Promise<TableDescription | undefined> => {
  const found = await describeTable(dynamo, table);
  if (found?.TableStatus === 'DELETING') {
    await drop(dynamo, table);
    return undefined;
  }
  if (found && found.TableStatus !== 'ACTIVE') await settle(dynamo, table, false);
  return found;
};

/** Copies every item of `from` into `to` as it is stored; resolves with how many. */
const copyItems = async (dynamo: DynamoDBClient, from: string, to: string): Promise<number> => {
  let copied = 0;
  for await (const page of paginateScan({ client: dynamo }, { TableName: from, ConsistentRead: true })) {
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
      let pending: Record<string, AttributeValue>[] = items.slice(i, i + BATCH_WRITE_MAX);
      for (let tries = 0; pending.length > 0; tries += 1) {
        if (tries > UNPROCESSED_RETRIES) throw new Error(`copying ${from} into ${to}: writes left unprocessed`);
        if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50 * tries));
        const answer = await dynamo.send(
          new BatchWriteItemCommand({ RequestItems: { [to]: pending.map((Item) => ({ PutRequest: { Item } })) } }),
        );
        pending = (answer.UnprocessedItems?.[to] ?? []).flatMap((w) => (w.PutRequest?.Item ? [w.PutRequest.Item] : []));
      }
      copied += Math.min(BATCH_WRITE_MAX, items.length - i);
    }
  }
  return copied;
};

/**
 * Makes `table` match TABLE_DEFINITION: creates it if missing, rebuilds it (with its items) if its
 * indexes differ, finishes an upgrade a stopped process left. Resolves with what was upgraded, or
 * undefined when nothing was to do but perhaps create the table.
 */
export const upgradeTable = async (dynamo: DynamoDBClient, table: string): Promise<TableUpgrade | undefined> => {
  const spare = spareTableOf(table);
  const live = await standing(dynamo, table);
  const outdated = live ? outdatedIndexes(live) : [];
  const spareLeft = await standing(dynamo, spare);
  if (!live && !spareLeft) {
    await create(dynamo, table);
    return undefined;
  }
  if (outdated.length === 0 && !spareLeft) return undefined;

  if (live && outdated.length > 0) {
    // The table is the complete copy: fill a fresh spare from it, then make the table anew.
    if (spareLeft) await drop(dynamo, spare);
    await create(dynamo, spare);
    await copyItems(dynamo, table, spare);
    await drop(dynamo, table);
  }
  // The spare is the complete copy: copy it back into the table as the definition makes it.
  if (!live || outdated.length > 0) await create(dynamo, table);
  const items = await copyItems(dynamo, spare, table);
  await drop(dynamo, spare);
  return { table, indexes: outdated, items };
};

/** The line the stack prints about an upgrade. */
export const describeUpgrade = (upgrade: TableUpgrade): string =>
  upgrade.indexes.length > 0
    ? `table ${upgrade.table} rebuilt for the current indexes (${upgrade.indexes.join(', ')} changed): ${upgrade.items} items copied`
    : `table ${upgrade.table}: finished a rebuild a stopped start left (${upgrade.items} items copied)`;
