/**
 * Listing with a filter on the real store (dynalite, and DynamoDB Local where Java exists): every
 * filter kind finds exactly what the pure matcher says, pages go both ways, and a page that finds
 * little reads no more than its budget before handing back a cursor.
 */
import type { ListCursor, Message, MessageFilter, MessageStatus } from '@vigil/core';
import { matchesFilter } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends } from '../../../test-support/dynamo-backends';
import { DynamoMessageStore } from './dynamo-message-store';
import { INDEX } from './table-definition';
import { aMessage } from '../../../test-support/messages';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const MINUTE = 60_000;
const STATUSES: MessageStatus[] = ['scheduled', 'queued', 'delivered', 'failed', 'retrying', 'cancelled', 'delivering'];
const LABELS = ['billing', 'eu', 'billing:retry', 'ops/pager'];

/** The i-th message of a tenant: one a minute, statuses, labels, urls and send times in a spread. */
const messageAt = (tenantId: string, i: number): Message => {
  const createdAt = T0 + i * MINUTE;
  const labels = LABELS.filter((_, k) => (i + k) % (k + 2) === 0);
  return aMessage(
    {
      tenantId,
      status: STATUSES[i % STATUSES.length] as MessageStatus,
      url: i % 3 === 0 ? `https://billing.example.com/hooks/${i}` : `https://api.example.com/v${i % 2}/hook`,
      sendAt: T0 + ((i * 7) % 50) * MINUTE,
      dueAt: T0 + ((i * 7) % 50) * MINUTE,
      // Changed a while after creation, in another order than created: updatedSince is not a createdAt range.
      updatedAt: createdAt + ((i * 13) % 40) * MINUTE,
      ...(labels.length > 0 && { labels }),
      // Some are Vigil's event deliveries: a message's callback, a notification endpoint's alert.
      ...(i % 5 === 1 && { origin: { kind: 'callback', messageId: `msg_of_${i}`, round: 0, event: 'failed' } }),
      ...(i % 5 === 2 && { origin: { kind: 'notification', endpointId: 'nep_1', event: 'message.failed' } }),
    },
    createdAt,
  );
};

/** Every page from the first, following `next`; and every page back from the last, following `previous`. */
const walk = async (store: DynamoMessageStore, tenantId: string, filter: MessageFilter, limit: number) => {
  const pages: string[][] = [];
  let cursor: ListCursor | undefined;
  let last: { previous?: ListCursor } = {};
  for (let guard = 0; guard < 200; guard += 1) {
    const page = await store.list(tenantId, { filter, limit, ...(cursor && { cursor }) });
    pages.push(page.items.map((m) => m.id));
    last = page;
    if (!page.next) break;
    cursor = page.next;
  }
  const back: string[][] = [];
  cursor = last.previous;
  for (let guard = 0; cursor && guard < 200; guard += 1) {
    const page = await store.list(tenantId, { filter, limit, cursor });
    back.unshift(page.items.map((m) => m.id));
    cursor = page.previous;
  }
  return { pages, back };
};

const backends = dynamoBackends();
/**
 * Every tenant under its own key on each backend, and a tenant's messages and listing entries spread
 * over 8 (tenant-partitions.ts) on dynalite: the merge over keys is the store's own, the queries the same.
 */
const layouts = [
  ...backends.map((backend) => ({ ...backend, layout: 'one key a tenant', tenantShards: 1 })),
  { ...(backends[0] as (typeof backends)[number]), layout: '8 keys a tenant', tenantShards: 8 },
];

