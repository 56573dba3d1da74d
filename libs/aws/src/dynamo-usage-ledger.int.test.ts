/**
 * The usage ledger on both DynamoDB engines: every event id counts once, however often and in
 * whatever company it is folded; an echo (a repeat expected to be a duplicate) costs a read, not a
 * write. (Bounds, races, crashes and earlier-format items: dynamo-usage-ledger-bounds.int.test.ts.)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UsageEvent } from '@vigil/core';
import { attemptUsage, outcomeUsage, scheduledUsage } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, dynamoClientFor } from '../../../test-support/dynamo-backends';
import { DynamoUsageLedger } from './dynamo-usage-ledger';
import { usageSlot } from './usage-ledger-layout';

const backends = dynamoBackends();

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
/** The id levels an event lands in: its tenant, its day and its shard. */
const shardOf = (e: UsageEvent) => {
  const slot = usageSlot(e);
  return `${slot.pk}/${slot.date}/${slot.shard}`;
};

describe.each(backends)('DynamoUsageLedger on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let ledger: DynamoUsageLedger;
  let writes = 0;
  let reads = 0;
  let client: DynamoDBClient;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    client = dynamoClientFor(services.endpoint);
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'UpdateItemCommand') writes += 1;
        if (context.commandName === 'QueryCommand') reads += 1;
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

  it.runIf(available)('looks an echo up with a read: as a duplicate it costs no write, nor its batch one', async () => {
    const tenantId = 'tnt_ledger2';
    const counted = { id: 'msg_echo', tenantId, createdAt: T0 };
    expect(await ledger.fold([scheduledUsage(counted)])).toEqual({ counted: 1, duplicates: 0 });
    const fresh = Array.from({ length: 40 }, (_, i) => attemptUsage({ id: `msg_${i}`, tenantId, dueAt: T0 }, 1));
    const shards = new Set(fresh.map(shardOf)).size;
    // Another ledger (another metering process) learns it is a duplicate by reading its shard's
    // open level: one write per shard the fresh events fall in, and one for the day total.
    const other = new DynamoUsageLedger(DynamoDBDocumentClient.from(client), services.table);
    writes = 0;
    reads = 0;
    const result = await other.fold([...fresh, { ...scheduledUsage(counted), echo: true }]);
    expect(result).toEqual({ counted: 40, duplicates: 1 });
    expect(writes).toBe(shards + 1);
    // The day (read once by a ledger) and the echo's shard.
    expect(reads).toBe(2);
    // The ledger that counted it knows without a write or a read.
    writes = 0;
    reads = 0;
    expect(await ledger.fold([{ ...scheduledUsage(counted), echo: true }])).toEqual({ counted: 0, duplicates: 1 });
    expect(writes + reads).toBe(0);
    // An echo folded in the same batch as its original is that original: counted once, with one
    // write to its level and one to the day total.
    const both = { id: 'msg_both', tenantId, createdAt: T0 };
    writes = 0;
    expect(await ledger.fold([{ ...scheduledUsage(both), echo: true }, scheduledUsage(both)])).toEqual({
      counted: 1,
      duplicates: 1,
    });
    expect(writes).toBe(2);
    expect(await ledger.days(tenantId, '2026-11-23', '2026-11-23')).toEqual([
      { date: '2026-11-23', scheduled: 2, attempt: 40, delivered: 0, failed: 0 },
    ]);
  });

  it.runIf(available)('counts two ids whose digests differ only in bytes that are not UTF-8', async () => {
    // dynalite 4.0.0 compared binary values as UTF-8 text, so every invalid byte read as U+FFFD and
    // such digests were "equal": the second id's write failed its `NOT contains` condition on every
    // try, its fold gave up (LedgerContentionError), and the local stack's journal retried that fold
    // forever, counting nothing more. patches/dynalite+4.0.0.patch compares the bytes.
    const tenantId = 'tnt_ledger3';
    const [first, second] = utf8LookalikeDigests(tenantId);
    expect(usageSlot(first).digest).not.toBe(usageSlot(second).digest);
    expect(await ledger.fold([first])).toEqual({ counted: 1, duplicates: 0 });
    expect(await ledger.fold([second])).toEqual({ counted: 1, duplicates: 0 });
    // Another ledger (knowing neither) finds each counted once.
    const other = new DynamoUsageLedger(DynamoDBDocumentClient.from(client), services.table);
    expect(await other.fold([first, second])).toEqual({ counted: 0, duplicates: 2 });
    expect(await ledger.days(tenantId, '2026-11-23', '2026-11-23')).toEqual([
      { date: '2026-11-23', scheduled: 0, attempt: 2, delivered: 0, failed: 0 },
    ]);
  });
});

/** Two attempt events of one tenant, day and shard whose digests differ but read alike as UTF-8 text. */
const utf8LookalikeDigests = (tenantId: string): [UsageEvent, UsageEvent] => {
  const byText = new Map<string, UsageEvent>();
  for (let i = 0; i < 100_000; i += 1) {
    const event = attemptUsage({ id: `msg_lookalike_${i}`, tenantId, dueAt: T0 }, 1);
    const slot = usageSlot(event);
    const text = `${slot.shard}/${Buffer.from(slot.digest, 'latin1').toString('utf8')}`;
    const seen = byText.get(text);
    if (seen && usageSlot(seen).digest !== slot.digest) return [seen, event];
    byText.set(text, event);
  }
  throw new Error('no two look-alike digests in 100,000 ids');
};
