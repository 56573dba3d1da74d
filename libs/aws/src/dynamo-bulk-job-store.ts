/**
 * BulkJobStore on DynamoDB, in the one table (conditional writes only, as everywhere):
 *   bulk job        pk T#<tenant>  sk J#<jobId>         the job (its ids, up to 1,000, inside: ~35 KB
 *                                                       at most); once finished, `expiresAt` (TTL) and
 *                                                       `expiresAtMs`, 7 days on
 *   running jobs    pk T#<tenant>  sk JOBS#RUNNING      `jobs`: job id → when it took its place, `version`
 * Each conditional write stores a fresh `writeId`, so one applied whose answer was lost counts as
 * done (own-write.ts): otherwise a step whose progress was saved would read as stale, and the job
 * would stop, its next step never queued.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BulkJob, BulkJobStore } from '@vigil/core';
import { expiryAttributes } from './dynamo-message-store';
import { ITEM_ON_CONDITION_FAILURE, newWriteId, ownWrite, WRITE_ID } from './own-write';

const tenantPk = (tenantId: string) => `T#${tenantId}`;
const jobKey = (tenantId: string, jobId: string) => ({ pk: tenantPk(tenantId), sk: `J#${jobId}` });
const runningKey = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'JOBS#RUNNING' });

export class DynamoBulkJobStore implements BulkJobStore {
  /** `now` decides which finished jobs have expired (read as gone before TTL deletes them). */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  private toItem(job: BulkJob): Record<string, unknown> {
    const { expiresAt, ...rest } = job;
    return { ...rest, ...jobKey(job.tenantId, job.id), ...(expiresAt !== undefined && expiryAttributes(expiresAt)) };
  }

  async insert(job: BulkJob): Promise<void> {
    const inserted = await this.conditionally(
      new PutCommand({
        TableName: this.table,
        Item: this.toItem(job),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (!inserted) throw new Error(`Bulk job ${job.id} exists already.`);
  }

  async get(tenantId: string, jobId: string): Promise<BulkJob | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: jobKey(tenantId, jobId), ConsistentRead: true }),
    );
    if (!Item || (typeof Item.expiresAtMs === 'number' && Item.expiresAtMs <= this.now())) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _ttl, expiresAtMs, [WRITE_ID]: _writeId, ...job } = Item;
    return { ...job, ...(typeof expiresAtMs === 'number' && { expiresAt: expiresAtMs }) } as BulkJob;
  }

  async save(job: BulkJob, expectedStep: number): Promise<boolean> {
    return this.conditionally(
      new PutCommand({
        TableName: this.table,
        Item: this.toItem(job),
        ConditionExpression: 'attribute_exists(pk) AND step = :step AND #state = :running',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':step': expectedStep, ':running': 'running' },
      }),
    );
  }

  async choosePage(job: BulkJob): Promise<boolean> {
    return this.conditionally(
      new PutCommand({
        TableName: this.table,
        Item: this.toItem(job),
        ConditionExpression:
          'attribute_exists(pk) AND step = :step AND #state = :running AND attribute_not_exists(page)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':step': job.step, ':running': 'running' },
      }),
    );
  }

  async runningJobs(tenantId: string): Promise<{ jobs: Record<string, number>; version: number }> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: runningKey(tenantId), ConsistentRead: true }),
    );
    return { jobs: (Item?.jobs as Record<string, number> | undefined) ?? {}, version: Number(Item?.version ?? 0) };
  }

  async setRunningJobs(tenantId: string, jobs: Record<string, number>, expectedVersion: number): Promise<boolean> {
    return this.conditionally(
      new PutCommand({
        TableName: this.table,
        Item: { ...runningKey(tenantId), jobs, version: expectedVersion + 1 },
        ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
        ...(expectedVersion !== 0 && { ExpressionAttributeValues: { ':version': expectedVersion } }),
      }),
    );
  }

  /** Puts the command's item if its condition holds; true if it did (also when only its answer was lost). */
  private async conditionally(command: PutCommand): Promise<boolean> {
    const writeId = newWriteId();
    const { Item, TableName = this.table } = command.input;
    const item: Record<string, unknown> = { ...Item, [WRITE_ID]: writeId };
    try {
      await this.db.send(new PutCommand({ ...command.input, Item: item, ...ITEM_ON_CONDITION_FAILURE }));
      return true;
    } catch (error) {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      return (await ownWrite(this.db, TableName, key, error, writeId)) !== undefined;
    }
  }
}
