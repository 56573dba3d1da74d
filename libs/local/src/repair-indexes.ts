/**
 * dynalite writes an item's index entries and then the item, as separate LevelDB writes: a kill -9
 * in between (a take or a record under way) leaves the old item with its old index entries
 * deleted and the new ones not written. Such a message is in the table but in no index: the sweep
 * never finds it, its bucket never promotes it, listings by status miss it, and it is never
 * delivered (and a running bulk job out of the pending index is never resumed). At start-up, before
 * the sweep, the local stack writes every unfinished message and running job again unchanged,
 * which makes dynalite write its index entries again. DynamoDB's own indexes have no
 * such gap; this is the embedded store's repair only. Since 2026-12-06 the store writes an item and
 * its index entries in one batch (dynalite-patches.mjs `writeItemsWithTheirIndexes`), so a kill no
 * longer splits them; the repair stays for data dirs written before.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, paginateScan, PutItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * Writes every item that has a pending entry to make (an unfinished message, a running bulk job)
 * again; resolves with how many.
 */
export const repairPendingIndexes = async (dynamo: DynamoDBClient, table: string): Promise<number> => {
  let rewritten = 0;
  const pages = paginateScan(
    { client: dynamo },
    {
      TableName: table,
      FilterExpression: 'attribute_exists(pendPk) AND (begins_with(sk, :m) OR begins_with(sk, :j))',
      ExpressionAttributeValues: { ':m': { S: 'M#' }, ':j': { S: 'J#' } },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      // A message is rewritten only as it was read (its version); a running job likewise (its step
      // and its last write, which choosing a page changes too).
      const unchanged: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeValues'> =
        item.sk?.S?.startsWith('J#')
          ? {
              ConditionExpression: 'step = :s AND updatedAt = :u',
              ExpressionAttributeValues: { ':s': item.step ?? { N: '0' }, ':u': item.updatedAt ?? { N: '0' } },
            }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': item.version ?? { N: '0' } } };
      try {
        await dynamo.send(new PutItemCommand({ TableName: table, Item: item, ...unchanged }));
        rewritten += 1;
      } catch (error) {
        // Changed since the scan read it: that write made its index entries already.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }
  return rewritten;
};
