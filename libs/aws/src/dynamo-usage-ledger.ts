/**
 * UsageLedger on DynamoDB: per-tenant daily counters, `pk T#<tenant>, sk U#<date>#<shard>`.
 * Each event lands with one conditional UpdateItem that adds to its counter and remembers the
 * event id in the same item (`NOT contains(seen, :id)`), so a redelivered batch never counts
 * twice, without transactions. Sharding a day over SHARDS items keeps each id set small.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageDay, UsageEvent, UsageLedger } from '@vigil/core';
import { emptyCounts, USAGE_KINDS, usageDate } from '@vigil/core';

const SHARDS = 32;

export class DynamoUsageLedger implements UsageLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async fold(events: readonly UsageEvent[]): Promise<{ counted: number; duplicates: number }> {
    let counted = 0;
    let duplicates = 0;
    for (const event of events) {
      if (await this.add(event)) counted += 1;
      else duplicates += 1;
    }
    return { counted, duplicates };
  }

  /** True when the event was counted now, false when it had been counted before. */
  private async add(event: UsageEvent): Promise<boolean> {
    const date = usageDate(event.at);
    const shard = createHash('sha1').update(event.id).digest().readUInt16BE(0) % SHARDS;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `T#${event.tenantId}`, sk: `U#${date}#${String(shard).padStart(2, '0')}` },
          UpdateExpression: 'ADD #kind :one, seen :ids SET #date = :date',
          ConditionExpression: 'attribute_not_exists(seen) OR NOT contains(seen, :id)',
          ExpressionAttributeNames: { '#kind': event.kind, '#date': 'date' },
          ExpressionAttributeValues: { ':one': 1, ':ids': new Set([event.id]), ':id': event.id, ':date': date },
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
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': `T#${tenantId}`, ':from': `U#${from}`, ':to': `U#${to}#~` },
          ProjectionExpression: ['#date', ...USAGE_KINDS.map((k) => `#${k}`)].join(', '),
          ExpressionAttributeNames: { '#date': 'date', ...Object.fromEntries(USAGE_KINDS.map((k) => [`#${k}`, k])) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const date = String(item.date);
        const day = byDate.get(date) ?? { date, ...emptyCounts() };
        for (const kind of USAGE_KINDS) day[kind] += Number(item[kind] ?? 0);
        byDate.set(date, day);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
  }
}
