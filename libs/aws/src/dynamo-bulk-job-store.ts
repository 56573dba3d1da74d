/**
 * BulkJobStore on DynamoDB, in the one table (conditional writes only, as everywhere):
 *   bulk job        pk T#<tenant>  sk J#<jobId>         the job (its ids, up to 1,000, inside: ~35 KB
 *                                                       at most); once finished, `expiresAt` (TTL) and
 *                                                       `expiresAtMs`, 7 days on
 *                                                       while running, in the pending index under
 *                                                       pendPk JOBS at its last write (`updatedAt`)
 *                                                       or the sweep's last resume (`resumedAt`)
 *   running jobs    pk T#<tenant>  sk JOBS#RUNNING      `jobs`: job id → when it took its place, `version`
 * Job ids are ULIDs, so a Query of `J#` in the tenant's partition, backwards, lists its jobs newest
 * first (listJobs), and never reaches the running-jobs record (`JOBS#`, not `J#`).
 * Each conditional write stores a fresh `writeId`, so one applied whose answer was lost counts as
 * done (own-write.ts): otherwise a step whose progress was saved would read as stale, and the job
 * would stop, its next step never queued.
 */
import type { DynamoDBDocumentClient, PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, paginateQuery, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BulkJob, BulkJobListPage, BulkJobState, BulkJobStore } from '@vigil/core';
import { idleSince, JOB_LIST_SCAN_BUDGET, randomTag } from '@vigil/core';
import { expiryAttributes } from './dynamo-message-store';
import { appliedOrOwn, appliedUnlessRefused, ITEM_ON_CONDITION_FAILURE, WRITE_ID } from './own-write';
import { INDEX } from './table-definition';

/**
 * Running jobs' partition of the pending index, apart from the messages' `P#<shard>` ones: the
 * sweep queries it alone, and a deployment runs a few jobs at a time, not thousands.
 */
export const RUNNING_JOBS_PENDING_PK = 'JOBS';

const tenantPk = (tenantId: string) => `T#${tenantId}`;
const jobKey = (tenantId: string, jobId: string) => ({ pk: tenantPk(tenantId), sk: `J#${jobId}` });
const runningKey = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'JOBS#RUNNING' });
/** An item this store writes: its key, and what it holds. */
type JobItem = { pk: string; sk: string } & Record<string, unknown>;

export class DynamoBulkJobStore implements BulkJobStore {
  /** `now` decides which finished jobs have expired (read as gone before TTL deletes them). */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  private toItem(job: BulkJob): JobItem {
    const { expiresAt, ...rest } = job;
    return {
      ...rest,
      ...jobKey(job.tenantId, job.id),
      // A running job is in the pending index from when it is idle, for the sweep to find it.
      ...(job.state === 'running' && { pendPk: RUNNING_JOBS_PENDING_PK, pendingAt: idleSince(job) }),
      ...(expiresAt !== undefined && expiryAttributes(expiresAt)),
    };
  }

