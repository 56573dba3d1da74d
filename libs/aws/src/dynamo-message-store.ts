/**
 * MessageStore on DynamoDB (one table; dynalite in the local stack). Conditional writes only, no
 * transactions (dynalite lacks them), so the same code runs on both.
 *
 * Item layout (every key starts with the tenant, so a tenant only ever reaches its own items; with
 * tenant shards, VIGIL_TENANT_SHARDS, each key below but the tenant's own carries `#<n>` too,
 * n from the message id or the key: tenant-partitions.ts):
 *   message      pk T#<tenant>  sk M#<messageId>
 *   idempotency  pk T#<tenant>  sk I#<key>          (expiresAt: TTL attribute on AWS): the
 *                request's messageIds, fingerprint, owner and leaseUntil
 * Indexes (sparse: an item is in one only while it carries the key):
 *   byStatus  statusPk T#<tenant>#<status>, sk        newest-first listing by status (summaries only);
 *             a taken (`delivering`) message stays in the partition it was taken from (`listedUnder`)
 * A listing reads one key range of message ids (ULIDs: creation order) in the tenant's partition,
 * or in each of its statuses' byStatus partitions (every shard of each), merges them by id, and
 * filters the rest (label, url, sendAt) with a FilterExpression, reading at most LIST_SCAN_BUDGET
 * items a page (see `list`).
 *   pending   pendPk   P#<shard>, pendingAt           non-terminal messages by due time (sweep): which
 *             message only (tenantId, id), at its due time or where the sweep deferred it; a take
 *             puts it back at its due time (where it already is, unless deferred: no index write),
 *             and the sweep reads a held message's lease from the table. So a delivery writes its
 *             entry twice (in, out), not four times
 *   bucket    bucketPk B#<bucketAt>#<shard>, dueAt    far-path messages by bucket (promote)
 * A bucket promote went through to its end: pk BUCKETS, sk B#<bucketAt> (expiresAt a day on), which
 * the sweep reads before promoting a bucket whose timer did not (promote-bucket.ts).
 * The pending and bucket indexes are sharded by message id so a popular minute spreads over
 * several partitions; readers query the shards in parallel.
 * A message in a final state carries its expiry twice: `expiresAt` in epoch seconds, the attribute
 * DynamoDB's TTL deletes it by (table-definition.ts's TTL_ATTRIBUTE; the local stack's reaper does
 * the same), and `expiresAtMs` for exact checks (TTL deletes up to a few days late): every read
 * treats a message past `expiresAtMs` as gone. Its attempts live in the item, so they go with it.
 * A message item carries its attempt log (bounded in bytes by libs/core's attempt-log.ts) and, for
 * listings, `lastAttempt`: the latest attempt without its response snippet, so no snippet is
 * stored twice. See dynamo-item-size.ts for why the largest message with the longest log fits.
 * Its body is gzip in `bodyGz` where that makes it a fifth smaller or more, text in `body` otherwise
 * (stored-body.ts): every write of the item is billed by its size.
 *
 * Every conditional write of a message (insert, save, take, fail) stores a fresh `writeId`, so a
 * write applied whose answer was lost is told from a lost race (own-write.ts). Without it a take
 * whose answer was lost left its message `delivering` until its lease ran out, and an insert's
 * made a create fail that had stored its message.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  Attempt,
  CallbackRef,
  DeliveryTicket,
  FailureReason,
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotentSettlement,
  ListCursor,
  Message,
  MessageOrigin,
  MessageFilter,
  MessagePage,
  MessagePageQuery,
  MessageStatus,
  MessageStore,
  PendingRef,
} from '@vigil/core';
import {
  attemptSummary,
  idRangeOf,
  isIdPrefix,
  isTerminal,
  latestAttemptSentAs,
  LEGACY_SEND_WINDOW_MS,
  LIST_SCAN_BUDGET,
  MESSAGE_ORIGIN_KINDS,
  MESSAGE_STATUSES,
  MessageAlreadyExistsError,
  randomTag,
  sendWindowMs,
  statusesToRead,
  WAITING_STATUSES,
} from '@vigil/core';
import { DYNAMO_ITEM_LIMIT_BYTES, dynamoItemBytes, ItemTooLargeError } from './dynamo-item-size';
import { mergeAsync } from './merge-async';
import { COMPRESSED_BODY, StoredBodies } from './stored-body';
import { appliedOrOwn, appliedUnlessRefused, ITEM_ON_CONDITION_FAILURE, ownWrite, WRITE_ID } from './own-write';
import { settleAll } from './settle-all';
import type { TableLayout } from './tenant-partitions';
import { shardOf, TenantPartitions, UNSHARDED } from './tenant-partitions';
import { INDEX, SUMMARY_ATTRIBUTES } from './table-definition';

const DERIVED = [
  'pk',
  'sk',
  'statusPk',
  'pendPk',
  'pendingAt',
  'bucketPk',
  'expiresAt',
  'expiresAtMs',
  'sendWindowMs',
] as const;
/** Attributes the store keeps for itself: never part of the Message read back. */
const STORE_ONLY = [...DERIVED, 'lastAttempt', COMPRESSED_BODY, WRITE_ID];
const REF_FIELDS = ['tenantId', 'id', 'version', '#status', 'dueAt', 'leaseUntil'];
/** How many messages the sweep reads from the table at once (those it found overdue in the pending index). */
const PENDING_READS_IN_FLIGHT = 25;
/**
 * A bucket promoted to its end: one small item a bucket, in a partition of their own (one write a
 * minute at most), read by the sweep for the last few buckets only; DynamoDB's TTL deletes it.
 */
