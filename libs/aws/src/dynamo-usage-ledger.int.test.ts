/**
 * The usage ledger on both DynamoDB engines: every event id counts once, however often and in
 * whatever company it is folded; an echo (a repeat expected to be a duplicate) costs one write.
 */
import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UsageEvent } from '@vigil/core';
import { attemptUsage, outcomeUsage, scheduledUsage, usageDate } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoDbLocalUnavailable, startDynalite, startDynamoDbLocal } from '../../../test-support/dynamo-backends';
import { DynamoUsageLedger } from './dynamo-usage-ledger';

const unavailable = dynamoDbLocalUnavailable();
if (unavailable) console.warn(`DynamoDB Local tier skipped: ${unavailable}`);

const backends = [
  { name: 'dynalite', start: startDynalite, available: true },
  { name: 'DynamoDB Local', start: startDynamoDbLocal, available: unavailable === undefined },
];

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
/** The counter item an event lands in (as the ledger shards a day: 16 items by id). */
const counterOf = (e: UsageEvent) =>
  `${e.tenantId}/${usageDate(e.at)}/${createHash('sha1').update(e.id).digest().readUInt16BE(0) % 16}`;

describe.each(backends)('DynamoUsageLedger on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let ledger: DynamoUsageLedger;
  let writes = 0;
  let client: DynamoDBClient;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: services.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'UpdateItemCommand') writes += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countWrites' },
    );
    ledger = new DynamoUsageLedger(DynamoDBDocumentClient.from(client), services.table);
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await services?.stop();
  });

  it.runIf(available)('counts each message id, attempt and round once, however often they are folded', async () => {
    const message = { id: 'msg_a', tenantId: 'tnt_ledger1', createdAt: T0, dueAt: T0 + 5_000 };
    const round1 = { ...message, round: 1, roundAt: T0 + 60_000 };
    const events = [
      scheduledUsage(message),
      attemptUsage(message, 1),
      outcomeUsage(message, 'failed'),
      scheduledUsage(round1),
      attemptUsage(round1, 2),
      outcomeUsage(round1, 'delivered'),
    ];
    expect(await ledger.fold(events)).toEqual({ counted: 6, duplicates: 0 });
    // The same facts emitted again (a re-sent attempt, an echo of the round) count nothing.
    expect(await ledger.fold([...events.slice(3), { ...scheduledUsage(message), echo: true }])).toEqual({
      counted: 0,
      duplicates: 4,
    });
    expect(await ledger.days('tnt_ledger1', '2026-11-23', '2026-11-23')).toEqual([
      { date: '2026-11-23', scheduled: 2, attempt: 2, delivered: 1, failed: 1 },
    ]);
  });

  it.runIf(available)('folds an echo apart: as a duplicate it costs one write at most, not its batch', async () => {
    const tenantId = 'tnt_ledger2';
    const counted = { id: 'msg_echo', tenantId, createdAt: T0 };
    expect(await ledger.fold([scheduledUsage(counted)])).toEqual({ counted: 1, duplicates: 0 });
    const fresh = Array.from({ length: 40 }, (_, i) => attemptUsage({ id: `msg_${i}`, tenantId, dueAt: T0 }, 1));
    const groups = new Set(fresh.map(counterOf)).size;
    // Another ledger (another metering process) learns it is a duplicate with one write.
    const other = new DynamoUsageLedger(DynamoDBDocumentClient.from(client), services.table);
    writes = 0;
    const result = await other.fold([...fresh, { ...scheduledUsage(counted), echo: true }]);
    expect(result).toEqual({ counted: 40, duplicates: 1 });
    expect(writes).toBe(groups + 1);
    // The ledger that counted it knows without a write.
    writes = 0;
    expect(await ledger.fold([{ ...scheduledUsage(counted), echo: true }])).toEqual({ counted: 0, duplicates: 1 });
    expect(writes).toBe(0);
    // An echo folded in the same batch as its original is that original: one write, counted once.
    const both = { id: 'msg_both', tenantId, createdAt: T0 };
    writes = 0;
    expect(await ledger.fold([{ ...scheduledUsage(both), echo: true }, scheduledUsage(both)])).toEqual({
      counted: 1,
      duplicates: 1,
    });
    expect(writes).toBe(1);
    expect(await ledger.days(tenantId, '2026-11-23', '2026-11-23')).toEqual([
      { date: '2026-11-23', scheduled: 2, attempt: 40, delivered: 0, failed: 0 },
    ]);
  });
});
