/**
 * Where the usage ledger keeps what, in the table (see DynamoUsageLedger for how it is written).
 *
 * Per tenant and UTC day:
 * - one **day total** `U#<date>`: for each shard `s<shard>` a map of that shard's running totals
 *   (`n` = ids counted, and one count per kind). Small (under 1 KB) whatever the traffic: it is
 *   all that `days()` reads.
 * - per shard (the event id's digest picks one of SHARDS), a chain of **id levels**
 *   `UL#<date>#<shard>#<level>`: at most LEVEL_CAPACITY 8-byte digests of the ids counted there
 *   (`ids`, a binary set) and the shard's running totals through that level. Level k+1 is only
 *   written once level k is full, and a full level never changes again. Under the tenant's key, or
 *   with tenant shards under a key per ledger shard (tenant-partitions.ts `ledgerLevelPk`).
 * - items of the earlier format `U#<date>#<00..15>` (counts and the string set `seen` of every id
 *   they counted) are still summed by `days()` and consulted for dedupe, never written.
 */
import { createHash } from 'node:crypto';
import type { UsageCounts, UsageEvent } from '@vigil/core';
import { emptyCounts, USAGE_KINDS, usageDate } from '@vigil/core';

/** Id levels (and day-total entries) per tenant and day. */
export const SHARDS = 8;
/**
 * Digests per id level: a full level (96 × 9 bytes of set, keys and five numbers) stays under
 * 1,024 bytes, so every write to it costs one write unit.
 */
export const LEVEL_CAPACITY = 96;
/** Bytes of SHA-256 kept per id: a false "already counted" needs two ids of one shard and day to share 64 bits. */
export const DIGEST_BYTES = 8;
/** Digits of a level number in its key (sorted as text): room for 10^8 levels per shard and day. */
const LEVEL_DIGITS = 8;

/** A shard's running totals: `n` ids counted, and how many of each kind. */
export interface ShardTotals extends UsageCounts {
  n: number;
}

export const zeroTotals = (): ShardTotals => ({ n: 0, ...emptyCounts() });

export const totalsOf = (item: Record<string, unknown> | undefined): ShardTotals => {
  const totals = zeroTotals();
  for (const key of ['n', ...USAGE_KINDS] as const) totals[key] = Number(item?.[key] ?? 0);
  return totals;
};

/** Where one event is counted: its tenant's partition, its day, its shard and the id's digest. */
export interface UsageSlot {
  pk: string;
  date: string;
  shard: number;
  /** The id's digest as a Latin-1 string (a compact in-memory key). */
  digest: string;
}

export const usageSlot = (event: UsageEvent): UsageSlot => {
  const hash = createHash('sha256').update(event.id).digest();
  return {
    pk: `T#${event.tenantId}`,
    date: usageDate(event.at),
    shard: hash.readUInt32BE(DIGEST_BYTES) % SHARDS,
    digest: hash.subarray(0, DIGEST_BYTES).toString('latin1'),
  };
};

export const digestBytes = (digest: string): Uint8Array => new Uint8Array(Buffer.from(digest, 'latin1'));
export const digestString = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** The day total's sort key; the range `U#<from>` … `U#<to>#~` holds day totals and earlier-format items. */
export const dayTotalKey = (date: string): string => `U#${date}`;
/** The attribute of a shard's entry in the day total. */
export const shardEntry = (shard: number): string => `s${shard}`;
export const SHARD_ENTRIES = Array.from({ length: SHARDS }, (_, shard) => shardEntry(shard));

export const levelKey = (date: string, shard: number, level: number): string =>
  `UL#${date}#${shard}#${String(level).padStart(LEVEL_DIGITS, '0')}`;
/** The sort-key range of a shard's levels from `level` on. */
export const levelRange = (date: string, shard: number, level: number): [string, string] => [
  levelKey(date, shard, level),
  `UL#${date}#${shard}#~`,
];
export const levelOf = (sk: string): number => Number(sk.slice(sk.lastIndexOf('#') + 1));