/** The partition of the notes that a bucket was promoted (the promote function may write only there: infra/functions.ts). */
export const PROMOTED_BUCKETS_PK = 'BUCKETS';
const promotedBucketKey = (bucketAt: number) => ({ pk: PROMOTED_BUCKETS_PK, sk: `B#${bucketAt}` });
const PROMOTED_BUCKET_KEPT_MS = 86_400_000;
/** Pending index entries a query page brings (each shard's), so a sweep reads ahead of its budget this many a shard. */
export const PENDING_PAGE_SIZE = 100;
const NAMES = {
  '#status': 'status',
  '#url': 'url',
  '#method': 'method',
  '#timezone': 'timezone',
  '#labels': 'labels',
  '#origin': 'origin',
};
/** Everything a listing shows (the byStatus index holds exactly these): the body and the attempt log stay behind. */
const SUMMARY_FIELDS = SUMMARY_ATTRIBUTES.map((name) => (`#${name}` in NAMES ? `#${name}` : name));

const messageSk = (messageId: string) => `M#${messageId}`;

/**
 * The byStatus partition a message is listed in: its status's, but while it is `delivering` (from a
 * worker's take to its record) it stays in the partition of the status it was taken from
 * (`scheduled`, `queued` or `retrying`): a take only rewrites the entry (1 write unit) where moving
 * it to a partition of its own cost a delete and a put (2), and a record that sends a retried message
 * back to `retrying` rewrites it again. A message stored as `delivering` by a whole write (not a
 * take) is listed under `queued`. So a listing of a waiting status filters by status, and one of
 * `delivering` reads the three waiting partitions (see `partitionsListing`).
 */
/** A take takes from the waiting statuses only, so those are the partitions a taken message may be listed under. */
const WAITING_PARTITIONS = WAITING_STATUSES;
/** The waiting statuses as expression values (`:scheduled`, ...): what a take may take a message from. */
const WAITING_STATUS_ATTRIBUTES = Object.fromEntries(WAITING_STATUSES.map((status) => [`:${status}`, status]));
const WAITING_STATUS_VALUES = WAITING_STATUSES.map((status) => `:${status}`).join(', ');
const listedUnder = (status: MessageStatus): MessageStatus => (status === 'delivering' ? 'queued' : status);
/** The byStatus partitions that may list a message in `status`. */
const partitionsListing = (status: MessageStatus): readonly MessageStatus[] =>
  status === 'delivering' ? WAITING_PARTITIONS : [status];

/**
 * Where a store's items go: the pending and bucket indexes' shards (VIGIL_INDEX_SHARDS) and the keys
 * a tenant's messages and listing entries spread over (VIGIL_TENANT_SHARDS, tenant-partitions.ts).
 * A number is the index shards alone, every tenant under its one key.
 */
export type StoreLayout = number | TableLayout;

/** A key range of message ids (both ends included). */
type IdRange = { from: string; to: string };

/** One partition a listing reads: a table or byStatus key. */
interface ListedPartition {
  key: 'pk' | 'statusPk';
  value: string;
  index?: string;
  /** Only these statuses (a byStatus partition that lists others too). */
  statuses?: readonly MessageStatus[];
}

/** How far a listing has read one partition. */
interface PartitionRead {
  partition: ListedPartition;
  residual: { expression: string; values: Record<string, unknown>; names: Record<string, string> };
  /** Its matches so far, in scan order. */
  items: Record<string, unknown>[];
  /** Items read, matching or not. */
  scanned: number;
  /** The next query's Limit. */
  pageLimit: number;
  started: boolean;
  /** Read to the end of the range. */
  ended: boolean;
  startKey?: Record<string, unknown>;
  /** The id it has been read to (through), unless ended. */
  readTo?: string;
}

/**
 * One entry per message, its newest version. DynamoDB updates a global secondary index after the
 * table, so while a message's status change is on its way a listing that reads both statuses'
 * partitions can find it under each; the page shows it once, as it is now (a bulk job's step
 * handles it once). Both copies have the same id, so they fall on the same page.
 */
const newestOfEach = (items: ReadonlyArray<Record<string, unknown>>): Record<string, unknown>[] => {
  const byId = new Map<unknown, Record<string, unknown>>();
  for (const item of items) {
    const seen = byId.get(item.id);
    if (seen === undefined || Number(item.version) > Number(seen.version)) byId.set(item.id, item);
  }
  return byId.size === items.length ? [...items] : [...byId.values()];
};

/** The item attributes of an expiry at `ms`: seconds for DynamoDB's TTL, milliseconds for exact checks. */
export const expiryAttributes = (ms: number) => ({ expiresAt: Math.ceil(ms / 1000), expiresAtMs: ms });

export class DynamoMessageStore implements MessageStore {
  /** Shards of the pending and bucket indexes. */
  private readonly shards: number;
  /** The keys a tenant's messages, claims and listing entries are under. */
  private readonly partitions: TenantPartitions;

