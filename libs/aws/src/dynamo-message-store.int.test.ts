import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Attempt, Message } from '@vigil/core';
import {
  appendAttempt,
  ATTEMPT_LOG_BUDGET_BYTES,
  attemptBytes,
  attemptSummary,
  DAY_MS,
  derivedMessageId,
  EARLIER_REQUESTS_BUDGET_BYTES,
  FLOW_HOLD_PER_TAKE_MS,
  headerBytes,
  LEGACY_SEND_WINDOW_MS,
  MAX_HEADER_BYTES,
  MAX_CALLBACK_REFS,
  MAX_HEADERS,
  MAX_MESSAGE_BYTES,
  MessageAlreadyExistsError,
  messageBytes,
  RESPONSE_HEADERS_MAX_BYTES,
  withEarlierRequests,
} from '@vigil/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, withLostAnswer } from '../../../test-support/dynamo-backends';
import { DYNAMO_ITEM_LIMIT_BYTES, dynamoItemBytes, ItemTooLargeError } from './dynamo-item-size';
import { DynamoMessageStore, PENDING_PAGE_SIZE } from './dynamo-message-store';
import { INDEX } from './table-definition';
import { shardOf } from './tenant-partitions';
import { aMessage, incompressibleText } from '../../../test-support/messages';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
/** The store's clock (which messages have expired): the day of T0 unless a test moves it. */
let now = T0;
let seq = 0;
const message = (over: Partial<Message> = {}): Message => {
  seq += 1;
  return aMessage({
    id: `msg_01JTEST${String(seq).padStart(19, '0')}`,
    headers: { 'x-trace': 't' },
    body: '{"a":1}',
    sendAt: T0 + 10_000,
    dueAt: T0 + 10_000,
    createdAt: T0,
    updatedAt: T0,
    ...over,
  });
};

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

/**
 * The largest message the API accepts: url + headers + metadata + body at exactly 256 KiB of UTF-8,
 * 50 headers of 16 KiB in all, ten metadata tags of multi-byte text, a 255-character idempotency key,
 * the longest callback URL and the most callback links kept.
 */
const largestMessage = (): Message => {
  const url = `https://example.com/${'p'.repeat(2048 - 20)}`;
  // 50 headers, 16 KiB of names and values in all (names of 5 bytes; the first values a byte longer).
  const valueBytes = MAX_HEADER_BYTES / MAX_HEADERS - 5;
  const headers = Object.fromEntries(
    Array.from({ length: MAX_HEADERS }, (_, i) => [
      `x-h${String(i).padStart(2, '0')}`,
      'v'.repeat(Math.floor(valueBytes) + (i < MAX_HEADER_BYTES % MAX_HEADERS ? 1 : 0)),
    ]),
  );
  const metadata = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${'k'.repeat(63)}${i}`, 'é'.repeat(256)]));
  const left = MAX_MESSAGE_BYTES - messageBytes({ url, headers, metadata, body: '' });
  // Text gzip cannot shrink by a fifth, so the item holds it whole (stored-body.ts): the largest item.
  const body = incompressibleText(left);
  const m = message({
    url,
    headers,
    metadata,
    body,
    bodyKind: 'text',
    idempotencyKey: 'i'.repeat(255),
    maxAttempts: 20,
    // The longest IANA zone name there is, and its local time.
    timezone: 'America/Argentina/ComodRivadavia',
    localSendAt: '2026-11-23T07:00:10.000-03:00',
    // The longest callback URL, and as many links to callback deliveries as a message keeps.
    callback: { url: `https://example.com/${'c'.repeat(2048 - 20)}`, on: ['delivered', 'failed'] },
    callbacks: Array.from({ length: MAX_CALLBACK_REFS }, (_, round) => ({
      id: derivedMessageId(T0, `callback:${round}`),
      round,
      event: 'failed' as const,
    })),
  });
  expect(headerBytes(m.headers)).toBe(MAX_HEADER_BYTES);
  expect(messageBytes(m)).toBe(MAX_MESSAGE_BYTES);
  return { ...m, earlierRequests: fullestEarlierRequests(m) };
};

/**
 * The most a message keeps of the requests its attempts were sent with before it was changed
 * (earlier-requests.ts): 50 attempts, each followed by a PATCH of its URL (2,048 characters of
 * three-byte UTF-8), method, headers and body: at its byte budget.
 */
const fullestEarlierRequests = (m: Message) => {
  let current: Message = { ...m, attempts: [] };
  for (let n = 1; n <= 50; n += 1) {
    const url = `https://example.com/${n}/${'€'.repeat(2048 - 24)}`;
    const sent = { ...current, attempts: [...current.attempts, { ...largestAttempt(n), round: 0 }] };
    current = withEarlierRequests(sent, {
      ...sent,
      url,
      method: n % 2 ? 'PUT' : 'POST',
      headers: { 'x-n': String(n) },
      body: String(n),
    });
  }
  const list = current.earlierRequests!;
  expect(list).toHaveLength(50);
  expect(Buffer.byteLength(JSON.stringify(list))).toBeGreaterThan(EARLIER_REQUESTS_BUDGET_BYTES - 2048);
  return list;
};

/**
 * An attempt as large as the sender and the engine let one be: the longest multi-byte snippet and
 * error, response headers at their cap (2 KiB of two-byte characters, some left out), the longest
 * error kind, a late round, and the sent facts of a request signed with two secrets.
 */