  async insert(job: BulkJob): Promise<void> {
    const inserted = await this.conditionally({
      Item: this.toItem(job),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    if (!inserted) throw new Error(`Bulk job ${job.id} exists already.`);
  }

  async get(tenantId: string, jobId: string): Promise<BulkJob | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: jobKey(tenantId, jobId), ConsistentRead: true }),
    );
    return Item && !this.expired(Item) ? this.fromItem(Item) : undefined;
  }

  async listJobs(
    tenantId: string,
    query: { limit: number; states?: readonly BulkJobState[]; after?: string },
  ): Promise<BulkJobListPage> {
    const now = this.now();
    const states = query.states ?? [];
    const jobs: BulkJob[] = [];
    let read = 0;
    let startKey: Record<string, unknown> | undefined =
      query.after === undefined ? undefined : jobKey(tenantId, query.after);
    do {
      // One more than the page wants: whether another follows is known without an empty last page.
      const { Items = [], LastEvaluatedKey } = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)',
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':job': 'J#' },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: Math.min(query.limit + 1 - jobs.length, JOB_LIST_SCAN_BUDGET - read),
          ...(startKey && { ExclusiveStartKey: startKey }),
        }),
      );
      read += Items.length;
      for (const item of Items) {
        if (this.expired(item, now)) continue;
        const job = this.fromItem(item);
        if (states.length === 0 || states.includes(job.state)) jobs.push(job);
      }
      startKey = LastEvaluatedKey;
    } while (startKey !== undefined && jobs.length <= query.limit && read < JOB_LIST_SCAN_BUDGET);
    if (jobs.length > query.limit) {
      const page = jobs.slice(0, query.limit);
      return { jobs: page, next: (page.at(-1) as BulkJob).id };
    }
    // The budget ran out first: the next page goes on after the last item read, matching or not.
    return { jobs, ...(startKey !== undefined && { next: String(startKey.sk).slice('J#'.length) }) };
  }

  /** A finished job past its retention reads as gone, whether or not TTL has deleted it yet. */
  private expired(item: Record<string, unknown>, now = this.now()): boolean {
    return typeof item.expiresAtMs === 'number' && item.expiresAtMs <= now;
  }

  private fromItem(item: Record<string, unknown>): BulkJob {
    const {
      pk: _pk,
      sk: _sk,
      pendPk: _pendPk,
      pendingAt: _pendingAt,
      expiresAt: _ttl,
      expiresAtMs,
      [WRITE_ID]: _writeId,
      ...job
    } = item;
    return { ...job, ...(typeof expiresAtMs === 'number' && { expiresAt: expiresAtMs }) } as BulkJob;
  }

  async save(job: BulkJob, expectedStep: number, unchangedSince?: number): Promise<boolean> {
    const unchanged = unchangedSince !== undefined;
    return this.conditionally({
      Item: this.toItem(job),
      ConditionExpression: `attribute_exists(pk) AND step = :step AND #state = :running${unchanged ? ' AND updatedAt = :since' : ''}`,
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':step': expectedStep,
        ':running': 'running',
        ...(unchanged && { ':since': unchangedSince }),
      },
    });
  }

  async choosePage(job: BulkJob): Promise<boolean> {
    return this.conditionally({
      Item: this.toItem(job),
      ConditionExpression: 'attribute_exists(pk) AND step = :step AND #state = :running AND attribute_not_exists(page)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':step': job.step, ':running': 'running' },
    });
  }

  async runningJobs(tenantId: string): Promise<{ jobs: Record<string, number>; version: number }> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: runningKey(tenantId), ConsistentRead: true }),
    );
    return { jobs: (Item?.jobs as Record<string, number> | undefined) ?? {}, version: Number(Item?.version ?? 0) };
  }

  async setRunningJobs(tenantId: string, jobs: Record<string, number>, expectedVersion: number): Promise<boolean> {
    return this.conditionally({
      Item: { ...runningKey(tenantId), jobs, version: expectedVersion + 1 },
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
      ...(expectedVersion !== 0 && { ExpressionAttributeValues: { ':version': expectedVersion } }),
    });
  }

  async *idleRunningJobs(beforeMs: number): AsyncIterable<{ tenantId: string; jobId: string }> {
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        IndexName: INDEX.pending,
        KeyConditionExpression: 'pendPk = :pk AND pendingAt < :before',
        ExpressionAttributeValues: { ':pk': RUNNING_JOBS_PENDING_PK, ':before': beforeMs },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) yield { tenantId: String(item.tenantId), jobId: String(item.id) };
    }
  }

  async noteResumed(job: BulkJob, at: number, revived = false): Promise<boolean> {
    // Applied twice (an answer lost, the SDK's retry) it is the same write: no writeId needed.
    return appliedUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(job.tenantId, job.id),
          ConditionExpression: '#state = :running AND step = :step AND updatedAt = :updatedAt',
          UpdateExpression: `SET resumedAt = :at, pendingAt = :at${revived ? ', revivedAt = :at' : ''}`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':step': job.step,
            ':updatedAt': job.updatedAt,
            ':at': at,
          },
        }),
      ),
    );
  }

  /** Puts `put.Item` if its condition holds; true if it did (also when only its answer was lost). */
  private async conditionally(put: Omit<PutCommandInput, 'TableName' | 'Item'> & { Item: JobItem }): Promise<boolean> {
    const writeId = randomTag();
    return appliedOrOwn(
      this.db,
      this.table,
      { pk: put.Item.pk, sk: put.Item.sk },
      writeId,
      this.db.send(
        new PutCommand({
          ...put,
          TableName: this.table,
          Item: { ...put.Item, [WRITE_ID]: writeId },
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      ),
    );
  }
}