  /**
   * `now` decides which messages have expired (a message past its expiry reads as gone);
   * `scanBudget` is how many items one listing page may read (tests make it small).
   */
  /** Bodies compressed or read lately, written again without compressing them again. */
  private readonly bodies = new StoredBodies();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    layout: StoreLayout,
    private readonly now: () => number = Date.now,
    private readonly scanBudget: number = LIST_SCAN_BUDGET,
  ) {
    this.shards = typeof layout === 'number' ? layout : layout.indexShards;
    this.partitions = typeof layout === 'number' ? UNSHARDED : new TenantPartitions(layout.tenantShards);
  }

  /** Which message a body belongs to, for `bodies`. */
  private bodyKey(message: Pick<Message, 'tenantId' | 'id'>): string {
    return `${message.tenantId}/${message.id}`;
  }

  private shardOf(messageId: string): number {
    return shardOf(messageId, this.shards);
  }

  /** The table key of a message. */
  private messageKey(tenantId: string, messageId: string) {
    return { pk: this.partitions.messagePk(tenantId, messageId), sk: messageSk(messageId) };
  }

  /** The table key of an idempotency claim. */
  private claimKey(tenantId: string, key: string) {
    return { pk: this.partitions.claimPk(tenantId, key), sk: `I#${key}` };
  }

  /** The byStatus partition key of a message in `status`. */
  private statusPkOf(message: Pick<Message, 'tenantId' | 'id'>, status: MessageStatus): string {
    return this.partitions.statusPk(message.tenantId, message.id, listedUnder(status));
  }

  private async toItem(message: Message): Promise<Record<string, unknown>> {
    const { expiresAt, body, ...m } = message;
    const shard = this.shardOf(m.id);
    const pending = !isTerminal(m.status);
    const inBucket = m.bucketAt !== undefined && WAITING_STATUSES.includes(m.status);
    return {
      ...m,
      // Compressed when that makes every write of the item cheaper (stored-body.ts).
      ...(await this.bodies.attributesOf(this.bodyKey(m), body)),
      // Only a final state expires: a message still to be delivered is kept whatever it carries.
      ...(!pending && expiresAt !== undefined && expiryAttributes(expiresAt)),
      ...this.messageKey(m.tenantId, m.id),
      statusPk: this.statusPkOf(m, m.status),
      lastAttempt: lastAttemptOf(m.attempts, message),
      // What a take adds to its lease (take-lease.ts): kept beside the message, as the take reads no item.
      sendWindowMs: sendWindowMs(m),
      ...(pending && {
        pendPk: `P#${shard}`,
        pendingAt: m.dueAt,
      }),
      ...(inBucket && { bucketPk: `B#${m.bucketAt}#${shard}` }),
    };
  }

  private async fromItem(item: Record<string, unknown>): Promise<Message> {
    const message = { ...item };
    for (const key of STORE_ONLY) delete message[key];
    message.body = await this.bodies.bodyOf(this.bodyKey(item as unknown as Message), item);
    if (typeof item.expiresAtMs === 'number') message.expiresAt = item.expiresAtMs;
    return message as unknown as Message;
  }

  async insert(message: Message): Promise<void> {
    const writeId = randomTag();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...(await this.toItem(message)), writeId },
          ConditionExpression: 'attribute_not_exists(pk)',
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      );
    } catch (error) {
      if (await this.ownWrite(error, message, writeId)) return;
      throw new MessageAlreadyExistsError(`Message ${message.id} already exists.`, { cause: error });
    }
  }

  async save(message: Message, expectedVersion: number): Promise<boolean> {
    const writeId = randomTag();
    const item = { ...(await this.toItem(message)), writeId };
    const bytes = dynamoItemBytes(item);
    if (bytes > DYNAMO_ITEM_LIMIT_BYTES) throw new ItemTooLargeError(bytes);
    return this.appliedOrOwn(
      message,
      writeId,
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_exists(pk) AND version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      ),
    );
  }

  /** `ownWrite` (own-write.ts) for the item of `message`. */
  private ownWrite(error: unknown, message: Pick<Message, 'tenantId' | 'id'>, writeId: string) {
    const key = this.messageKey(message.tenantId, message.id);
    return ownWrite(this.db, this.table, key, error, writeId);
  }

  /** `appliedOrOwn` (own-write.ts) for a write of the item of `message`. */
  private appliedOrOwn(message: Pick<Message, 'tenantId' | 'id'>, writeId: string, write: Promise<unknown>) {
    return appliedOrOwn(this.db, this.table, this.messageKey(message.tenantId, message.id), writeId, write);
  }

  async get(tenantId: string, messageId: string): Promise<Message | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: this.messageKey(tenantId, messageId),
        ConsistentRead: true,
      }),
    );
    // Expired: gone, even before TTL (or the local reaper) deletes it.
    if (!Item || isExpiredItem(Item, this.now())) return undefined;
    return this.fromItem(Item);
  }

  /**
   * One page of a filter's messages. The filter's id range (creation time, id prefix, cursor) is the
   * key condition; its statuses pick the partitions: the tenant's own (`pk`, every status) or the
   * byStatus partitions that list them (`partitionsListing`), each as many keys as the tenant has
   * shards, read in parallel and merged by id. Everything else is a FilterExpression.
   *
   * Each partition is read in scan order, query by query (growing from its share of the page), and
   * what the page holds is what lies up to where every partition has been read to: the least
   * advanced of those not read to their end. Partitions are read again, that one and any with less
   * than its share, until the page has one match more than it needs (so a page that holds the last
   * match knows it: no empty last page when entries the filter leaves out follow), every partition
   * ended, or the page has read LIST_SCAN_BUDGET items (shared by the partitions read at once); the
   * page then ends where every partition was read to, and its cursor goes on from there. With one
   * shard a partition's share is the whole page; with n, twice its nth (ids spread evenly over
   * shards). A previous-page cursor reads upwards and turns the result round.
   */
  async list(tenantId: string, query: MessagePageQuery): Promise<MessagePage> {
    const { filter = {}, limit, cursor } = query;
    const range = idRangeOf(filter, cursor);
    const upwards = cursor?.direction === 'previous';
    // Scan order: newest first, or oldest first when reading upwards.
    const earlier = (a: string, b: string) => (upwards ? a < b : a > b);
    const partitions = range ? this.listingPartitions(tenantId, statusesToRead(filter)) : [];
    const wanted = limit + 1;
    const shards = this.partitions.shards;
    const perPartition = shards === 1 ? wanted : Math.min(wanted, Math.ceil((2 * wanted) / shards) + 1);
    const now = this.now();
    const reads: PartitionRead[] = partitions.map((partition) => ({
      partition,
      residual: residualFilterOf(filter, now, partition.statuses),
      items: [],
      scanned: 0,
      pageLimit: perPartition,
      started: false,
      ended: false,
    }));
    // Where every partition has been read to (undefined: every one to its end).
    const readToOf = () =>
      reads
        .filter((read) => !read.ended)
        .map((read) => read.readTo)
        .reduce<string | undefined>(
          (least, at) => (at === undefined || (least !== undefined && !earlier(at, least)) ? least : at),
          undefined,
        );
    const within = (readTo: string | undefined) =>
      newestOfEach(
        reads
          .flatMap((read) => read.items)
          .filter((item) => readTo === undefined || !earlier(readTo, item.id as string)),
      );
    for (;;) {
      const readTo = readToOf();
      if (reads.every((read) => read.started) && (readTo === undefined || within(readTo).length >= wanted)) break;
      const left = this.scanBudget - reads.reduce((sum, read) => sum + read.scanned, 0);
      const lagging = reads.filter(
        (read) => !read.ended && (!read.started || read.readTo === readTo || read.items.length < perPartition),
      );
      if (lagging.length === 0 || left <= 0) break;
      // The budget left, shared by the partitions read now.
      const most = Math.max(1, Math.floor(left / lagging.length));
      await Promise.all(lagging.map((read) => this.readOn(read, range as IdRange, upwards, most)));
    }
    const readTo = readToOf();
    const found = within(readTo).sort((a, b) => (earlier(a.id as string, b.id as string) ? -1 : 1));
    const taken = found.slice(0, limit);
    const last = taken.at(-1)?.id as string | undefined;
    const goOnFrom =
      last !== undefined && taken.length === limit && (found.length > limit || readTo !== undefined) ? last : readTo;
    const items = (upwards ? taken.reverse() : taken).map(summaryOf);
    // Going down, the page before is above its newest item (none before the first page); going up,
    // the page after is below its oldest.
    const next = upwards ? cursorAt('next', items.at(-1)?.id ?? cursor?.id) : cursorAt('next', goOnFrom);
    const previous = upwards
      ? cursorAt('previous', goOnFrom)
      : cursor && cursorAt('previous', items[0]?.id ?? cursor.id);
    return { items, ...(next && { next }), ...(previous && { previous }) };
  }

  /** The partitions a listing of `statuses` reads (undefined: every status, from the table). */
  private listingPartitions(tenantId: string, statuses: readonly MessageStatus[] | undefined): ListedPartition[] {
    if (statuses === undefined) return this.partitions.messageKeys(tenantId).map((value) => ({ key: 'pk', value }));
    return [...new Set(statuses.flatMap(partitionsListing))].flatMap((listed) => {
      const wanted = statuses.filter((status) => partitionsListing(status).includes(listed));
      const holds = MESSAGE_STATUSES.filter((status) => partitionsListing(status).includes(listed));
      return this.partitions.statusKeys(tenantId, listed).map((value) => ({
        key: 'statusPk',
        value,
        index: INDEX.byStatus,
        // A partition that lists more statuses than were asked for keeps only those asked for.
        ...(wanted.length < holds.length && { statuses: wanted }),
      }));
    });
  }

  /** Reads one more query's worth of a listing's partition: at most `most` items. */
  private async readOn(read: PartitionRead, range: IdRange, upwards: boolean, most: number): Promise<void> {
    const { partition, residual } = read;
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...(partition.index && { IndexName: partition.index }),
        KeyConditionExpression: `${partition.key} = :pk AND sk BETWEEN :from AND :to`,
        FilterExpression: residual.expression,
        ProjectionExpression: SUMMARY_FIELDS.join(', '),
        ExpressionAttributeNames: { ...NAMES, ...residual.names },
        ExpressionAttributeValues: {
          ':pk': partition.value,
          ':from': messageSk(range.from),
          ':to': messageSk(range.to),
          ...residual.values,
        },
        ScanIndexForward: upwards,
        Limit: Math.min(read.pageLimit, most),
        ExclusiveStartKey: read.startKey,
      }),
    );
    read.started = true;
    read.items.push(...(page.Items ?? []));
    read.scanned += page.ScannedCount ?? 0;
    read.startKey = page.LastEvaluatedKey;
    read.ended = read.startKey === undefined;
    read.readTo = read.startKey && String(read.startKey.sk).slice('M#'.length);
    read.pageLimit *= 4;
  }

  async take(ticket: DeliveryTicket, now: number, leaseFrom: number): Promise<Message | undefined> {
    const writeId = randomTag();
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.messageKey(ticket.tenantId, ticket.messageId),
          ConditionExpression: `version = :v AND (#status IN (${WAITING_STATUS_VALUES}) OR (#status = :delivering AND leaseUntil < :now))`,
          UpdateExpression:
            'SET #status = :delivering, leaseUntil = if_not_exists(sendWindowMs, :legacyWindow) + :leaseFrom, pendingAt = dueAt, updatedAt = :now, version = :next, takes = if_not_exists(takes, :zero) + :one, writeId = :writeId REMOVE bucketPk, bucketAt, flowWaitingSince',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':v': ticket.version,
            ':next': ticket.version + 1,
            ...WAITING_STATUS_ATTRIBUTES,
            ':delivering': 'delivering',
            ':now': now,
            ':leaseFrom': leaseFrom,
            ':legacyWindow': LEGACY_SEND_WINDOW_MS,
            ':zero': 0,
            ':one': 1,
            ':writeId': writeId,
          },
          ReturnValues: 'ALL_NEW',
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      );
      return Attributes ? this.fromItem(Attributes) : undefined;
    } catch (error) {
      const own = await this.ownWrite(error, { tenantId: ticket.tenantId, id: ticket.messageId }, writeId);
      return own && this.fromItem(own);
    }
  }

  extendLease(message: Pick<Message, 'tenantId' | 'id' | 'version'>, leaseUntil: number): Promise<boolean> {
    return this.setWhileTaken(message, 'leaseUntil', leaseUntil);
  }

  markWaitingForTurn(message: Pick<Message, 'tenantId' | 'id' | 'version'>, since: number): Promise<boolean> {
    return this.setWhileTaken(message, 'flowWaitingSince', since);
  }

  /**
   * Sets one attribute of a taken message if it is still that take's (its version, `delivering`),
   * changing nothing else. Applied twice (an answer lost, the SDK's retry) it is the same write: no
   * writeId needed.
   */
  private setWhileTaken(
    message: Pick<Message, 'tenantId' | 'id' | 'version'>,
    attribute: 'leaseUntil' | 'flowWaitingSince',
    value: number,
  ): Promise<boolean> {
    return appliedUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.messageKey(message.tenantId, message.id),
          ConditionExpression: 'version = :v AND #status = :delivering',
          UpdateExpression: `SET ${attribute} = :value`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':v': message.version, ':delivering': 'delivering', ':value': value },
        }),
      ),
    );
  }

  async endWaitForTurn(message: Pick<Message, 'tenantId' | 'id' | 'version'>): Promise<boolean> {
    // It moves the version on, so the SDK's retry of a write that landed would find its condition
    // failed: the write's id tells that apart from a cancel.
    const writeId = randomTag();
    return this.appliedOrOwn(
      message,
      writeId,
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.messageKey(message.tenantId, message.id),
          ConditionExpression: 'version = :v AND #status = :delivering',
          UpdateExpression: 'SET version = :next, writeId = :writeId REMOVE flowWaitingSince',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':v': message.version,
            ':next': message.version + 1,
            ':delivering': 'delivering',
            ':writeId': writeId,
          },
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      ),
    );
  }

  async fail(
    message: Pick<Message, 'tenantId' | 'id'>,
    expectedVersion: number,
    failure: { reason: FailureReason; now: number; expiresAt: number; attempts?: Attempt[]; callbacks?: CallbackRef[] },
  ): Promise<boolean> {
    const withLog = failure.attempts !== undefined;
    const expiry = expiryAttributes(failure.expiresAt);
    const last = failure.attempts && lastAttemptOf(failure.attempts);
    const writeId = randomTag();
    return this.appliedOrOwn(
      message,
      writeId,
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.messageKey(message.tenantId, message.id),
          // Still as taken: a record keeps the take's version when it ends the round (delivered, or
          // failed by its answers), so the version alone would let this overwrite one that landed unseen.
          ConditionExpression: 'attribute_exists(pk) AND version = :expected AND #status = :delivering',
          UpdateExpression: [
            'SET #status = :failed, statusPk = :statusPk, failureReason = :reason, updatedAt = :now, version = :next, writeId = :writeId',
            ', expiresAt = :expiresAt, expiresAtMs = :expiresAtMs',
            ...(withLog ? [', attempts = :attempts', ...(last ? [', lastAttempt = :last'] : [])] : []),
            ...(failure.callbacks ? [', callbacks = :callbacks'] : []),
            ' REMOVE pendPk, pendingAt, leaseUntil, bucketPk, bucketAt, takes, flowWaitingSince',
          ].join(''),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':expected': expectedVersion,
            ':delivering': 'delivering',
            ':failed': 'failed',
            ':statusPk': this.statusPkOf(message, 'failed'),
            ':reason': failure.reason,
            ':now': failure.now,
            ':next': expectedVersion + 1,
            ':expiresAt': expiry.expiresAt,
            ':expiresAtMs': expiry.expiresAtMs,
            ...(withLog && { ':attempts': failure.attempts }),
            ...(last && { ':last': last }),
            ...(failure.callbacks && { ':callbacks': failure.callbacks }),
            ':writeId': writeId,
          },
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      ),
    );
  }

  async deferPending(ref: PendingRef, untilMs: number): Promise<boolean> {
    return appliedUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.messageKey(ref.tenantId, ref.messageId),
          // Only a message still pending, unchanged since the index was read, and still at the place it
          // was read at: a second sweep that read it there too (two runs at once) finds it moved and
          // leaves it to the first. Already at `untilMs` passes: this write, its answer lost, retried.
          ConditionExpression:
            'attribute_exists(pendPk) AND version = :v AND #status = :status' +
            (ref.pendingAt === undefined ? '' : ' AND (pendingAt = :seen OR pendingAt = :until)'),
          UpdateExpression: 'SET pendingAt = :until',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':v': ref.version,
            ':status': ref.status,
            ':until': untilMs,
            ...(ref.pendingAt !== undefined && { ':seen': ref.pendingAt }),
          },
        }),
      ),
    );
  }

  async removeUnchanged(messages: ReadonlyArray<Pick<Message, 'tenantId' | 'id' | 'version'>>): Promise<string[]> {
    const kept: string[] = [];
    // Deletes one by one (conditional-write tables on both engines; a rollback is rare and small).
    // Every delete settles before this returns or throws: one still in flight (the SDK retrying it)
    // would land after the rollback ended and the request's key was released, and delete the same
    // message written again by the retry that took the key over (version 0 again).
    for (let i = 0; i < messages.length; i += 25) {
      await settleAll(
        messages.slice(i, i + 25).map(async ({ tenantId, id, version }) => {
          // Missing passes (nothing to delete; or this delete applied, its answer lost, and the
          // SDK's retry finds it gone); a version moved on is refused: kept.
          const deleted = await appliedUnlessRefused(
            this.db.send(
              new DeleteCommand({
                TableName: this.table,
                Key: this.messageKey(tenantId, id),
                ConditionExpression: 'attribute_not_exists(pk) OR version = :v',
                ExpressionAttributeValues: { ':v': version },
              }),
            ),
          );
          if (!deleted) kept.push(id);
        }),
      );
    }
    return kept;
  }

  async findIdempotencyKey(tenantId: string, key: string, now: number): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: this.claimKey(tenantId, key), ConsistentRead: true }),
    );
    return Item && Number(Item.expiresAtMs) >= now ? idempotencyRecordOf(Item) : undefined;
  }

  async claimIdempotencyKey(
    tenantId: string,
    key: string,
    record: IdempotencyRecord,
    now: number,
    ttlMs: number,
  ): Promise<IdempotencyClaim> {
    const itemKey = this.claimKey(tenantId, key);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...itemKey,
            ...record,
            createdAt: now,
            expiresAtMs: now + ttlMs,
            expiresAt: Math.ceil((now + ttlMs) / 1000),
          },
          // An expired claim (TTL deletion on AWS is lazy) counts as free.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const bound = await this.findIdempotencyKey(tenantId, key, now);
      if (!bound) return this.claimIdempotencyKey(tenantId, key, record, now, ttlMs); // gone meanwhile
      return { claimed: false, record: bound };
    }
  }

  async takeOverIdempotencyKey(
    tenantId: string,
    key: string,
    fromOwner: string,
    toOwner: string,
    now: number,
    leaseUntil: number,
  ): Promise<boolean> {
    return appliedUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.claimKey(tenantId, key),
          // Keys claimed before owners were kept have none: the first retry takes them.
          ConditionExpression:
            fromOwner === ''
              ? 'attribute_exists(pk) AND attribute_not_exists(#owner)'
              : 'attribute_exists(pk) AND #owner = :from AND leaseUntil < :now',
          // The new owner's results are undecided: a withdrawal or a keep was the old owner's.
          UpdateExpression: 'SET #owner = :to, leaseUntil = :lease REMOVE settled',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ...(fromOwner !== '' && { ':from': fromOwner, ':now': now }),
            ':to': toOwner,
            ':lease': leaseUntil,
          },
        }),
      ),
    );
  }

  async releaseIdempotencyKey(tenantId: string, key: string, owner: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.claimKey(tenantId, key),
          ConditionExpression: '#owner = :owner',
          UpdateExpression: 'SET leaseUntil = :over',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner, ':over': 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async settleIdempotentResults(
    tenantId: string,
    key: string,
    owner: string,
    settlement: IdempotentSettlement,
    leaseUntil: number,
    ids?: readonly string[],
  ): Promise<IdempotentSettlement | undefined> {
    const withdrawn = settlement === 'withdrawn';
    const rebound = settlement === 'kept' && ids !== undefined;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.claimKey(tenantId, key),
          // The same decision again (a retry of this write whose answer was lost) holds as well.
          ConditionExpression: '#owner = :owner AND (attribute_not_exists(settled) OR settled = :settled)',
          UpdateExpression: `SET settled = :settled${withdrawn ? ', leaseUntil = :lease' : ''}${rebound ? ', messageIds = :ids' : ''}`,
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':settled': settlement,
            ...(withdrawn && { ':lease': leaseUntil }),
            ...(rebound && { ':ids': [...ids] }),
          },
        }),
      );
      return settlement;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: this.claimKey(tenantId, key), ConsistentRead: true }),
      );
      return Item?.owner === owner ? idempotencyRecordOf(Item).settled : undefined;
    }
  }

  async markBucketPromoted(bucketAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...promotedBucketKey(bucketAt), ...expiryAttributes(bucketAt + PROMOTED_BUCKET_KEPT_MS) },
      }),
    );
  }

  async bucketPromoted(bucketAt: number): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: promotedBucketKey(bucketAt), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  bucketMembers(bucketAt: number): AsyncIterable<PendingRef> {
    return this.queryShards(
      (shard) => ({
        IndexName: INDEX.bucket,
        KeyConditionExpression: 'bucketPk = :pk',
        ExpressionAttributeValues: { ':pk': `B#${bucketAt}#${shard}` },
        ProjectionExpression: REF_FIELDS.join(', '),
        ExpressionAttributeNames: { '#status': 'status' },
      }),
      async (items) => items.map(refOf),
    );
  }

  pendingBefore(beforeMs: number): AsyncIterable<PendingRef> {
    return this.queryShards(
      (shard) => ({
        IndexName: INDEX.pending,
        KeyConditionExpression: 'pendPk = :pk AND pendingAt < :before',
        ExpressionAttributeValues: { ':pk': `P#${shard}`, ':before': beforeMs },
        // Each entry found costs a read of its message before the sweep sees it: a page of the index
        // is a page the sweep hands on, not the 1 MB (thousands of entries) DynamoDB would return.
        Limit: PENDING_PAGE_SIZE,
      }),
      (entries) => this.currentRefs(entries),
    );
  }

  /**
   * What the pending index's entries (which message only) are now: each message read from the table,
   * PENDING_READS_IN_FLIGHT at a time; one that has finished or gone since the index was read is left out.
   */
  private async currentRefs(entries: ReadonlyArray<Record<string, unknown>>): Promise<PendingRef[]> {
    const refs: PendingRef[] = [];
    for (let i = 0; i < entries.length; i += PENDING_READS_IN_FLIGHT) {
      const read = await Promise.all(
        entries.slice(i, i + PENDING_READS_IN_FLIGHT).map(async (entry) => {
          const { Item } = await this.db.send(
            new GetCommand({
              TableName: this.table,
              Key: { pk: entry.pk, sk: entry.sk },
              // And an event delivery's origin: the sweep checks the end it tells of before sending it;
              // and its place in the index: whether a sweep deferred it already.
              ProjectionExpression: [...REF_FIELDS, 'origin', 'pendingAt'].join(', '),
              ExpressionAttributeNames: { '#status': 'status' },
              ConsistentRead: true,
            }),
          );
          return Item && !isTerminal(Item.status as PendingRef['status']) ? refOf(Item) : undefined;
        }),
      );
      for (const ref of read) if (ref) refs.push(ref);
    }
    return refs;
  }

  /**
   * Reads every shard of an index in parallel, each page by page, turning each page's items into refs.
   * A shard whose reads fail (a throttled partition, after the SDK's retries) ends there; the others
   * are read to their end, and only then is its error thrown: a bad partition does not keep the
   * sweep or promote from the messages of every other one. A reader that stops before the end (a
   * sweep run at its budget) gets that error when it lets go of the stream (its `return`), so the
   * run still fails and says why, where the error was dropped with the rest of the stream.
   */
  private queryShards(
    queryFor: (shard: number) => Omit<QueryCommandInput, 'TableName'>,
    refsOf: (items: ReadonlyArray<Record<string, unknown>>) => Promise<PendingRef[]>,
  ): AsyncIterable<PendingRef> {
    const failures: unknown[] = [];
    const readShard = async function* (this: DynamoMessageStore, shard: number): AsyncGenerator<PendingRef> {
      try {
        const pages = paginateQuery({ client: this.db }, { TableName: this.table, ...queryFor(shard) });
        for await (const page of pages) yield* await refsOf(page.Items ?? []);
      } catch (error) {
        failures.push(error);
      }
    };
    const shards = Array.from({ length: this.shards }, (_, shard) => readShard.call(this, shard));
    const merged = mergeAsync(shards);
    const failed = () => {
      if (failures.length > 0) throw failures[0];
    };
    const refs: AsyncIterableIterator<PendingRef> = {
      [Symbol.asyncIterator]: () => refs,
      next: async () => {
        const result = await merged.next();
        if (result.done) failed();
        return result;
      },
      return: async () => {
        await merged.return(undefined);
        failed();
        return { done: true, value: undefined };
      },
    };
    return refs;
  }
}

