/**
 * The one table's keys and indexes, in the shape both CloudFormation (infra/tables.ts) and
 * CreateTable (the local stack) accept, so the deployed and the local table cannot drift.
 * See dynamo-message-store.ts for what each index holds.
 */
/** The table's secondary indexes, by what they serve (see dynamo-message-store.ts). */
export const INDEX = { byStatus: 'byStatus', pending: 'pending', bucket: 'bucket' } as const;

/**
 * What a listing shows of a message (GET /v1/messages): everything but its body and its attempt
 * log (the latest attempt is kept apart, without its snippet, as `lastAttempt`). The byStatus index
 * holds these only, so a status change moves a summary of a few hundred bytes between its
 * partitions, not the whole message with its body.
 */
export const SUMMARY_ATTRIBUTES = [
  'id',
  'tenantId',
  'status',
  'url',
  'method',
  'headers',
  'bodyKind',
  'sendAt',
  'timezone',
  'localSendAt',
  'dueAt',
  'createdAt',
  'updatedAt',
  'maxAttempts',
  'timeoutMs',
  'metadata',
  'labels',
  'flowControl',
  'flowHeldFrom',
  'lastAttempt',
  'failureReason',
  'roundStart',
  'version',
  'deliveredAt',
  'bucketAt',
  'leaseUntil',
  'expiresAtMs',
  'origin',
] as const;

/** What promote reads of a bucket's members: enough to send each its ticket without reading the message. */
const REF_PROJECTION = {
  ProjectionType: 'INCLUDE' as const,
  NonKeyAttributes: ['tenantId', 'id', 'version', 'status', 'dueAt', 'leaseUntil'],
};

/**
 * The pending index holds which message, not its state: attributes no write changes. So an entry is
 * written when a message enters the index, moves in it (a new due time, the sweep's deferral) and
 * leaves it, and not when a worker takes the message, which leaves it at its due time (two write
 * units a delivery, the delete and put of an entry whose `pendingAt` and `version` changed, until
 * 2026-12-04). The sweep, which reads it, reads the few messages it finds overdue from the table.
 */
const PENDING_PROJECTION = { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: ['tenantId', 'id'] };

export const TABLE_DEFINITION = {
  BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' as const },
    { AttributeName: 'sk', AttributeType: 'S' as const },
    { AttributeName: 'statusPk', AttributeType: 'S' as const },
    { AttributeName: 'pendPk', AttributeType: 'S' as const },
    { AttributeName: 'pendingAt', AttributeType: 'N' as const },
    { AttributeName: 'bucketPk', AttributeType: 'S' as const },
    { AttributeName: 'dueAt', AttributeType: 'N' as const },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' as const },
    { AttributeName: 'sk', KeyType: 'RANGE' as const },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: INDEX.byStatus,
      KeySchema: [
        { AttributeName: 'statusPk', KeyType: 'HASH' as const },
        { AttributeName: 'sk', KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...SUMMARY_ATTRIBUTES] },
    },
    {
      IndexName: INDEX.pending,
      KeySchema: [
        { AttributeName: 'pendPk', KeyType: 'HASH' as const },
        { AttributeName: 'pendingAt', KeyType: 'RANGE' as const },
      ],
      Projection: PENDING_PROJECTION,
    },
    {
      IndexName: INDEX.bucket,
      KeySchema: [
        { AttributeName: 'bucketPk', KeyType: 'HASH' as const },
        { AttributeName: 'dueAt', KeyType: 'RANGE' as const },
      ],
      Projection: REF_PROJECTION,
    },
  ],
};

/**
 * The attribute (epoch seconds) DynamoDB's TTL deletes expired items by, enabled in the deployment:
 * finished messages past their plan's retention and idempotency records past their 24 h. Both also
 * carry `expiresAtMs`, which reads check exactly (TTL deletes up to a few days late); locally,
 * where dynalite has no TTL, the stack's reaper (libs/local expiry-reaper.ts) deletes them.
 */
export const TTL_ATTRIBUTE = 'expiresAt';