const largestAttempt = (n: number): Attempt => ({
  n,
  startedAt: new Date(T0 + n * 86_400_000).toISOString(),
  durationMs: 30_000,
  latenessMs: 123_456_789,
  latenessReason: 'flow-control',
  statusCode: 503,
  error: 'é'.repeat(300), // capped to 512 bytes by the log
  errorKind: 'connection-refused',
  responseSnippet: '\uFFFD'.repeat(1024), // 1 KiB of invalid UTF-8 as decoded: capped to 1024 bytes
  // Capped to RESPONSE_HEADERS_MAX_BYTES by the log (values as Node decodes them: latin-1, 2 bytes each in UTF-8).
  responseHeaders: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h-${i}`, 'ÿ'.repeat(40)])),
  retryAfterMs: 86_400_000,
  round: 999_999,
  sent: {
    timestamp: 1_900_000_000,
    signature: 'v1,K5oZ… v1,3Jpw…',
    userAgent: 'Vigil/0.123.456-rc.7',
    digest: '0123456789abcdef',
  },
});

const backends = dynamoBackends();

describe.each(backends)('DynamoMessageStore on $name', ({ name, start, available }) => {
  let services: DynamoBackend;
  let store: DynamoMessageStore;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoMessageStore(services.db, services.table, 4, () => now);
  }, 60_000);
  afterAll(() => services?.stop());
  afterEach(() => {
    now = T0;
  });

  it.runIf(available)(
    'stores and reads back a message exactly, and refuses a second insert of the same id',
    async () => {
      const m = message({ metadata: { order: '42' } });
      await store.insert(m);
      expect(await store.get('tnt_a', m.id)).toEqual(m);
      await expect(store.insert(m)).rejects.toThrow(MessageAlreadyExistsError);
    },
  );

  it.runIf(available)(
    'keeps header and metadata names that mean something to JavaScript objects (constructor, toString), through insert and save',
    async () => {
      const named = { constructor: 'c', toString: 't', valueOf: 'v', hasOwnProperty: 'h' };
      const m = message({ headers: named, metadata: named });
      await store.insert(m);
      expect(await store.get('tnt_a', m.id)).toEqual(m);
      const changed: Message = { ...m, headers: { ...named, constructor: 'c2' }, version: 1 };
      expect(await store.save(changed, 0)).toBe(true);
      expect(await store.get('tnt_a', m.id)).toEqual(changed);
    },
  );

  it.runIf(available)(
    "keeps a message's time zone and local send time through insert, save, get and list",
    async () => {
      const tenantId = `tnt_tz_${name.replace(/\W/g, '')}`;
      const zoned = message({
        tenantId,
        timezone: 'Europe/Berlin',
        localSendAt: '2026-11-23T11:00:10.000+01:00',
      });
      await store.insert(zoned);
      expect(await store.get(tenantId, zoned.id)).toEqual(zoned);
      const moved: Message = {
        ...zoned,
        sendAt: Date.parse('2027-03-28T01:30:00Z'),
        dueAt: Date.parse('2027-03-28T01:30:00Z'),
        timezone: 'America/New_York',
        localSendAt: '2027-03-27T21:30:00.000-04:00',
        version: 1,
      };
      expect(await store.save(moved, 0)).toBe(true);
      expect(await store.get(tenantId, zoned.id)).toEqual(moved);
      const [listed] = (await store.list(tenantId, { limit: 10 })).items;
      expect(listed).toMatchObject({ timezone: 'America/New_York', localSendAt: '2027-03-27T21:30:00.000-04:00' });
    },
  );

  it.runIf(available)("never shows one tenant another tenant's message", async () => {
    const m = message({ tenantId: 'tnt_b' });
    await store.insert(m);
    expect(await store.get('tnt_a', m.id)).toBeUndefined();
    const page = await store.list('tnt_a', { limit: 100 });
    expect(page.items.map((x) => x.id)).not.toContain(m.id);
  });

  it.runIf(available)('takes a message once: a duplicate ticket, a stale version or a cancel loses', async () => {
    const m = message();
    await store.insert(m);
    const ticket = { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt };
    const taken = await store.take(ticket, T0 + 9_000, T0 + 50_000);
    expect(taken).toMatchObject({
      status: 'delivering',
      version: 1,
      leaseUntil: T0 + 50_000 + m.timeoutMs,
      body: '{"a":1}',
    });
    expect(await store.take(ticket, T0 + 9_000, T0 + 50_000)).toBeUndefined();
    expect(await store.take({ ...ticket, version: 1 }, T0 + 9_000, T0 + 50_000)).toBeUndefined(); // leased

    const c = message();
    await store.insert(c);
    expect(await store.save({ ...c, status: 'cancelled', version: 1 }, 0)).toBe(true);
    expect(
      await store.take({ tenantId: c.tenantId, messageId: c.id, version: 1, dueAt: c.dueAt }, T0, T0 + 1),
    ).toBeUndefined();
  });

  it.runIf(available)('lets a message whose lease ran out be taken again', async () => {
    const m = message();
    await store.insert(m);
    const taken = await store.take({ tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0);
    expect(
      await store.take({ tenantId: m.tenantId, messageId: m.id, version: 1, dueAt: m.dueAt }, taken!.leaseUntil!, T0),
    ).toBeUndefined();
    const again = await store.take(
      { tenantId: m.tenantId, messageId: m.id, version: 1, dueAt: m.dueAt },
      taken!.leaseUntil! + 1,
      T0 + 40_000,
    );
    expect(again?.version).toBe(2);
  });

  it.runIf(available)(
    "leases a taken message for its own send window: its timeout, and flow control's hold when it has a flow key",
    async () => {
      const quick = message({ timeoutMs: 2_000 });
      const flowing = message({ flowControl: { key: 'k', parallelism: 1 } });
      // Stored before the window was kept beside the message: the longest timeout, as every lease was then.
      const legacy = message({ timeoutMs: 2_000 });
      for (const m of [quick, flowing, legacy]) await store.insert(m);
      await services.db.send(
        new UpdateCommand({
          TableName: services.table,
          Key: { pk: `T#${legacy.tenantId}`, sk: `M#${legacy.id}` },
          UpdateExpression: 'REMOVE sendWindowMs',
        }),
      );
      const leaseOf = async (m: Message) =>
        (await store.take({ tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 15_000))
          ?.leaseUntil;

      expect(await leaseOf(quick)).toBe(T0 + 15_000 + 2_000);
      expect(await leaseOf(flowing)).toBe(T0 + 15_000 + flowing.timeoutMs + FLOW_HOLD_PER_TAKE_MS);
      expect(await leaseOf(legacy)).toBe(T0 + 15_000 + LEGACY_SEND_WINDOW_MS);
      expect(await store.get(quick.tenantId, quick.id)).not.toHaveProperty('sendWindowMs');
    },
  );

  it.runIf(available)(
    "extends a take's lease while it is still that take's, changing nothing else, and not after another take",
    async () => {
      const m = message();
      await store.insert(m);
      const ticket = { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt };
      const taken = (await store.take(ticket, T0, T0 + 15_000))!;
      const { result, sends } = await withLostAnswer(services.db, 'UpdateItemCommand', () =>
        store.extendLease(taken, T0 + 60_000),
      );
      expect({ result, sends }).toEqual({ result: true, sends: 2 }); // applied twice, the same write
      expect(await store.get(m.tenantId, m.id)).toEqual({ ...taken, leaseUntil: T0 + 60_000 });
      // Its lease over, another worker takes it: the first can no longer extend it.
      const again = await store.take({ ...ticket, version: 1 }, T0 + 60_001, T0 + 70_000);
      expect(again?.version).toBe(2);
      expect(await store.extendLease(taken, T0 + 90_000)).toBe(false);
      expect((await store.get(m.tenantId, m.id))?.leaseUntil).toBe(again!.leaseUntil);
    },
  );

  it.runIf(available)(
    'marks a wait for a flow key turn on a take, ends it once (its lost answer its own), and a take clears a mark left behind',
    async () => {
      const m = message();
      await store.insert(m);
      const ticket = { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt };
      const taken = (await store.take(ticket, T0, T0 + 15_000))!;
      expect(await store.markWaitingForTurn({ ...taken, version: 0 }, T0 + 1)).toBe(false); // not this take
      expect(await store.markWaitingForTurn(taken, T0 + 1)).toBe(true);
      expect(await store.get(m.tenantId, m.id)).toEqual({ ...taken, flowWaitingSince: T0 + 1 });

      const { result, sends } = await withLostAnswer(services.db, 'UpdateItemCommand', () =>
        store.endWaitForTurn(taken),
      );
      expect({ result, sends }).toEqual({ result: true, sends: 2 });
      const ended = await store.get(m.tenantId, m.id);
      expect(ended).toEqual({ ...taken, version: taken.version + 1 });
      // A cancel that read it marked writes over the take's version: it loses now.
      expect(await store.save({ ...taken, status: 'cancelled', version: taken.version + 1 }, taken.version)).toBe(
        false,
      );
      expect(await store.endWaitForTurn(taken)).toBe(false);

      // A worker that died while marked: the next take, after its lease, clears the mark.
      expect(await store.markWaitingForTurn(ended!, T0 + 2)).toBe(true);
      const again = await store.take({ ...ticket, version: ended!.version }, T0 + 60_000, T0 + 70_000);
      expect(again).toBeDefined();
      expect(again).not.toHaveProperty('flowWaitingSince');
    },
  );

  describe('a write applied whose answer was lost is its own, though its retry fails the condition', () => {
    it.runIf(available)('insert: stored, not "already exists"', async () => {
      const m = message();
      const { sends } = await withLostAnswer(services.db, 'PutItemCommand', () => store.insert(m));
      expect(sends).toBe(2); // the SDK sent it again
      expect(await store.get(m.tenantId, m.id)).toEqual(m);
      await expect(store.insert(m)).rejects.toThrow(MessageAlreadyExistsError);
    });

    it.runIf(available)('take: the message, taken once, not "taken by someone else"', async () => {
      const m = message();
      await store.insert(m);
      const ticket = { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt };
      const { result: taken, sends } = await withLostAnswer(services.db, 'UpdateItemCommand', () =>
        store.take(ticket, T0, T0 + 45_000),
      );
      expect(sends).toBe(2);
      expect(taken).toMatchObject({
        id: m.id,
        status: 'delivering',
        version: 1,
        takes: 1,
        leaseUntil: T0 + 45_000 + m.timeoutMs,
      });
      expect(taken).not.toHaveProperty('writeId');
      // Another ticket of the same version is refused as before.
      expect(await store.take(ticket, T0 + 1, T0 + 45_001)).toBeUndefined();
    });

    it.runIf(available)('save and fail: true, and a genuine conflict is still false', async () => {
      const m = message();
      await store.insert(m);
      const saved = await withLostAnswer(services.db, 'PutItemCommand', () =>
        store.save({ ...m, url: 'https://e.com/2', status: 'delivering', version: 1 }, 0),
      );
      expect(saved).toEqual({ result: true, sends: 2 });
      expect(await store.save({ ...m, url: 'https://e.com/3', version: 1 }, 0)).toBe(false);
      const failure = { reason: { code: 'poison' as const, detail: 'x' }, now: T0, expiresAt: T0 + DAY_MS };
      const failed = await withLostAnswer(services.db, 'UpdateItemCommand', () => store.fail(m, 1, failure));
      expect(failed).toEqual({ result: true, sends: 2 });
      expect(await store.fail(m, 1, failure)).toBe(false);
      expect(await store.get(m.tenantId, m.id)).toMatchObject({ status: 'failed', url: 'https://e.com/2', version: 2 });
    });
  });

  it.runIf(available)('saves only over the expected version', async () => {
    const m = message();
    await store.insert(m);
    expect(await store.save({ ...m, url: 'https://e.com/2' }, 5)).toBe(false);
    expect(await store.save({ ...m, url: 'https://e.com/2' }, 0)).toBe(true);
    expect((await store.get(m.tenantId, m.id))?.url).toBe('https://e.com/2');
  });

  it.runIf(available)('lists newest first, pages with a cursor both ways, and filters by status', async () => {
    const tenantId = 'tnt_list';
    const made = [message({ tenantId }), message({ tenantId }), message({ tenantId, status: 'delivered' })];
    for (const m of made) await store.insert(m);
    const first = await store.list(tenantId, { limit: 2 });
    expect(first.items.map((m) => m.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(first.items[0]!.body).toBe('');
    expect(first.previous).toBeUndefined();
    const second = await store.list(tenantId, { limit: 2, cursor: first.next });
    expect(second.items.map((m) => m.id)).toEqual([made[0]!.id]);
    const back = await store.list(tenantId, { limit: 2, cursor: second.previous });
    expect(back.items.map((m) => m.id)).toEqual([made[2]!.id, made[1]!.id]);
    const delivered = await store.list(tenantId, { limit: 10, filter: { status: ['delivered'] } });
    expect(delivered.items.map((m) => m.id)).toEqual([made[2]!.id]);
  });

  it.runIf(available)('finds far-path bucket members across shards and pending messages by due time', async () => {
    const bucketAt = T0 + 3_600_000;
    const members = Array.from({ length: 12 }, () =>
      message({ tenantId: 'tnt_far', status: 'scheduled', bucketAt, dueAt: bucketAt + 130_000 }),
    );
    for (const m of members) await store.insert(m);
    const found = await collect(store.bucketMembers(bucketAt));
    expect(found.map((r) => r.messageId).sort()).toEqual(members.map((m) => m.id).sort());

    const overdue = message({ tenantId: 'tnt_pending', dueAt: T0 - 120_000 });
    const done = message({ tenantId: 'tnt_pending', dueAt: T0 - 120_000, status: 'delivered' });
    await store.insert(overdue);
    await store.insert(done);
    const pending = await collect(store.pendingBefore(T0 - 60_000));
    const ids = pending.map((r) => r.messageId);
    expect(ids).toContain(overdue.id);
    expect(ids).not.toContain(done.id);
    expect(pending.find((r) => r.messageId === overdue.id)?.origin).toBeUndefined();
  });

  it.runIf(available)('notes a bucket promoted to its end, for a day (TTL), and knows no other', async () => {
    const bucketAt = T0 + 9 * 3_600_000;
    expect(await store.bucketPromoted(bucketAt)).toBe(false);
    await store.markBucketPromoted(bucketAt);
    await store.markBucketPromoted(bucketAt); // promoted again (Scheduler fired twice): the same note
    expect(await store.bucketPromoted(bucketAt)).toBe(true);
    expect(await store.bucketPromoted(bucketAt + 60_000)).toBe(false);
    const { Item } = await services.db.send(
      new GetCommand({ TableName: services.table, Key: { pk: 'BUCKETS', sk: `B#${bucketAt}` } }),
    );
    expect(Item).toEqual({
      pk: 'BUCKETS',
      sk: `B#${bucketAt}`,
      expiresAt: (bucketAt + DAY_MS) / 1000,
      expiresAtMs: bucketAt + DAY_MS,
    });
  });

  it.runIf(available)(
    "reads every other shard's messages when one shard's reads fail (a throttled partition), then says so",
    async () => {
      const pkOf = (command: unknown) =>
        command instanceof QueryCommand ? command.input.ExpressionAttributeValues?.[':pk'] : undefined;
      const throttledClient: typeof services.db = Object.create(services.db, {
        send: {
          value: (command: Parameters<typeof services.db.send>[0]) => {
            const pk = pkOf(command);
            if (typeof pk === 'string' && (pk === 'P#0' || (pk.startsWith('B#') && pk.endsWith('#0')))) {
              return Promise.reject(new Error('ProvisionedThroughputExceededException (injected)'));
            }
            return services.db.send(command);
          },
        },
      });
      const throttled = new DynamoMessageStore(throttledClient, services.table, 4, () => now);
      const bucketAt = T0 + 7_200_000;
      const members = Array.from({ length: 16 }, () =>
        message({ tenantId: 'tnt_throttled', status: 'scheduled', bucketAt, dueAt: T0 - 3 * DAY_MS }),
      );
      for (const m of members) await store.insert(m);
      const readable = members.filter((m) => shardOf(m.id, 4) !== 0).map((m) => m.id);
      expect(readable.length).toBeGreaterThan(0);
      expect(readable.length).toBeLessThan(members.length);
      const readAll = async (refs: AsyncIterable<{ tenantId: string; messageId: string }>) => {
        const read: string[] = [];
        try {
          for await (const ref of refs) if (ref.tenantId === 'tnt_throttled') read.push(ref.messageId);
        } catch (error) {
          return { read: read.sort(), error: String(error) };
        }
        return { read: read.sort(), error: undefined };
      };

      for (const refs of [throttled.pendingBefore(T0 - 2 * DAY_MS), throttled.bucketMembers(bucketAt)]) {
        expect(await readAll(refs)).toEqual({ read: [...readable].sort(), error: expect.stringMatching(/injected/) });
      }
      // A reader that stops before the end (a sweep run at its budget) is told as it lets go of the stream.
      for (const refs of [throttled.pendingBefore(T0 - 2 * DAY_MS), throttled.bucketMembers(bucketAt)]) {
        const reading = refs[Symbol.asyncIterator]();
        expect((await reading.next()).done).toBe(false);
        await expect(reading.return?.()).rejects.toThrow(/injected/);
      }
    },
  );

  it.runIf(available)('gives the sweep an overdue event delivery’s origin, to check the end it tells of', async () => {
    const origin = {
      kind: 'callback',
      messageId: 'msg_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T',
      round: 2,
      event: 'failed',
    } as const;
    const delivery = message({ tenantId: 'tnt_events', dueAt: T0 - 120_000, origin });
    await store.insert(delivery);

    const [ref] = (await collect(store.pendingBefore(T0 - 60_000))).filter((r) => r.tenantId === 'tnt_events');

    expect(ref).toMatchObject({ messageId: delivery.id, status: delivery.status, origin });
  });

  it.runIf(available)(
    'keeps the largest message with the longest attempt history and the most kept of earlier requests under 400 KB: records and the failure write fit',
    async () => {
      const m = largestMessage();
      await store.insert(m);
      // Ten rounds (a first one and nine redelivers) of twenty attempts, each with the largest snippet.
      // The log is computed for all 200; the store writes the first records and the last ones in full
      // (from the 50th on the log is at its bound, so every later record is the same size).
      let current = m;
      let log: Attempt[] = [];
      for (let n = 1; n <= 200; n += 1) {
        log = appendAttempt({ attempts: log }, largestAttempt(n));
        if (n > 3 && n < 198) continue;
        const ticket = { tenantId: m.tenantId, messageId: m.id, version: current.version, dueAt: current.dueAt };
        const taken = await store.take(ticket, T0 + n * 1_000, T0 + n * 1_000 + 45_000);
        expect(taken?.takes).toBe(1);
        const { leaseUntil: _l, takes: _t, ...held } = taken!;
        const next: Message = {
          ...held,
          status: 'retrying',
          attempts: log,
          roundStart: Math.floor((n - 1) / 20) * 20,
          version: taken!.version + 1,
        };
        expect(await store.save(next, taken!.version)).toBe(true);
        current = next;
      }
      const { Item: raw } = await services.db.send(
        new GetCommand({ TableName: services.table, Key: { pk: `T#${m.tenantId}`, sk: `M#${m.id}` } }),
      );
      const recorded = dynamoItemBytes(raw!);
      console.info(`largest message, longest history on ${name}: ${recorded} B (README: Attempt history)`);
      expect(recorded).toBeLessThan(DYNAMO_ITEM_LIMIT_BYTES - 16 * 1024); // with room to spare
      // Attempts this large meet the log's byte budget before its count: the latest that fit are kept.
      const kept = raw!.attempts as Attempt[];
      expect(kept.length).toBeGreaterThan(20);
      expect(kept.length).toBeLessThan(50);
      expect(kept.at(-1)!.n).toBe(200);
      expect(kept.reduce((sum, a) => sum + attemptBytes(a), 0)).toBeLessThanOrEqual(ATTEMPT_LOG_BUDGET_BYTES);
      // The snippet and the response headers are stored once, not again in the listing's summary.
      expect(raw!.lastAttempt).not.toHaveProperty('responseSnippet');
      expect(raw!.lastAttempt).not.toHaveProperty('responseHeaders');
      expect(raw!.lastAttempt).toMatchObject({ errorKind: 'connection-refused' });
      // An attempt a record writes went as the message is: nothing more is kept for the listing.
      expect(raw!.lastAttempt).not.toHaveProperty('sentAs');
      for (const a of kept) {
        expect(Buffer.byteLength(a.responseSnippet!)).toBeLessThanOrEqual(1024);
        expect(Buffer.byteLength(JSON.stringify(a.responseHeaders))).toBeLessThanOrEqual(RESPONSE_HEADERS_MAX_BYTES);
        expect(a.responseHeadersOmitted).toBeGreaterThan(0);
      }

      // A PATCH of its URL then: the listing's summary of the last attempt keeps where it went (its
      // 2,048-character URL), and the item still fits with room to spare.
      const patched = withEarlierRequests(current, {
        ...current,
        url: `https://example.com/${'q'.repeat(2048 - 20)}`,
        version: current.version + 1,
      });
      expect(await store.save(patched, current.version)).toBe(true);
      current = patched;
      const { Item: afterPatch } = await services.db.send(
        new GetCommand({ TableName: services.table, Key: { pk: `T#${m.tenantId}`, sk: `M#${m.id}` } }),
      );
      expect(afterPatch!.lastAttempt).toMatchObject({
        n: 200,
        sentAs: { url: m.url, method: m.method, differs: ['url'] },
      });
      const withSentAs = dynamoItemBytes(afterPatch!);
      console.info(`largest message, longest history, PATCHed on ${name}: ${withSentAs} B`);
      expect(withSentAs).toBeLessThan(DYNAMO_ITEM_LIMIT_BYTES - 16 * 1024);

      // Then a record that cannot be written: the failure write with the attempt and the longest reason fits too.
      const ticket = { tenantId: m.tenantId, messageId: m.id, version: current.version, dueAt: current.dueAt };
      const taken = await store.take(ticket, T0 + 300_000, T0 + 345_000);
      const sent = attemptSummary(largestAttempt(201)); // as the engine's failure write carries it
      expect(
        await store.fail(taken!, taken!.version, {
          reason: { code: 'record-failed', detail: 'é'.repeat(256) },
          now: T0 + 301_000,
          expiresAt: T0 + 301_000 + 30 * DAY_MS,
          attempts: appendAttempt(taken!, sent),
        }),
      ).toBe(true);
      const failed = await store.get(m.tenantId, m.id);
      expect(failed).toMatchObject({ status: 'failed', failureReason: { code: 'record-failed' }, body: m.body });
      expect(failed!.attempts.at(-1)!.n).toBe(201);
      expect(failed).not.toHaveProperty('takes');
      expect(failed).not.toHaveProperty('leaseUntil');
      const { Item: finished } = await services.db.send(
        new GetCommand({ TableName: services.table, Key: { pk: `T#${m.tenantId}`, sk: `M#${m.id}` } }),
      );
      expect(dynamoItemBytes(finished!)).toBeLessThan(DYNAMO_ITEM_LIMIT_BYTES);
      expect(finished).not.toHaveProperty('pendPk'); // out of the pending index: the sweep never finds it
    },
    120_000,
  );

  it.runIf(available)(
    'measures item size as DynamoDB does: accepted at the estimate of 400 KB, refused just over (on DynamoDB Local)',
    async () => {
      const key = { pk: 'T#tnt_size', sk: 'M#size' };
      /** An item whose estimated size is `target` bytes, mostly three-byte characters. */
      const itemOf = (target: number) => {
        const fixed = dynamoItemBytes({ ...key, n: 1_234_567, body: '' });
        const left = target - fixed;
        return { ...key, n: 1_234_567, body: '€'.repeat(Math.floor(left / 3)) + 'x'.repeat(left % 3) };
      };
      const fits = itemOf(DYNAMO_ITEM_LIMIT_BYTES);
      expect(dynamoItemBytes(fits)).toBe(DYNAMO_ITEM_LIMIT_BYTES);
      await services.db.send(new PutCommand({ TableName: services.table, Item: fits }));
      const over = itemOf(DYNAMO_ITEM_LIMIT_BYTES + 64);
      const put = services.db.send(new PutCommand({ TableName: services.table, Item: over }));
      if (name === 'DynamoDB Local') await expect(put).rejects.toThrow(/size has exceeded/i);
      else await put; // dynalite counts characters, not bytes: why the store measures items itself
    },
  );

  it.runIf(available)(
    'keeps a large JSON body gzip-compressed and gives it back exact; a small, random or ill-formed one as text',
    async () => {
      const raw = async (m: Message) =>
        (
          await services.db.send(
            new GetCommand({ TableName: services.table, Key: { pk: `T#${m.tenantId}`, sk: `M#${m.id}` } }),
          )
        ).Item!;
      // 16 KB of the JSON a webhook carries (ids, amounts, names, multi-byte text): gzip keeps a fraction.
      const lines = Array.from({ length: 60 }, (_, i) => ({
        id: `il_${createHash('sha1').update(String(i)).digest('hex').slice(0, 24)}`,
        description: `Pro plan seat ${i} — Zürich office`,
        amount: 4_900 + i,
        currency: 'eur',
      }));
      const json = message({ body: JSON.stringify({ type: 'invoice.paid', data: { lines } }) });
      expect(Buffer.byteLength(json.body)).toBeGreaterThan(7_000);
      await store.insert(json);
      const stored = await raw(json);
      expect(stored.body).toBeUndefined();
      expect(stored.bodyGz).toBeInstanceOf(Uint8Array);
      expect((stored.bodyGz as Uint8Array).byteLength).toBeLessThan(Buffer.byteLength(json.body) / 3);
      expect(await store.get(json.tenantId, json.id)).toEqual(json);
      // The take hands the worker the body as it was sent; a save (a change) keeps it compressed.
      const taken = await store.take(
        { tenantId: json.tenantId, messageId: json.id, version: 0, dueAt: json.dueAt },
        T0,
        T0,
      );
      expect(taken!.body).toBe(json.body);
      expect(await store.save({ ...taken!, status: 'queued', version: 2 }, 1)).toBe(true);
      expect((await raw(json)).bodyGz).toBeInstanceOf(Uint8Array);
      expect((await store.get(json.tenantId, json.id))!.body).toBe(json.body);

      for (const body of ['{"a":1}', incompressibleText(4_000), `{"s":"${'\uD800'}${'x'.repeat(1_000)}"}`]) {
        const m = message({ body });
        await store.insert(m);
        expect(typeof (await raw(m)).body).toBe('string');
        expect((await store.get(m.tenantId, m.id))!.body).toBe(body);
      }
      // An item written before bodies were compressed reads back as it was.
      const before = message({ body: JSON.stringify({ lines }) });
      await services.db.send(
        new PutCommand({
          TableName: services.table,
          Item: {
            ...before,
            pk: `T#${before.tenantId}`,
            sk: `M#${before.id}`,
            statusPk: `T#${before.tenantId}#queued`,
          },
        }),
      );
      expect(await store.get(before.tenantId, before.id)).toEqual(before);
    },
  );

  it.runIf(available)('refuses to save an item over 400 KB before sending it (dynalite would accept it)', async () => {
    const m = largestMessage();
    await store.insert(m);
    // The history as it used to be stored: 1 KiB of invalid UTF-8 kept as 3 KiB of U+FFFD, 50 times.
    const unbounded = Array.from({ length: 50 }, (_, i) => ({
      ...largestAttempt(i + 1),
      responseSnippet: '\uFFFD'.repeat(1024),
    }));
    await expect(store.save({ ...m, attempts: unbounded }, 0)).rejects.toThrow(ItemTooLargeError);
    expect((await store.get(m.tenantId, m.id))?.attempts).toEqual([]);
  });

  it.runIf(available)('fails a taken message in one small write, and only at the version it was taken at', async () => {
    const m = message();
    await store.insert(m);
    const ticket = { tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt };
    const taken = await store.take(ticket, T0, T0 + 45_000);
    const reason = { code: 'poison' as const, detail: 'Taken for delivery 5 times without an attempt being recorded.' };
    const expiresAt = T0 + 1 + 7 * DAY_MS;
    expect(await store.fail(taken!, 0, { reason, now: T0 + 1, expiresAt })).toBe(false); // stale version
    // A record that ended the round keeps the take's version: the failure write never lands over it.
    const delivered = { ...taken!, status: 'delivered' as const, deliveredAt: T0 + 1 };
    expect(await store.save(delivered, 1)).toBe(true);
    expect(await store.fail(taken!, 1, { reason, now: T0 + 1, expiresAt })).toBe(false);
    expect(await store.get(m.tenantId, m.id)).toMatchObject({ status: 'delivered', version: 1 });
    expect(await store.save(taken!, 1)).toBe(true); // as taken again
    expect(await store.fail(taken!, 1, { reason, now: T0 + 1, expiresAt })).toBe(true);
    const failed = await store.get(m.tenantId, m.id);
    expect(failed).toMatchObject({
      status: 'failed',
      version: 2,
      failureReason: reason,
      attempts: [],
      body: m.body,
      expiresAt,
    });
    const page = await store.list(m.tenantId, { limit: 100, filter: { status: ['failed'] } });
    expect(page.items.find((x) => x.id === m.id)?.failureReason).toEqual(reason);
    expect((await collect(store.pendingBefore(T0 + 10_000_000))).map((r) => r.messageId)).not.toContain(m.id);
  });

  it.runIf(available)('lists the latest attempt without its snippet, and the message keeps it once', async () => {
    const tenantId = 'tnt_snippet';
    const m = message({ tenantId });
    await store.insert(m);
    const attempts = [
      {
        n: 1,
        startedAt: new Date(T0).toISOString(),
        durationMs: 5,
        latenessMs: 0,
        statusCode: 200,
        responseSnippet: 'ok',
      },
    ];
    await store.save({ ...m, status: 'delivered', attempts }, 0);
    const [listed] = (await store.list(tenantId, { limit: 1 })).items;
    expect(listed!.attempts).toEqual([
      { n: 1, startedAt: attempts[0]!.startedAt, durationMs: 5, latenessMs: 0, statusCode: 200 },
    ]);
    expect((await store.get(tenantId, m.id))!.attempts).toEqual(attempts);
  });

  it.runIf(available)('counts takes, and a save that records an attempt resets the count', async () => {
    const m = message();
    await store.insert(m);
    let version = 0;
    for (let take = 1; take <= 3; take += 1) {
      const taken = await store.take(
        { tenantId: m.tenantId, messageId: m.id, version, dueAt: m.dueAt },
        T0 + take * 100_000,
        T0 + take * 100_000 + 1,
      );
      expect(taken?.takes).toBe(take);
      version = taken!.version;
    }
    const { takes: _t, leaseUntil: _l, ...recorded } = (await store.get(m.tenantId, m.id))!;
    expect(await store.save({ ...recorded, status: 'retrying', version: version + 1 }, version)).toBe(true);
    const again = await store.take(
      { tenantId: m.tenantId, messageId: m.id, version: version + 1, dueAt: m.dueAt },
      T0 + 900_000,
      T0 + 900_001,
    );
    expect(again?.takes).toBe(1);
  });

  it.runIf(available)('moves a pending message past its flight allowance only while it is unchanged', async () => {
    const tenantId = 'tnt_flight';
    const m = message({ tenantId, dueAt: T0 - 120_000 });
    await store.insert(m);
    const overdue = async () => (await collect(store.pendingBefore(T0))).filter((r) => r.tenantId === tenantId);
    const [ref] = await overdue();
    expect(ref).toMatchObject({ messageId: m.id, version: 0, pendingAt: m.dueAt });
    expect(await store.deferPending(ref!, T0 + 300_000)).toBe(true);
    expect(await overdue()).toEqual([]);
    // Found again past the allowance, its place says a sweep deferred it (its ticket lost, if it is still there).
    const later = (await collect(store.pendingBefore(T0 + 300_001))).find((r) => r.messageId === m.id);
    expect(later).toMatchObject({ version: 0, dueAt: m.dueAt, pendingAt: T0 + 300_000 });
    // Once it moved on (taken here), a stale reference changes nothing.
    await store.take({ tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 45_000);
    expect(await store.deferPending(ref!, T0 + 600_000)).toBe(false);
    // A finished message never comes back into the pending index.
    const done = message({ tenantId, status: 'delivered' });
    await store.insert(done);
    expect(await store.deferPending({ ...ref!, messageId: done.id, status: 'delivered' }, T0)).toBe(false);
  });

  it.runIf(available)('moves a pending message once when two sweeps read it at the same place', async () => {
    const tenantId = 'tnt_two_sweeps';
    const m = message({ tenantId, dueAt: T0 - 120_000 });
    await store.insert(m);
    const overdue = async () => (await collect(store.pendingBefore(T0))).filter((r) => r.tenantId === tenantId);
    // Two sweeps at once (a run longer than its minute) read it before either moved it.
    const [first] = await overdue();
    const [second] = await overdue();
    expect(await store.deferPending(first!, T0 + 300_000)).toBe(true);
    expect(await store.deferPending(second!, T0 + 300_007)).toBe(false);
    // The first's own write, its answer lost and retried by the SDK, still passes.
    expect(await store.deferPending(first!, T0 + 300_000)).toBe(true);
    // Put back from where it was moved to (its re-enqueue failed): the next sweep finds it again.
    expect(await store.deferPending({ ...first!, pendingAt: T0 + 300_000 }, m.dueAt)).toBe(true);
    expect(await overdue()).toMatchObject([{ messageId: m.id, pendingAt: m.dueAt }]);
  });

  it.runIf(available)(
    'reads one index page of messages a shard before the sweep sees the first, however many are overdue',
    async () => {
      // One shard holding 300 overdue entries, the oldest of the table (a day's backlog).
      let gets = 0;
      const counting: typeof services.db = Object.create(services.db, {
        send: {
          value: (command: Parameters<typeof services.db.send>[0]) => {
            if (command instanceof GetCommand) gets += 1;
            return services.db.send(command);
          },
        },
      });
      const oneShard = new DynamoMessageStore(counting, services.table, 1, () => now);
      const backlog = Array.from({ length: 300 }, () => message({ tenantId: 'tnt_backlog', dueAt: T0 - 30 * DAY_MS }));
      for (let i = 0; i < backlog.length; i += 25)
        await Promise.all(backlog.slice(i, i + 25).map((m) => oneShard.insert(m)));
      gets = 0;

      const refs = oneShard.pendingBefore(T0)[Symbol.asyncIterator]();
      const first = await refs.next();
      await refs.return?.();

      expect(first.value).toMatchObject({ tenantId: 'tnt_backlog', dueAt: T0 - 30 * DAY_MS });
      expect(gets).toBeGreaterThan(0);
      expect(gets).toBeLessThanOrEqual(PENDING_PAGE_SIZE);
    },
  );

  it.runIf(available)(
    'leaves a taken message at its due time in the pending index, which says which message; the sweep reads its lease from the table',
    async () => {
      const tenantId = 'tnt_held';
      const m = message({ tenantId, dueAt: T0 - 120_000 });
      await store.insert(m);
      await store.take({ tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 45_000);
      const shards = await Promise.all(
        [0, 1, 2, 3].map((shard) =>
          services.db.send(
            new QueryCommand({
              TableName: services.table,
              IndexName: INDEX.pending,
              KeyConditionExpression: 'pendPk = :pk AND pendingAt < :before',
              ExpressionAttributeValues: { ':pk': `P#${shard}`, ':before': T0 },
            }),
          ),
        ),
      );
      const entry = shards.flatMap((page) => page.Items ?? []).find((e) => e.id === m.id);
      expect(entry && Object.keys(entry).sort()).toEqual(['id', 'pendPk', 'pendingAt', 'pk', 'sk', 'tenantId']);
      expect(entry?.pendingAt).toBe(m.dueAt); // not moved to the lease's end by the take
      const [ref] = (await collect(store.pendingBefore(T0))).filter((r) => r.tenantId === tenantId);
      expect(ref).toEqual({
        tenantId,
        messageId: m.id,
        version: 1,
        status: 'delivering',
        dueAt: m.dueAt,
        leaseUntil: T0 + 45_000 + m.timeoutMs,
        pendingAt: m.dueAt,
      });
      // Finished: out of it.
      const held = (await store.get(tenantId, m.id))!;
      await store.fail(m, held.version, { reason: { code: 'poison', detail: 'x' }, now: T0, expiresAt: T0 + DAY_MS });
      expect((await collect(store.pendingBefore(T0))).filter((r) => r.tenantId === tenantId)).toEqual([]);
    },
  );

  it.runIf(available)(
    "keeps a taken message's listing entry in its queued partition (rewritten, not moved), and lists it by either status",
    async () => {
      const tenantId = 'tnt_listed';
      const m = message({ tenantId, status: 'queued' });
      await store.insert(m);
      await store.take({ tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 45_000);
      const entriesIn = async (status: string) =>
        (
          await services.db.send(
            new QueryCommand({
              TableName: services.table,
              IndexName: INDEX.byStatus,
              KeyConditionExpression: 'statusPk = :pk',
              ExpressionAttributeValues: { ':pk': `T#${tenantId}#${status}` },
            }),
          )
        ).Items ?? [];
      expect((await entriesIn('queued')).map((e) => [e.id, e.status])).toEqual([[m.id, 'delivering']]);
      expect(await entriesIn('delivering')).toEqual([]);
      const listed = async (status: Message['status'][]) =>
        (await store.list(tenantId, { filter: { status }, limit: 10 })).items.map((x) => x.id);
      expect(await listed(['delivering'])).toEqual([m.id]);
      expect(await listed(['queued'])).toEqual([]);
      // Recorded: it leaves the partition for its final status's.
      const held = (await store.get(tenantId, m.id))!;
      expect(await store.save({ ...held, status: 'delivered', version: held.version + 1 }, held.version)).toBe(true);
      expect(await entriesIn('queued')).toEqual([]);
      expect(await listed(['delivered'])).toEqual([m.id]);
    },
  );

  /** The message item as stored, with the attributes only the store sees. */
  const rawItem = async (m: Pick<Message, 'tenantId' | 'id'>) =>
    (
      await services.db.send(
        new GetCommand({ TableName: services.table, Key: { pk: `T#${m.tenantId}`, sk: `M#${m.id}` } }),
      )
    ).Item;

  it.runIf(available)(
    'writes a final state with its expiry, in epoch seconds for TTL and in ms for exact reads; a waiting message never carries one',
    async () => {
      const tenantId = 'tnt_expiry';
      const expiresAt = T0 + 7 * DAY_MS + 1; // not a whole second: TTL gets the second after
      const done = message({ tenantId });
      await store.insert(done);
      expect(await store.save({ ...done, status: 'delivered', expiresAt, version: 1 }, 0)).toBe(true);
      expect(await rawItem(done)).toMatchObject({ expiresAt: Math.ceil(expiresAt / 1000), expiresAtMs: expiresAt });
      expect(await store.get(tenantId, done.id)).toEqual({ ...done, status: 'delivered', expiresAt, version: 1 });
      const [listed] = (await store.list(tenantId, { limit: 10, filter: { status: ['delivered'] } })).items;
      expect(listed).toMatchObject({ id: done.id, expiresAt });

      // An expiry on a message still to be delivered is never stored: pending messages do not expire.
      const waiting = message({ tenantId, expiresAt: T0 + 1 });
      await store.insert(waiting);
      expect(await rawItem(waiting)).not.toHaveProperty('expiresAt');
      expect(await rawItem(waiting)).not.toHaveProperty('expiresAtMs');
      now = T0 + 365 * DAY_MS;
      expect((await store.get(tenantId, waiting.id))?.id).toBe(waiting.id);

      // A redeliver writes it waiting again, without an expiry: the TTL attribute goes.
      now = T0;
      const { expiresAt: _gone, ...redelivered } = { ...done, status: 'queued' as const, expiresAt, version: 2 };
      expect(await store.save(redelivered, 1)).toBe(true);
      expect(await rawItem(done)).not.toHaveProperty('expiresAt');
      expect(await rawItem(done)).not.toHaveProperty('expiresAtMs');
    },
  );

  it.runIf(available)('the failure write sets the expiry too, TTL attribute included', async () => {
    const m = message();
    await store.insert(m);
    const taken = await store.take({ tenantId: m.tenantId, messageId: m.id, version: 0, dueAt: m.dueAt }, T0, T0 + 1);
    const reason = { code: 'poison' as const, detail: 'Taken for delivery 5 times.' };
    const expiresAt = T0 + 30 * DAY_MS;
    expect(await store.fail(taken!, taken!.version, { reason, now: T0, expiresAt })).toBe(true);
    expect(await rawItem(m)).toMatchObject({ expiresAt: expiresAt / 1000, expiresAtMs: expiresAt, status: 'failed' });
  });

  it.runIf(available)(
    'treats a message past its expiry as gone: get and list leave it out while it is still stored',
    async () => {
      const tenantId = 'tnt_expired';
      const expiresAt = T0 + 7 * DAY_MS;
      const [old, kept, waiting] = [message({ tenantId }), message({ tenantId }), message({ tenantId })];
      for (const m of [old, kept, waiting]) await store.insert(m);
      await store.save({ ...old, status: 'delivered', expiresAt, version: 1 }, 0);
      await store.save({ ...kept, status: 'delivered', expiresAt: expiresAt + 1_000, version: 1 }, 0);
      const ids = async (status?: 'delivered') =>
        (await store.list(tenantId, { limit: 10, ...(status && { filter: { status: [status] } }) })).items.map(
          (x) => x.id,
        );

      now = expiresAt - 1;
      expect(await ids()).toEqual([waiting.id, kept.id, old.id]);
      expect((await store.get(tenantId, old.id))?.id).toBe(old.id);

      now = expiresAt;
      expect(await store.get(tenantId, old.id)).toBeUndefined();
      expect(await ids()).toEqual([waiting.id, kept.id]);
      expect(await ids('delivered')).toEqual([kept.id]);
      expect(await rawItem(old)).toBeDefined(); // TTL (or the local reaper) deletes it later

      now = T0 + 400 * DAY_MS;
      expect(await ids()).toEqual([waiting.id]); // a pending message never expires
    },
  );

  it.runIf(available)('claims an idempotency key once and points later claims at the first request', async () => {
    const first = { messageIds: ['msg_first'], fingerprint: 'sha256:1', owner: 'msg_first', leaseUntil: T0 + 60_000 };
    expect(await store.claimIdempotencyKey('tnt_a', 'k1', first, T0, 86_400_000)).toEqual({ claimed: true });
    const second = { ...first, messageIds: ['msg_second'], owner: 'msg_second' };
    expect(await store.claimIdempotencyKey('tnt_a', 'k1', second, T0 + 1, 86_400_000)).toEqual({
      claimed: false,
      record: first,
    });
    expect(await store.claimIdempotencyKey('tnt_b', 'k1', second, T0 + 1, 86_400_000)).toEqual({ claimed: true });
    expect(await store.claimIdempotencyKey('tnt_a', 'k1', second, T0 + 86_400_001, 86_400_000)).toEqual({
      claimed: true,
    });
  });
});
