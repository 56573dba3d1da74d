/**
 * UsageLedger on DynamoDB: every usage event id counted once, in items that stay small whatever a
 * tenant sends (the layout: usage-ledger-layout.ts).
 *
 * An event's digest picks its shard; within the shard it is counted in the one open id level
 * (the first that is not full) by a conditional write that adds its digest and the shard's running
 * totals together: `NOT contains(ids, :digest) AND size(ids) <= :room`. Levels before it are full
 * and never change, so whether an id was counted before is "in a full level" (read once, kept in
 * memory) or "in the open level" (the condition). Two folders racing for a level cannot both add
 * an id: one write wins, the other's condition fails and it re-reads the shard. The day total
 * then copies the shard's latest totals (an absolute copy, kept only if newer: idempotent), so
 * `days()` reads one small item per day, never the ids. No transactions (dynalite has none).
 *
 * Exact across crashes: a fold resolves only once the day total holds every id it folded; a fold
 * that died between a level write and the day total is folded again (SQS redelivers it; the local
 * journal refolds from its saved offset), finds its ids counted and brings the day total up to date.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageDay, UsageEvent, UsageLedger } from '@vigil/core';
import { emptyCounts, USAGE_KINDS } from '@vigil/core';
import { type TenantPartitions, UNSHARDED } from './tenant-partitions';
import type { ShardTotals, UsageSlot } from './usage-ledger-layout';
import {
  dayTotalKey,
  digestBytes,
  digestString,
  LEVEL_CAPACITY,
  levelOf,
  levelKey,
  levelRange,
  SHARD_ENTRIES,
  shardEntry,
  totalsOf,
  usageSlot,
  zeroTotals,
} from './usage-ledger-layout';

/** Ids per write at most (each adds a condition term; expressions are limited to 4 KB). */
const MAX_GROUP = 50;
/** Lost races (a level filled or changed under a write) per shard and fold before the fold fails (to be retried). */
const MAX_LOST_RACES = 10;
/** Ids (digests of full levels, earlier-format ids) kept in memory by default: about 45 MB. */
export const DEFAULT_CACHED_IDS = 1_000_000;

const TOTAL_NAMES = ['n', ...USAGE_KINDS] as const;

/** What this process knows of one shard of one tenant's day. */
interface ShardState {
  /** Levels before this one are full (and, when `ids` is kept, all their digests are in it). */
  known: number;
  /** The shard's totals through the last full level. */
  full: ShardTotals;
  /** Level `known`, when known: how many ids it holds and the totals through it. */
  open?: { size: number; totals: ShardTotals };
  /** Digests known to be counted; undefined when over the memory budget (then levels are re-read). */
  ids?: Set<string>;
}

/** What this process knows of one tenant's day. */
interface DayState {
  pk: string;
  date: string;
  /** Ids counted by earlier-format items of this day (never written any more). */
  earlier: Set<string>;
  /** Per shard: the day total's entry is known to hold at least this many ids. */
  copied: number[];
  shards: Map<number, ShardState>;
  /** Ids of this day kept in memory (earlier-format ids and digests). */
  size: number;
  /** Still in the ledger's memory (its ids count against the budget). */
  cached: boolean;
}

interface DayEntry {
  ready: Promise<DayState>;
  /** Once read. */
  day?: DayState;
}

export class LedgerContentionError extends Error {
  override readonly name = 'LedgerContentionError';
}

const latestOf = (state: ShardState): ShardTotals => state.open?.totals ?? state.full;

