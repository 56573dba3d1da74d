/**
 * The local stack's stand-in for DynamoDB's TTL (dynalite has none): every `everyMs` it reads a
 * bounded slice of the table and deletes the items whose exact expiry (`expiresAtMs`) has passed —
 * finished messages past their plan's retention, with their attempts (they live in the item), and
 * idempotency records past their 24 h. Each tick reads at most `maxPages` pages of `pageSize`
 * items and goes on where the last one stopped, starting over at the end of the table, so a large
 * table costs a bounded amount of work per tick and is covered in a few ticks. A delete is
 * conditional on the item still being expired (a re-claimed idempotency key is not). Reads never
 * wait for this: the store treats an expired item as gone already (dynamo-message-store.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException, DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@vigil/core';

export interface ReaperOptions {
  dynamo: DynamoDBClient;
  table: string;
  now: () => number;
  /** Items read per page (DynamoDB's Scan `Limit`: counted before the filter). */
  pageSize?: number;
  /** Pages read per tick at most. */
  maxPages?: number;
}

export const REAPER_PAGE_SIZE = 500;
export const REAPER_MAX_PAGES = 10;
/** Deletes in flight at once. */
const DELETE_CONCURRENCY = 8;

type Key = Record<string, AttributeValue>;

/**
 * One tick: reads up to `maxPages` pages from `from` (the start when absent), deletes what has
 * expired, and says where the next tick goes on (absent: the table was read to its end).
 */
export const reapExpired = async (
  options: ReaperOptions,
  from?: Key,
): Promise<{ deleted: number; scanned: number; next?: Key }> => {
  const { dynamo, table, pageSize = REAPER_PAGE_SIZE, maxPages = REAPER_MAX_PAGES } = options;
  let deleted = 0;
  let scanned = 0;
  let next = from;
  for (let page = 0; page < maxPages; page += 1) {
    const now = { N: String(options.now()) };
    const {
      Items = [],
      LastEvaluatedKey,
      ScannedCount = 0,
    } = await dynamo.send(
      new ScanCommand({
        TableName: table,
        Limit: pageSize,
        ExclusiveStartKey: next,
        FilterExpression: 'expiresAtMs <= :now',
        ProjectionExpression: 'pk, sk',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    scanned += ScannedCount;
    for (let i = 0; i < Items.length; i += DELETE_CONCURRENCY) {
      const outcomes = await Promise.all(
        Items.slice(i, i + DELETE_CONCURRENCY).map((item) => deleteIfExpired(dynamo, table, item, now)),
      );
      deleted += outcomes.filter(Boolean).length;
    }
    next = LastEvaluatedKey;
    if (!next) break;
  }
  return { deleted, scanned, ...(next && { next }) };
};

const deleteIfExpired = async (
  dynamo: DynamoDBClient,
  table: string,
  item: Key,
  now: AttributeValue,
): Promise<boolean> => {
  try {
    await dynamo.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: item.pk!, sk: item.sk! },
        // Still expired: an item written again since the scan read it (a key claimed anew) stays.
        ConditionExpression: 'expiresAtMs <= :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

export interface ExpiryReaper {
  /** Runs one tick now (or waits for the one under way); resolves with what it deleted. */
  reapNow(): Promise<number>;
  stop(): Promise<void>;
}

/** Runs `reapExpired` every `everyMs`, one tick at a time, carrying the position from tick to tick. */
export const startExpiryReaper = (options: ReaperOptions & { everyMs: number; log: Logger }): ExpiryReaper => {
  let position: Key | undefined;
  let running: Promise<number> | undefined;
  const tick = (): Promise<number> => {
    running ??= reapExpired(options, position)
      .then(({ deleted, next }) => {
        position = next;
        if (deleted > 0) options.log.info('expired items deleted', { deleted });
        return deleted;
      })
      .catch((error: unknown) => {
        options.log.error('deleting expired items failed', { error: String(error) });
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void tick(), options.everyMs);
  timer.unref();
  return {
    reapNow: tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
};