describe.each(layouts)('listing with a filter on $name, $layout', ({ start, available, tenantShards }) => {
  const tenantId = 'tnt_search';
  const messages = Array.from({ length: 90 }, (_, i) => messageAt(tenantId, i));
  let services: DynamoBackend;
  let store: DynamoMessageStore;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoMessageStore(services.db, services.table, { indexShards: 4, tenantShards }, () => T0, 40);
    for (const m of messages) await store.insert(m);
    // Some scheduled and retrying messages taken by a worker: delivering, each still listed in the
    // partition it was taken from (the ones inserted as delivering are in queued's).
    for (const [i, m] of messages.entries()) {
      if (i >= 45 || (m.status !== 'scheduled' && m.status !== 'retrying')) continue;
      const ticket = { tenantId, messageId: m.id, version: m.version, dueAt: m.dueAt };
      const taken = await store.take(ticket, m.updatedAt, m.updatedAt + 45_000);
      messages[i] = { ...m, status: 'delivering', version: taken!.version };
    }
    await store.insert(messageAt('tnt_other', 5)); // another tenant's message never shows
  }, 60_000);
  afterAll(() => services?.stop());

  const cases: Array<[string, MessageFilter]> = [
    ['no filter', {}],
    ['one status', { status: ['failed'] }],
    ['several statuses', { status: ['failed', 'retrying', 'cancelled'] }],
    // A delivering message is listed in the partition of the status it was taken from: each waiting
    // status alone, with delivering, and delivering with a status that has its partition to itself.
    ['queued alone', { status: ['queued'] }],
    ['scheduled alone', { status: ['scheduled'] }],
    ['retrying alone', { status: ['retrying'] }],
    ['delivering alone', { status: ['delivering'] }],
    ['queued and delivering', { status: ['delivering', 'queued'] }],
    ['every waiting status', { status: ['scheduled', 'queued', 'retrying', 'delivering'] }],
    ['delivering and failed', { status: ['delivering', 'failed'] }],
    ['a label', { label: 'billing' }],
    ['a label and statuses', { label: 'eu', status: ['delivered', 'queued'] }],
    ['a url prefix', { urlPrefix: 'https://billing.example.com/' }],
    ['a sendAt range', { sendAtFrom: T0 + 10 * MINUTE, sendAtTo: T0 + 20 * MINUTE }],
    ['a createdAt range', { createdAtFrom: T0 + 30 * MINUTE, createdAtTo: T0 + 61 * MINUTE }],
    ['a createdAt range and a status', { createdAtFrom: T0 + 30 * MINUTE, status: ['scheduled'] }],
    ['a status changed since an instant', { status: ['failed', 'delivered'], updatedSince: T0 + 50 * MINUTE }],
    ['id text inside the id', { idContains: (messages[42] as Message).id.slice(-8) }],
    ['an id prefix', { idContains: (messages[42] as Message).id.slice(0, 14) }],
    // Who made them, read from the table and from the status index.
    ['your own messages only', { origin: ['message'] }],
    ["Vigil's own event deliveries", { origin: ['callback', 'notification'], status: ['failed', 'queued'] }],
    [
      'everything at once',
      { status: ['queued', 'failed'], label: 'billing', urlPrefix: 'https://', createdAtFrom: T0 + 5 * MINUTE },
    ],
  ];

  it.runIf(available).each(cases)(
    'finds exactly the messages %s selects, newest first, paging forwards and back',
    async (_, filter) => {
      const expected = messages
        .filter((m) => matchesFilter(m, filter))
        .map((m) => m.id)
        .reverse();
      const { pages, back } = await walk(store, tenantId, filter, 7);
      expect(pages.flat()).toEqual(expected);
      // Paging back from the last page visits what paging forward did (a short page may end up full).
      expect(back.flat()).toEqual(expected.slice(0, back.flat().length));
      expect(new Set(back.flat().concat(pages.at(-1) ?? [])).size).toBe(expected.length);
    },
  );

  it.runIf(available)(
    'shows who made an event delivery on the listing by status too (the index holds it)',
    async () => {
      const page = await store.list(tenantId, { filter: { status: ['delivered'], origin: ['callback'] }, limit: 50 });
      expect(page.items.length).toBeGreaterThan(0);
      for (const m of page.items) expect(m.origin).toMatchObject({ kind: 'callback' });
    },
  );

  it.runIf(available)('keeps labels on the message and on the listing by status (the index holds them)', async () => {
    const labelled = messages.find((m) => m.labels && m.status === 'failed') as Message;
    expect((await store.get(tenantId, labelled.id))?.labels).toEqual(labelled.labels);
    const page = await store.list(tenantId, { filter: { status: ['failed'], idContains: labelled.id }, limit: 5 });
    expect(page.items.map((m) => [m.id, m.labels])).toEqual([[labelled.id, labelled.labels]]);
  });

  it.runIf(available)(
    'reads at most its budget when little matches, and hands back a cursor that goes on from there',
    async () => {
      const oldest = messages[0] as Message;
      const page = await store.list(tenantId, { filter: { idContains: oldest.id.slice(-10) }, limit: 5 });
      // 40 items read (the budget), none of them the oldest message: an empty page that goes on.
      expect(page.items).toEqual([]);
      expect(page.next).toBeDefined();
      const { pages } = await walk(store, tenantId, { idContains: oldest.id.slice(-10) }, 5);
      expect(pages.flat()).toEqual([oldest.id]);
      // 90 messages at 40 a page; over 8 keys a page ends where its least read key stopped, so more.
      if (tenantShards === 1) expect(pages.length).toBe(3);
      else expect(pages.length).toBeLessThanOrEqual(8);
    },
  );

  it.runIf(available)('reads nothing for a range no id can be in', async () => {
    const page = await store.list(tenantId, { filter: { createdAtFrom: T0 + 365 * 24 * 60 * MINUTE }, limit: 5 });
    expect(page).toEqual({ items: [] });
  });
});

describe('a message listed under two statuses while the index catches up (DynamoDB updates it after the table)', () => {
  const tenantId = 'tnt_lag';
  let services: DynamoBackend;
  afterAll(() => services?.stop());

  it.runIf(backends[0]?.available)('shows it once, as it is now, and pages on as if it were listed once', async () => {
    // Arrange: three delivered messages; the index still holds the middle one's entry from when it was queued.
    services = await (backends[0] as (typeof backends)[number]).start();
    const made = [0, 1, 2].map((i) => aMessage({ tenantId, status: 'delivered', version: 3 }, T0 + i * MINUTE));
    const [, lagging] = made as [Message, Message, Message];
    const stale = { ...lagging, status: 'queued', version: 1 };
    const lagged = {
      send: async (command: { input: { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> } }) => {
        const output = await services.db.send(command as never);
        const { IndexName, ExpressionAttributeValues: values = {} } = command.input;
        const range = { from: String(values[':from']), to: String(values[':to']) };
        const inRange = range.from <= `M#${lagging.id}` && `M#${lagging.id}` <= range.to;
        if (IndexName === INDEX.byStatus && values[':pk'] === `T#${tenantId}#queued` && inRange) {
          const items = [...((output as { Items?: Array<Record<string, unknown>> }).Items ?? []), stale];
          return { ...(output as object), Items: items };
        }
        return output;
      },
    };
    const store = new DynamoMessageStore(lagged as unknown as DynamoBackend['db'], services.table, 4, () => T0);
    for (const m of made) await store.insert(m);

    // Act
    const page = await store.list(tenantId, { filter: { status: ['queued', 'delivered'] }, limit: 10 });
    const { pages } = await walk(store, tenantId, { status: ['queued', 'delivered'] }, 1);

    // Assert
    expect(page.items.map((m) => [m.id, m.status])).toEqual([...made].reverse().map((m) => [m.id, 'delivered']));
    expect(pages.flat()).toEqual([...made].reverse().map((m) => m.id));
  });
});