export class DynamoUsageLedger implements UsageLedger {
  /** Least recently used first. */
  private readonly daysKnown = new Map<string, DayEntry>();
  /** Ids kept in memory, over every day known. */
  private cachedIds = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** Where the id levels are (tenant-partitions.ts): the day totals stay under the tenant's key. */
    private readonly partitions: TenantPartitions = UNSHARDED,
    private readonly maxCachedIds = DEFAULT_CACHED_IDS,
  ) {}

  async fold(events: readonly UsageEvent[]): Promise<{ counted: number; duplicates: number }> {
    const byId = new Map<string, UsageEvent>();
    for (const event of events) {
      // An echo in the same batch as its original is that original.
      const seen = byId.get(event.id);
      if (!seen || (seen.echo && !event.echo)) byId.set(event.id, event);
    }
    const byDay = new Map<string, Map<number, Array<{ event: UsageEvent; slot: UsageSlot }>>>();
    for (const event of byId.values()) {
      const slot = usageSlot(event);
      const day = `${slot.pk}\n${slot.date}`;
      const shards = byDay.get(day) ?? new Map();
      byDay.set(day, shards);
      const slots = shards.get(slot.shard) ?? [];
      shards.set(slot.shard, slots);
      slots.push({ event, slot });
    }
    const counted = await Promise.all(
      [...byDay].map(async ([key, shards]) => {
        const [pk, date] = key.split('\n') as [string, string];
        const day = await this.dayState(pk, date);
        const folded = await Promise.allSettled([...shards].map(([shard, slots]) => this.foldShard(day, shard, slots)));
        // What was counted reaches the day total even when another shard failed.
        await this.copyTotals(day);
        this.trimCache(day);
        const failure = folded.find((r) => r.status === 'rejected');
        if (failure) throw failure.reason;
        return folded.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value : 0), 0);
      }),
    );
    const total = counted.reduce((sum, n) => sum + n, 0);
    return { counted: total, duplicates: events.length - total };
  }

  /** Counts one shard's new events; resolves with how many were new. */
  private async foldShard(
    day: DayState,
    shard: number,
    slots: ReadonlyArray<{ event: UsageEvent; slot: UsageSlot }>,
  ): Promise<number> {
    const state = this.shardState(day, shard);
    // Without the digests of full levels in memory, every level is read again (from level 0).
    if (!state.ids) Object.assign(state, { known: 0, full: zeroTotals(), open: undefined });
    let pending = slots.filter(({ event, slot }) => !day.earlier.has(event.id) && !state.ids?.has(slot.digest));
    // A likely duplicate (an echo) is looked up with a read rather than found by a failed write.
    if (pending.some(({ event }) => event.echo)) pending = await this.refresh(day, shard, state, pending);
    let counted = 0;
    let lostRaces = 0;
    while (pending.length > 0) {
      // The open level is never full (a full one is learnt as such): there is room for one id at least.
      const room = LEVEL_CAPACITY - (state.open?.size ?? 0);
      const part = pending.slice(0, Math.min(room, MAX_GROUP));
      if (await this.addToLevel(day, shard, state, part)) {
        counted += part.length;
        pending = pending.slice(part.length);
        continue;
      }
      if (++lostRaces > MAX_LOST_RACES) {
        throw new LedgerContentionError(`usage shard ${day.pk} ${day.date} #${shard}: ${MAX_LOST_RACES} lost races`);
      }
      pending = await this.refresh(day, shard, state, pending);
    }
    return counted;
  }

  /**
   * Adds ids to the shard's open level with the counts of their kinds; false (nothing written)
   * when one of them is there already or the level has no room for them all.
   */
  private async addToLevel(
    day: DayState,
    shard: number,
    state: ShardState,
    part: ReadonlyArray<{ event: UsageEvent; slot: UsageSlot }>,
  ): Promise<boolean> {
    const level = state.known;
    const base = state.full;
    const adds = zeroTotals();
    adds.n = part.length;
    for (const { event } of part) adds[event.kind] += 1;
    const digests = part.map(({ slot }, i) => [`:d${i}`, digestBytes(slot.digest)] as const);
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: this.partitions.ledgerLevelPk(day.pk, shard), sk: levelKey(day.date, shard, level) },
          // A new level starts from the totals of the full ones before it.
          UpdateExpression: `ADD ids :ids SET ${TOTAL_NAMES.map((k) => `#${k} = if_not_exists(#${k}, :base_${k}) + :add_${k}`).join(', ')}`,
          // The ids' terms first and flat, the level's room last: the same condition as `not yet a
          // level, or room and none of the ids`, which dynalite parses 4× faster (a parenthesised
          // group of 50 terms is parsed again at each alternative its grammar tries).
          ConditionExpression: `${digests.map(([name]) => `NOT contains(ids, ${name})`).join(' AND ')} AND (attribute_not_exists(ids) OR size(ids) <= :room)`,
          ExpressionAttributeNames: Object.fromEntries(TOTAL_NAMES.map((k) => [`#${k}`, k])),
          ExpressionAttributeValues: {
            ':ids': new Set(digests.map(([, bytes]) => bytes)),
            ':room': LEVEL_CAPACITY - part.length,
            ...Object.fromEntries(TOTAL_NAMES.map((k) => [`:base_${k}`, base[k]])),
            ...Object.fromEntries(TOTAL_NAMES.map((k) => [`:add_${k}`, adds[k]])),
            ...Object.fromEntries(digests),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      this.learnLevel(day, state, level, Attributes ?? {});
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Reads the shard's levels from the first one not known full (consistently): learns which are
   * full and how far the open one is, and returns the pending events not found in them.
   */
  private async refresh<T extends { slot: UsageSlot }>(
    day: DayState,
    shard: number,
    state: ShardState,
    pending: readonly T[],
  ): Promise<T[]> {
    const [from, to] = levelRange(day.date, shard, state.known);
    const found = new Set<string>();
    const wanted = new Set(pending.map(({ slot }) => slot.digest));
    let read = false;
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': this.partitions.ledgerLevelPk(day.pk, shard), ':from': from, ':to': to },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        read = true;
        for (const digest of this.learnLevel(day, state, levelOf(String(item.sk)), item)) {
          if (wanted.has(digest)) found.add(digest);
        }
      }
    }
    if (!read && state.open === undefined) state.open = { size: 0, totals: state.full };
    return pending.filter(({ slot }) => !found.has(slot.digest));
  }

  /** Takes in a level item as read or written (its digests, returned); only ever moves forward. */
  private learnLevel(day: DayState, state: ShardState, level: number, item: Record<string, unknown>): string[] {
    const digests = [...((item.ids as Set<Uint8Array> | undefined) ?? [])].map(digestString);
    const { ids } = state;
    if (ids) {
      const before = ids.size;
      for (const digest of digests) ids.add(digest);
      this.remember(day, ids.size - before);
    }
    const totals = totalsOf(item);
    if (digests.length >= LEVEL_CAPACITY) {
      if (level >= state.known) Object.assign(state, { known: level + 1, full: totals, open: undefined });
    } else if (level === state.known && totals.n >= (state.open?.totals.n ?? 0)) {
      state.open = { size: digests.length, totals };
    }
    return digests;
  }

  /**
   * Brings the day total's entry of each shard this process knows more of up to date, in one
   * write when it can; an entry that is already as far (another folder copied a later state)
   * stays as it is.
   */
  private async copyTotals(day: DayState): Promise<void> {
    const behind = [...day.shards]
      .map(([shard, state]) => ({ shard, totals: latestOf(state) }))
      .filter(({ shard, totals }) => totals.n > (day.copied[shard] ?? 0));
    if (behind.length === 0) return;
    if (await this.copy(day, behind)) return;
    if (behind.length > 1) await Promise.all(behind.map((entry) => this.copy(day, [entry])));
  }

  private async copy(day: DayState, entries: ReadonlyArray<{ shard: number; totals: ShardTotals }>): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: day.pk, sk: dayTotalKey(day.date) },
          UpdateExpression: `SET #date = :date, ${entries.map(({ shard }) => `#s${shard} = :s${shard}`).join(', ')}`,
          ConditionExpression: entries
            .map(({ shard }) => `(attribute_not_exists(#s${shard}) OR #s${shard}.#n < :n${shard})`)
            .join(' AND '),
          ExpressionAttributeNames: {
            '#date': 'date',
            '#n': 'n',
            ...Object.fromEntries(entries.map(({ shard }) => [`#s${shard}`, shardEntry(shard)])),
          },
          ExpressionAttributeValues: {
            ':date': day.date,
            ...Object.fromEntries(
              entries.flatMap(({ shard, totals }) => [
                [`:s${shard}`, totals],
                [`:n${shard}`, totals.n],
              ]),
            ),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // One entry: it was as far already. Several: at least one was; each is tried alone.
      if (entries.length > 1) return false;
    }
    for (const { shard, totals } of entries) day.copied[shard] = Math.max(day.copied[shard] ?? 0, totals.n);
    return true;
  }

  private shardState(day: DayState, shard: number): ShardState {
    let state = day.shards.get(shard);
    if (!state) {
      state = { known: 0, full: zeroTotals(), ids: new Set() };
      day.shards.set(shard, state);
    }
    return state;
  }

  /**
   * The tenant's day as this process knows it; read once (consistently): how far the day total
   * is, and the ids of any earlier-format items.
   */
  private dayState(pk: string, date: string): Promise<DayState> {
    const key = `${pk}\n${date}`;
    let entry = this.daysKnown.get(key);
    if (entry) {
      this.daysKnown.delete(key);
    } else {
      const created: DayEntry = { ready: this.readDay(pk, date) };
      created.ready.then(
        (day) => {
          created.day = day;
          this.cachedIds += day.size;
        },
        // A failed read is not kept.
        () => this.daysKnown.get(key) === created && this.daysKnown.delete(key),
      );
      entry = created;
    }
    this.daysKnown.set(key, entry);
    return entry.ready;
  }

  private async readDay(pk: string, date: string): Promise<DayState> {
    const day: DayState = { pk, date, earlier: new Set(), copied: [], shards: new Map(), size: 0, cached: true };
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        ConsistentRead: true,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': dayTotalKey(date), ':to': `${dayTotalKey(date)}#~` },
        ProjectionExpression: ['sk', 'seen', ...SHARD_ENTRIES].join(', '),
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        for (const id of (item.seen as Set<string> | undefined) ?? []) day.earlier.add(String(id));
        day.size = day.earlier.size;
        SHARD_ENTRIES.forEach((entry, shard) => {
          const copied = item[entry] as { n?: number } | undefined;
          if (copied) day.copied[shard] = Number(copied.n ?? 0);
        });
      }
    }
    return day;
  }

  /**
   * Keeps the ids in memory within the budget: the least recently folded days go first; if the
   * day in hand alone is over it, its largest shards stop keeping their digests (their levels are
   * then read again on each fold).
   */
  private trimCache(current: DayState): void {
    for (const [key, entry] of this.daysKnown) {
      if (this.cachedIds <= this.maxCachedIds) return;
      if (!entry.day || entry.day === current) continue;
      this.daysKnown.delete(key);
      this.cachedIds -= entry.day.size;
      entry.day.cached = false;
    }
    const shards = [...current.shards.values()].sort((a, b) => (b.ids?.size ?? 0) - (a.ids?.size ?? 0));
    for (const shard of shards) {
      if (this.cachedIds <= this.maxCachedIds) return;
      this.remember(current, -(shard.ids?.size ?? 0));
      shard.ids = undefined;
    }
  }

  /** Counts ids added to (or dropped from) a day's memory. */
  private remember(day: DayState, ids: number): void {
    day.size += ids;
    if (day.cached) this.cachedIds += ids;
  }

  async days(tenantId: string, from: string, to: string): Promise<UsageDay[]> {
    const byDate = new Map<string, UsageDay>();
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': `T#${tenantId}`,
          ':from': dayTotalKey(from),
          ':to': `${dayTotalKey(to)}#~`,
        },
        // Day totals (one entry per shard) and earlier-format items (counts at the top; their ids stay behind).
        ProjectionExpression: ['#date', ...USAGE_KINDS.map((k) => `#${k}`), ...SHARD_ENTRIES].join(', '),
        ExpressionAttributeNames: { '#date': 'date', ...Object.fromEntries(USAGE_KINDS.map((k) => [`#${k}`, k])) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const date = String(item.date);
        const day = byDate.get(date) ?? { date, ...emptyCounts() };
        for (const counts of [item, ...SHARD_ENTRIES.map((entry) => item[entry] as Record<string, unknown>)]) {
          for (const kind of USAGE_KINDS) day[kind] += Number(counts?.[kind] ?? 0);
        }
        byDate.set(date, day);
      }
    }
    return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  }
}
