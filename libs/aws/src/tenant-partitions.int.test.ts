/**
 * A tenant's busy items spread over keys of their own (VIGIL_TENANT_SHARDS, tenant-partitions.ts) on
 * the real store: every message, idempotency claim, listing entry and usage id level lands under its
 * shard's key and none under the tenant's own, and every read and write finds it there.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Message } from '@vigil/core';
import { attemptUsage, scheduledUsage } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { startDynalite } from '../../../test-support/dynamo-backends';
import { aMessage, MESSAGE_T0 } from '../../../test-support/messages';
import { DynamoMessageStore } from './dynamo-message-store';
import { DynamoUsageLedger } from './dynamo-usage-ledger';
import { TenantPartitions } from './tenant-partitions';

const SHARDS = 8;
const TENANT = 'tnt_sharded';

describe(`a tenant spread over ${SHARDS} keys (dynalite)`, () => {
  let services: DynamoBackend;
  let store: DynamoMessageStore;
  const partitions = new TenantPartitions(SHARDS);
  const now = MESSAGE_T0 + 60_000;
  // 48 messages, and more until every shard holds one: their ids are random, and 48 left a shard
  // empty about once in 80 runs.
  const messages: Message[] = [];
  const shardsHeld = () => new Set(messages.map((m) => partitions.messagePk(TENANT, m.id))).size;
  for (let i = 0; i < 48 || shardsHeld() < SHARDS; i++) {
    messages.push(aMessage({ tenantId: TENANT, status: i % 3 === 0 ? 'scheduled' : 'queued' }, MESSAGE_T0 + i * 10));
  }
  const items = async () =>
    (await services.db.send(new ScanCommand({ TableName: services.table }))).Items as Array<Record<string, unknown>>;

  beforeAll(async () => {
    services = await startDynalite();
    store = new DynamoMessageStore(services.db, services.table, { indexShards: 4, tenantShards: SHARDS }, () => now);
    for (const message of messages) await store.insert(message);
    await store.insert(aMessage({ tenantId: 'tnt_other' }));
  }, 30_000);
  afterAll(() => services?.stop());

  it('keeps each message and its listing entry under its shard, over every shard, none under the tenant', async () => {
    // Act
    const stored = (await items()).filter((item) => item.tenantId === TENANT);

    // Assert
    expect(stored).toHaveLength(messages.length);
    for (const item of stored) {
      const shard = String(item.pk).split('#').at(-1);
      expect(item.pk).toBe(partitions.messagePk(TENANT, String(item.id)));
      expect(item.statusPk).toBe(`T#${TENANT}#${item.status}#${shard}`);
    }
    expect(new Set(stored.map((item) => item.pk)).size).toBe(SHARDS);
    expect(stored.some((item) => item.pk === `T#${TENANT}`)).toBe(false);
  });

  it('finds each message by its id, and lists them all, by status too, newest first, page by page', async () => {
    // Act
    const got = await Promise.all(messages.map((m) => store.get(TENANT, m.id)));
    const walk = async (status?: Message['status']) => {
      const ids: string[] = [];
      let cursor: Awaited<ReturnType<DynamoMessageStore['list']>>['next'];
      do {
        const page = await store.list(TENANT, { filter: status ? { status: [status] } : {}, limit: 10, cursor });
        ids.push(...page.items.map((m) => m.id));
        cursor = page.next;
      } while (cursor);
      return ids;
    };

    // Assert
    expect(got.map((m) => m?.id)).toEqual(messages.map((m) => m.id));
    const newestFirst = messages.map((m) => m.id).reverse();
    expect(await walk()).toEqual(newestFirst);
    expect(await walk('scheduled')).toEqual(newestFirst.filter((_, i) => (messages.length - 1 - i) % 3 === 0));
  });

  it('takes, fails and lists a failed message under its shard of `failed`', async () => {
    // Arrange
    const message = messages[7] as Message;
    const ticket = { tenantId: TENANT, messageId: message.id, version: message.version, dueAt: message.dueAt };

    // Act
    const taken = await store.take(ticket, now, now);
    const failed = await store.fail(message, taken!.version, {
      reason: { code: 'poison', detail: 'taken too often' },
      now,
      expiresAt: now + 86_400_000,
    });
    const page = await store.list(TENANT, { filter: { status: ['failed'] }, limit: 5 });
    const item = (await items()).find((i) => i.id === message.id);

    // Assert
    expect(taken?.status).toBe('delivering');
    expect(failed).toBe(true);
    expect(page.items.map((m) => m.id)).toEqual([message.id]);
    expect(item?.statusPk).toBe(`${partitions.statusPk(TENANT, message.id, 'failed')}`);
    expect(item?.pk).toBe(partitions.messagePk(TENANT, message.id));
  });

  it('finds pending messages for the sweep, and removes them unchanged', async () => {
    // Arrange
    const [first, second] = messages.slice(20, 22) as [Message, Message];

    // Act
    const pending: string[] = [];
    for await (const ref of store.pendingBefore(MESSAGE_T0 + 10 * 48)) pending.push(ref.messageId);
    const kept = await store.removeUnchanged([first, second]);

    // Assert
    expect(pending).toEqual(expect.arrayContaining([first.id, second.id]));
    expect(kept).toEqual([]);
    expect(await store.get(TENANT, first.id)).toBeUndefined();
  });

  it('claims, finds, takes over and settles an idempotency key under its own shard', async () => {
    // Arrange
    const record = { messageIds: ['msg_x'], fingerprint: 'f', owner: 'a', leaseUntil: now + 5_000 };

    // Act
    const claim = await store.claimIdempotencyKey(TENANT, 'order-17', record, now, 86_400_000);
    const found = await store.findIdempotencyKey(TENANT, 'order-17', now);
    const takenOver = await store.takeOverIdempotencyKey(TENANT, 'order-17', 'a', 'b', now + 6_000, now + 20_000);
    const settled = await store.settleIdempotentResults(TENANT, 'order-17', 'b', 'kept', now + 20_000);
    const item = (await items()).find((i) => i.sk === 'I#order-17');

    // Assert
    expect(claim).toEqual({ claimed: true });
    expect(found?.messageIds).toEqual(['msg_x']);
    expect(takenOver).toBe(true);
    expect(settled).toBe('kept');
    expect(item?.pk).toBe(partitions.claimPk(TENANT, 'order-17'));
    expect(item?.pk).not.toBe(`T#${TENANT}`);
  });

  it("counts usage with each ledger shard's id levels under a key of its own, the day totals under the tenant's", async () => {
    // Arrange
    const ledger = new DynamoUsageLedger(services.db, services.table, partitions);
    const events = messages.flatMap((m) => [scheduledUsage(m), attemptUsage(m, 1)]);

    // Act
    const first = await ledger.fold(events);
    const again = await new DynamoUsageLedger(services.db, services.table, partitions).fold(events.slice(0, 10));
    const days = await ledger.days(TENANT, '2026-11-23', '2026-11-23');
    const ledgerItems = (await items()).filter((i) => String(i.sk).startsWith('U'));

    // Assert
    expect(first).toEqual({ counted: events.length, duplicates: 0 });
    expect(again).toEqual({ counted: 0, duplicates: 10 });
    expect(days).toEqual([
      expect.objectContaining({ date: '2026-11-23', scheduled: messages.length, attempt: messages.length }),
    ]);
    const levels = ledgerItems.filter((i) => String(i.sk).startsWith('UL#'));
    expect(levels.length).toBeGreaterThan(1);
    for (const level of levels) expect(level.pk).toBe(`T#${TENANT}#UL#${String(level.sk).split('#')[2]}`);
    expect(ledgerItems.filter((i) => String(i.sk).startsWith('U#')).map((i) => i.pk)).toEqual([`T#${TENANT}`]);
  });
});
