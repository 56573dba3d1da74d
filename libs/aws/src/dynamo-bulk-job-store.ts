/**
 * BulkJobStore on DynamoDB, in the one table (conditional writes only, as everywhere):
 *   bulk job        pk T#<tenant>  sk J#<jobId>         the job (its ids, up to 1,000, inside: ~35 KB
 *                                                       at most); once finished, `expiresAt` (TTL) and
 *                                                       `expiresAtMs`, 7 days on
 *   running jobs    pk T#<tenant>  sk JOBS#RUNNING      `jobs`: job id → when it took its place, `version`
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BulkJob, BulkJobStore } from '@vigil/core';
import { expiryAttributes } from './dynamo-message-store';

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
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: this.toItem(job),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(tenantId: string, jobId: string): Promise<BulkJob | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: jobKey(tenantId, jobId), ConsistentRead: true }),
    );
    if (!Item || (typeof Item.expiresAtMs === 'number' && Item.expiresAtMs <= this.now())) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _ttl, expiresAtMs, ...job } = Item;
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

  private async conditionally(command: PutCommand): Promise<boolean> {
    try {
      await this.db.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
