/**
 * The partition keys a tenant's busy items are under (VIGIL_TENANT_SHARDS): the fix for the hot key
 * docs/CAPACITY.md finds first. DynamoDB serves one partition key at most 1,000 write units a
 * second; with every message, idempotency claim, listing entry and usage id level of a tenant under
 * `T#<tenant>` (and every listing entry of a status under `T#<tenant>#<status>`), one tenant creating
 * a few hundred messages a second throttles its own writes, whatever the table's capacity.
 *
 * With `shards` above 1 those items spread over that many keys, picked by a digest of what names
 * them:
 *   message, idempotency claim   pk        T#<tenant>#<n>            (n: of the message id, of the key)
 *   byStatus listing entry       statusPk  T#<tenant>#<status>#<n>   (n: the message's)
 *   usage id level               pk        T#<tenant>#UL#<shard>     (the ledger's own shard, 0–7)
 * so a message's own reads and writes still name one key, and only a listing reads every key of the
 * partitions it needs (`messageKeys`, `statusKeys`) and merges them by id. With one shard (the
 * default) every key is the one the table had before sharding. A table holds one layout: items
 * written under one count are not found under another (the local stack refuses to start on a data
 * dir written with a different count, and a deploy with one fails: table-layout.ts).
 *
 * What stays under `T#<tenant>`: the tenant's record, API keys, notification endpoints, flow
 * limiters, bulk jobs and the usage day totals: written per request or per fold, not per message.
 */
import { createHash } from 'node:crypto';
import type { MessageStatus } from '@vigil/core';

/** The shard counts that decide where a message's items are, one pair per table. */
export interface TableLayout {
  /** Shards of the pending and bucket indexes (VIGIL_INDEX_SHARDS). */
  indexShards: number;
  /** Keys a tenant's busy items spread over (VIGIL_TENANT_SHARDS). */
  tenantShards: number;
}

/** At most: a listing reads this many keys a partition (each a query of its own). */
export const MAX_TENANT_SHARDS = 128;
/** At most: the sweep and promote read every shard of their index, each a query of its own. */
export const MAX_INDEX_SHARDS = 64;

const tenantKey = (tenantId: string) => `T#${tenantId}`;

/** A key's shard: the first 16 bits of its SHA-1, modulo the count (as the pending index's). */
export const shardOf = (name: string, shards: number): number =>
  shards === 1 ? 0 : createHash('sha1').update(name).digest().readUInt16BE(0) % shards;

export class TenantPartitions {
  constructor(readonly shards: number) {
    if (!Number.isInteger(shards) || shards < 1 || shards > MAX_TENANT_SHARDS) {
      throw new RangeError(`tenant shards must be a whole number from 1 to ${MAX_TENANT_SHARDS}, not ${shards}`);
    }
  }

  /** The table partition key of a message. */
  messagePk(tenantId: string, messageId: string): string {
    return this.sharded(tenantKey(tenantId), shardOf(messageId, this.shards));
  }

  /** The table partition key of an idempotency claim. */
  claimPk(tenantId: string, key: string): string {
    return this.sharded(tenantKey(tenantId), shardOf(key, this.shards));
  }

  /** The byStatus partition key a message is listed under (`listed`: the status whose partition lists it). */
  statusPk(tenantId: string, messageId: string, listed: MessageStatus): string {
    return this.sharded(`${tenantKey(tenantId)}#${listed}`, shardOf(messageId, this.shards));
  }

  /** Every table partition key a tenant's messages are under (the unfiltered listing reads them all). */
  messageKeys(tenantId: string): string[] {
    return this.everyShard(tenantKey(tenantId));
  }

  /** Every byStatus partition key a status's listing entries are under. */
  statusKeys(tenantId: string, listed: MessageStatus): string[] {
    return this.everyShard(`${tenantKey(tenantId)}#${listed}`);
  }

  /**
   * The partition key of the usage id levels of one ledger shard, from the tenant's key (`T#<tenant>`,
   * where the ledger keeps its day totals): that key with one shard; with more, a key per ledger
   * shard (each takes an eighth of the ledger's writes).
   */
  ledgerLevelPk(tenantPk: string, ledgerShard: number): string {
    return this.shards === 1 ? tenantPk : `${tenantPk}#UL#${ledgerShard}`;
  }

  private sharded(key: string, shard: number): string {
    return this.shards === 1 ? key : `${key}#${shard}`;
  }

  private everyShard(key: string): string[] {
    return Array.from({ length: this.shards }, (_, shard) => this.sharded(key, shard));
  }
}

/** The layout of a table written before tenant sharding: every tenant item under `T#<tenant>`. */
export const UNSHARDED = new TenantPartitions(1);