/** A message's ref from an item (or index entry) that carries REF_FIELDS. */
const refOf = (item: Record<string, unknown>): PendingRef => ({
  tenantId: item.tenantId as string,
  messageId: item.id as string,
  version: item.version as number,
  status: item.status as PendingRef['status'],
  dueAt: item.dueAt as number,
  ...(item.leaseUntil !== undefined && { leaseUntil: item.leaseUntil as number }),
  ...(item.origin !== undefined && { origin: item.origin as MessageOrigin }),
  ...(item.pendingAt !== undefined && { pendingAt: item.pendingAt as number }),
});

/**
 * What listings show of the latest attempt: everything but its snippet (stored once, in the log),
 * and, from the whole message, where it went when a change since made its request differ
 * (`sentAs`, which a listing cannot work out: it reads no body and no earlier requests). A
 * delivery's own write (its record, or `fail` with the attempt it made) stores an attempt sent as
 * the message is, with nothing more.
 */
const lastAttemptOf = (attempts: readonly Attempt[], message?: Message): Attempt | undefined => {
  const last = attempts.at(-1);
  if (last === undefined) return undefined;
  const sentAs = message && latestAttemptSentAs(message);
  return sentAs ? { ...attemptSummary(last), sentAs } : attemptSummary(last);
};

