/**
 * Telling a write whose answer was lost from a lost race. DynamoDB can apply a conditional write
 * and the answer never arrive (a reset, a 500 after the fact); the SDK sends it again, and the
 * repeat fails the condition its first send made false. A store that writes a fresh `writeId` (core's
 * `randomTag`) with each conditional write asks `ownWrite` after a ConditionalCheckFailedException:
 * the item as it stands carries that id only if the write that "failed" was its own, done.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** The attribute a conditional write stores its id in (a store strips it on reads). */
export const WRITE_ID = 'writeId';

/** Asks DynamoDB for the item as it stands when a condition fails (dynalite ignores it: `ownWrite` reads it then). */
export const ITEM_ON_CONDITION_FAILURE = { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };

/**
 * Runs a conditional write that needs no write id (applied twice, it is the same write): true when
 * it was applied, false when its condition refused it; any other error is thrown.
 */
export const appliedUnlessRefused = async (write: Promise<unknown>): Promise<boolean> => {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/**
 * After a conditional write of the item at `key` threw: rethrows anything but a failed condition;
 * then the item as it stands (undefined if there is none). It comes with the exception on DynamoDB
 * (ITEM_ON_CONDITION_FAILURE), from a consistent read on dynalite.
 */
export const itemAfterRefusal = async (
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  error: unknown,
): Promise<Record<string, unknown> | undefined> => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  if (error.Item) return unmarshall(error.Item);
  return (await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
};

/**
 * Runs a conditional write of the item at `key` that carries `writeId`: true when it was applied,
 * also when only its answer was lost (ownWrite); false when another change refused it; any other
 * error is thrown.
 */
export const appliedOrOwn = async (
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  writeId: string,
  write: Promise<unknown>,
): Promise<boolean> => {
  try {
    await write;
    return true;
  } catch (error) {
    return (await ownWrite(db, table, key, error, writeId)) !== undefined;
  }
};

/**
 * After a write of the item at `key` that carried `writeId` threw: rethrows anything but a failed
 * condition; then the item as it stands if that write is what made it so (applied, its answer lost,
 * its retry refused), else undefined (another change won).
 */
export const ownWrite = async (
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  error: unknown,
  writeId: string,
): Promise<Record<string, unknown> | undefined> => {
  const current = await itemAfterRefusal(db, table, key, error);
  return current?.[WRITE_ID] === writeId ? current : undefined;
};
