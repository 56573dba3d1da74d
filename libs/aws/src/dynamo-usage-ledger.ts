/**
 * UsageLedger on DynamoDB: per-tenant daily counters, `pk T#<tenant>, sk U#<date>#<shard>`.
 * Each event lands with one conditional UpdateItem that adds to its counter and remembers the
 * event id in the same item (`NOT contains(seen, :id)`), so a redelivered batch never counts
 * twice, without transactions. Sharding a day over SHARDS items keeps each id set small.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageDay, UsageEvent, UsageLedger } from '@vigil/core';
import { emptyCounts, USAGE_KINDS, usageDate } from '@vigil/core';

const SHARDS = 16;
/** Events per write at most (each adds a condition term; expressions are limited to 4 KB). */
const MAX_GROUP = 50;
/** Ids this ledger counted (or found counted) lately, kept in memory to skip writes for known duplicates. */
const KNOWN_IDS = 20_000;

const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

export class DynamoUsageLedger implements UsageLedger {
  /** Insertion-ordered: the oldest are forgotten first. Only ever holds ids the table has counted. */
  private readonly known = new Set<string>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Folds a batch: events that share a counter item are added with one write (a batch from the
   * queue usually holds many), falling back to one write per event when any of them was
   * counted before (a redelivered batch). Echoes (repeats of events most likely counted already)
   * are written one by one, so that their expected duplicates do not send their batch's groups
   * down that fallback. An event whose id this ledger counted lately (an echo, usually) is a
   * duplicate without a write.
   */
  async fold(events: readonly UsageEvent[]): Promise<{ counted: number; duplicates: number }> {
    const byId = new Map<string, UsageEvent>();
    for (const event of events) {
      // An echo in the same batch as its original is that original: it is folded with its group.
      const seen = byId.get(event.id);
      if (!seen || (seen.echo && !event.echo)) byId.set(event.id, event);
    }
    const unique = [...byId.values()].filter((e) => !this.known.has(e.id));
    let counted = 0;
    let duplicates = events.length - unique.length;
    const groups = new Map<string, UsageEvent[]>();
    for (const event of unique.filter((e) => !e.echo)) {
      const key = JSON.stringify(this.counterKey(event));
      groups.set(key, [...(groups.get(key) ?? []), event]);
    }
    const echoes = unique.filter((e) => e.echo).map((e) => [e]);
    await Promise.all(
      [...[...groups.values()].flatMap((group) => chunk(group, MAX_GROUP)), ...echoes].map(async (group) => {
        if (await this.add(group)) {
          counted += group.length;
          this.remember(group);
          return;
        }
        if (group.length === 1) {
          duplicates += 1;
          this.remember(group);
          return;
        }
        for (const event of group) {
          if (await this.add([event])) counted += 1;
          else duplicates += 1;
        }
        this.remember(group);
      }),
    );
    return { counted, duplicates };
  }

  private remember(events: readonly UsageEvent[]): void {
    for (const event of events) this.known.add(event.id);
    for (const id of this.known) {
      if (this.known.size <= KNOWN_IDS) break;
      this.known.delete(id);
    }
  }

  /** The counter item an event lands in: its tenant, its UTC day, and a shard by its id. */
  private counterKey(event: UsageEvent): { pk: string; sk: string } {
    const shard = createHash('sha1').update(event.id).digest().readUInt16BE(0) % SHARDS;
    return { pk: `T#${event.tenantId}`, sk: `U#${usageDate(event.at)}#${String(shard).padStart(2, '0')}` };
  }

  /**
   * Adds events of one counter item in one conditional write; false (and nothing written) when
   * any of them had been counted before.
   */
  private async add(events: readonly UsageEvent[]): Promise<boolean> {
    const first = events[0] as UsageEvent;
    const counts = emptyCounts();
    for (const event of events) counts[event.kind] += 1;
    const kinds = USAGE_KINDS.filter((kind) => counts[kind] > 0);
    const ids = events.map((event, i) => [`:id${i}`, event.id] as const);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.counterKey(first),
          UpdateExpression: `ADD ${kinds.map((k) => `#${k} :${k}`).join(', ')}, seen :ids SET #date = :date`,
          ConditionExpression: `attribute_not_exists(seen) OR (${ids.map(([name]) => `NOT contains(seen, ${name})`).join(' AND ')})`,
          ExpressionAttributeNames: { '#date': 'date', ...Object.fromEntries(kinds.map((k) => [`#${k}`, k])) },
          ExpressionAttributeValues: {
            ':ids': new Set(events.map((e) => e.id)),
            ':date': usageDate(first.at),
            ...Object.fromEntries(kinds.map((k) => [`:${k}`, counts[k]])),
            ...Object.fromEntries(ids),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async days(tenantId: string, from: string, to: string): Promise<UsageDay[]> {
    const byDate = new Map<string, UsageDay>();
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': `T#${tenantId}`, ':from': `U#${from}`, ':to': `U#${to}#~` },
        // The counts only: each item's set of event ids stays behind.
        ProjectionExpression: ['#date', ...USAGE_KINDS.map((k) => `#${k}`)].join(', '),
        ExpressionAttributeNames: { '#date': 'date', ...Object.fromEntries(USAGE_KINDS.map((k) => [`#${k}`, k])) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const date = String(item.date);
        const day = byDate.get(date) ?? { date, ...emptyCounts() };
        for (const kind of USAGE_KINDS) day[kind] += Number(item[kind] ?? 0);
        byDate.set(date, day);
      }
    }
    return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  }
}