/** An item past its exact expiry (`expiresAtMs`) at `now`: a message or idempotency record to treat as gone. */
const isExpiredItem = (item: Record<string, unknown>, now: number): boolean =>
  typeof item.expiresAtMs === 'number' && item.expiresAtMs <= now;

/** Reads a claim, including those made before fingerprints and owners were kept (one messageId). */
const idempotencyRecordOf = (item: Record<string, unknown>): IdempotencyRecord => {
  const messageIds = Array.isArray(item.messageIds) ? item.messageIds.map(String) : [String(item.messageId)];
  return {
    messageIds,
    ...(typeof item.fingerprint === 'string' && { fingerprint: item.fingerprint }),
    owner: typeof item.owner === 'string' ? item.owner : '',
    leaseUntil: typeof item.leaseUntil === 'number' ? item.leaseUntil : Number(item.createdAt ?? 0),
    ...((item.settled === 'kept' || item.settled === 'withdrawn') && { settled: item.settled }),
  };
};

const cursorAt = (direction: ListCursor['direction'], id: string | undefined): ListCursor | undefined =>
  id === undefined ? undefined : { direction, id };

/** A listing's item as a message: no body, its latest attempt as its log, its exact expiry. */
const summaryOf = (item: Record<string, unknown>): Message => {
  const { lastAttempt, expiresAtMs, ...rest } = item;
  return {
    ...rest,
    body: '',
    attempts: lastAttempt ? [lastAttempt] : [],
    ...(typeof expiresAtMs === 'number' && { expiresAt: expiresAtMs }),
  } as unknown as Message;
};

/**
 * What a filter asks beyond its key range and statuses, as a FilterExpression: never an expired
 * message, then label, url prefix, the exact sendAt and createdAt ranges, updatedSince, and id
 * text that is not a prefix. Evaluated on the items the key range reads (each one counts against the page's budget).
 */
const residualFilterOf = (filter: MessageFilter, now: number, statuses?: readonly MessageStatus[]) => {
  const parts = ['(attribute_not_exists(expiresAtMs) OR expiresAtMs > :now)'];
  const values: Record<string, unknown> = { ':now': now };
  const add = (expression: string, name: string, value: unknown) => {
    parts.push(expression);
    values[name] = value;
  };
  if (statuses !== undefined) {
    statuses.forEach((status, i) => (values[`:status${i}`] = status));
    parts.push(`#status IN (${statuses.map((_, i) => `:status${i}`).join(', ')})`);
  }
  if (filter.label !== undefined) add('contains(#labels, :label)', ':label', filter.label);
  if (filter.urlPrefix !== undefined) add('begins_with(#url, :urlPrefix)', ':urlPrefix', filter.urlPrefix);
  if (filter.sendAtFrom !== undefined) add('sendAt >= :sendAtFrom', ':sendAtFrom', filter.sendAtFrom);
  if (filter.sendAtTo !== undefined) add('sendAt < :sendAtTo', ':sendAtTo', filter.sendAtTo);
  if (filter.createdAtFrom !== undefined) add('createdAt >= :createdAtFrom', ':createdAtFrom', filter.createdAtFrom);
  if (filter.createdAtTo !== undefined) add('createdAt < :createdAtTo', ':createdAtTo', filter.createdAtTo);
  if (filter.updatedSince !== undefined) add('updatedAt >= :updatedSince', ':updatedSince', filter.updatedSince);
  if (filter.idContains !== undefined && !isIdPrefix(filter.idContains)) {
    add('contains(id, :idContains)', ':idContains', filter.idContains);
  }
  const names: Record<string, string> = {};
  const origins = filter.origin === undefined ? [] : [...new Set(filter.origin)];
  if (origins.length > 0 && origins.length < MESSAGE_ORIGIN_KINDS.length) {
    // The tenant's own messages carry no origin; Vigil's event deliveries name their kind in it.
    const either = origins.map((kind) => {
      if (kind === 'message') return 'attribute_not_exists(#origin)';
      names['#originKind'] = 'kind';
      values[`:origin_${kind}`] = kind;
      return `#origin.#originKind = :origin_${kind}`;
    });
    parts.push(`(${either.join(' OR ')})`);
  }
  return { expression: parts.join(' AND '), values, names };
};
