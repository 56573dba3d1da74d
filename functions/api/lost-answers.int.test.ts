/**
 * The API's writes whose store answer is lost, through the real handlers behind the local gateway
 * on dynalite: the handlers' own DynamoDB client applies one named write and then loses its answer
 * (withLostAnswer), and either the SDK sends it again (its conditional retry meets its own write,
 * or another writer's after it) or the error reaches the handler (every retry broken too). What
 * the first request answers, what the same request sent again answers, and what was done and
 * counted: the message, its attempts, the usage counters and a free tenant's monthly quota.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { base } from '@vigil/aws/wiring/base';
import type { Message } from '@vigil/core';
import { enqueueTickets, PLANS, ticketFor, usageDate } from '@vigil/core';
import type { Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LostAnswerOptions } from '../../test-support/dynamo-backends';
import { withLostAnswer } from '../../test-support/dynamo-backends';
import { apiClient, newTenantApi, startTestStack, waitFor } from '../../test-support/local-stack';
import { startReceiverThread } from '../../test-support/receiver-thread';

let stack: LocalStack;
let receiver: Receiver;
/** The handlers' store client (the process-wide wiring the stack runs them on). */
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  receiver = await startReceiverThread();
  // A failed attempt's next one waits 5 s: time to move it out of the way (parkedRetrying).
  stack = await startTestStack({ env: { VIGIL_RETRY_BASE_MS: '5000' } });
  db = base().db;
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const newTenant = (plan: 'free' | 'pro' = 'free') => newTenantApi(stack, plan);

type Api = ReturnType<typeof apiClient>;
const store = () => stack.runtime.scheduling.store;
const stored = async (tenantId: string, id: string) => (await store().get(tenantId, id)) as Message;

/** A write of `command` to the item whose sort key is `sk`, through `client`, lands and its answer is lost. */
const losingAnswerAt = <T>(
  client: DynamoDBDocumentClient,
  command: 'PutItemCommand' | 'UpdateItemCommand' | 'DeleteItemCommand',
  sk: (text: string) => boolean,
  call: () => Promise<T>,
  options: Omit<LostAnswerOptions, 'of'> = {},
) => withLostAnswer(client, command, call, { ...options, of: (input) => sk(JSON.stringify(input)) });

/** The next write of `command` to the item of message `id` lands, and its answer is lost. */
const losingAnswerOf = <T>(
  command: 'PutItemCommand' | 'UpdateItemCommand',
  id: string,
  call: () => Promise<T>,
  options: Omit<LostAnswerOptions, 'of'> = {},
) => losingAnswerAt(db, command, (t) => t.includes(`"sk":{"S":"M#${id}"}`), call, options);

/**
 * Meanwhile, a worker takes the message as the change wrote it: its ticket at that version (as the
 * sweep sends one for a message due and waiting), and the take made before the SDK's retry is sent.
 */
const takenByAWorker = (tenantId: string, id: string) => async () => {
  const message = await stored(tenantId, id);
  await enqueueTickets(stack.runtime.scheduling, [ticketFor(message)]);
  await waitFor(
    () => stored(tenantId, id),
    (m) => m.version > message.version,
  );
};

const waitForStored = (tenantId: string, id: string, status: string, atLeastAttempts = 0) =>
  waitFor(
    () => stored(tenantId, id),
    (m) => m.status === status && m.attempts.length >= atLeastAttempts,
  );

const todayScheduled = async (api: Api): Promise<number> => {
  const { json } = await api.get('/v1/usage');
  return json.days.find((d: { date: string }) => d.date === usageDate(Date.now()))?.scheduled ?? 0;
};

/** The tenant's metered `scheduled` count, once it has settled on `count` (the folding takes a moment). */
const scheduledSettlesAt = async (api: Api, count: number) => {
  await waitFor(
    () => todayScheduled(api),
    (n) => n >= count,
    15_000,
  );
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await todayScheduled(api)).toBe(count);
};

/**
 * How many messages the tenant's monthly quota counts as used in this process (the API's guard):
 * the most it still admits, found by asking for that many and giving them back.
 */
const quotaUsed = async (tenantId: string): Promise<number> => {
  const quota = stack.runtime.scheduling.quota!;
  const limit = PLANS.free.monthlyMessages;
  for (let used = 0; used <= 50; used += 1) {
    const admitted = await quota.assertWithin(tenantId, limit - used).catch(() => undefined);
    if (admitted) {
      admitted.release();
      return used;
    }
  }
  throw new Error('more than 50 used');
};

const create = async (api: Api, over: Record<string, unknown> = {}) => {
  const { status, json } = await api.post('/v1/messages', { url: `${receiver.url}/lost`, delay: 600, ...over });
  expect(status).toBe(201);
  return json as { id: string };
};

/** What `count` counts arrives within 5 s, and a second later has arrived once only. */
const arrivesOnce = async (count: () => number) => {
  await waitFor(
    async () => count(),
    (n) => n >= 1,
    5_000,
  );
  await new Promise((r) => setTimeout(r, 1_000));
  expect(count()).toBe(1);
};

describe('PATCH /v1/messages/{id}: its save lands, its answer lost', () => {
  it('answers 200 with the change when the SDK sends the save again and meets its own write', async () => {
    const { tenantId, api } = await newTenant();
    const { id } = await create(api);
    const { result, sends } = await losingAnswerOf('PutItemCommand', id, () =>
      api.patch(`/v1/messages/${id}`, { url: `${receiver.url}/patched` }),
    );
    expect(sends).toBe(2);
    expect(result.status).toBe(200);
    expect(result.json.url).toBe(`${receiver.url}/patched`);
    expect(await stored(tenantId, id)).toMatchObject({ url: `${receiver.url}/patched`, version: 1 });
  });

  it('answers 200 with the change, not 409, when a worker took the message before the SDK sent the save again', async () => {
    const { tenantId, api } = await newTenant();
    const { id } = await create(api);
    const { result } = await losingAnswerOf(
      'PutItemCommand',
      id,
      () => api.patch(`/v1/messages/${id}`, { url: `${receiver.url}/patched-taken`, delay: 0 }),
      { meanwhile: takenByAWorker(tenantId, id) },
    );
    expect({ status: result.status, url: result.json.url }).toEqual({
      status: 200,
      url: `${receiver.url}/patched-taken`,
    });
    // Changed once, then delivered where the change sent it, once.
    await waitForStored(tenantId, id, 'delivered', 1);
    expect(receiver.received.filter((r) => r.path === '/patched-taken')).toHaveLength(1);
  });

  it('answers 200 with the change when the error reaches the handler after the save landed', async () => {
    const { tenantId, api } = await newTenant();
    const { id } = await create(api);
    const { result } = await losingAnswerOf(
      'PutItemCommand',
      id,
      () => api.patch(`/v1/messages/${id}`, { url: `${receiver.url}/patched` }),
      { surfaces: true },
    );
    expect({ status: result.status, url: result.json.url }).toEqual({ status: 200, url: `${receiver.url}/patched` });
    expect(await stored(tenantId, id)).toMatchObject({ url: `${receiver.url}/patched`, version: 1 });
  });
});

/**
 * A message of two attempts whose first failed (nothing listens on port 1), its second moved 10
 * minutes out: only a retry now makes it, and it is the last (the message then fails).
 */
const parkedRetrying = async (tenantId: string, api: Api) => {
  const { id } = await create(api, { url: 'http://127.0.0.1:1/lost-retry', delay: 0, retry: { maxAttempts: 2 } });
  await waitFor(
    async () => {
      const m = await stored(tenantId, id);
      if (m.status !== 'retrying') return false;
      return (await api.patch(`/v1/messages/${id}`, { delay: 600 })).status === 200;
    },
    (moved) => moved,
  );
  return id;
};

describe('POST /v1/messages/{id}/retry: its save lands, its answer lost', () => {
  it('answers 202, not 409, when a worker took the attempt before the SDK sent the save again; its keyed repeat makes none', async () => {
    const { tenantId, api } = await newTenant();
    const id = await parkedRetrying(tenantId, api);
    const key = { 'idempotency-key': 'lost-retry-taken' };
    const { result } = await losingAnswerOf(
      'PutItemCommand',
      id,
      () => api.post(`/v1/messages/${id}/retry`, undefined, key),
      { meanwhile: takenByAWorker(tenantId, id) },
    );
    expect(result.status).toBe(202);
    const after = await waitForStored(tenantId, id, 'failed', 2);
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
    const repeat = await api.post(`/v1/messages/${id}/retry`, undefined, key);
    expect([repeat.status, repeat.json.status, repeat.json.attempts]).toEqual([200, 'failed', 2]);
  });

  it('answers 202 when the error reaches the handler after the save landed, and the attempt is made once', async () => {
    const { tenantId, api } = await newTenant();
    const id = await parkedRetrying(tenantId, api);
    const { result } = await losingAnswerOf('PutItemCommand', id, () => api.post(`/v1/messages/${id}/retry`), {
      surfaces: true,
    });
    expect(result.status).toBe(202);
    const after = await waitForStored(tenantId, id, 'failed', 2);
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
  });

  it('makes one attempt when the same keyed request is sent twice at once, and both answers are true', async () => {
    const { tenantId, api } = await newTenant();
    const id = await parkedRetrying(tenantId, api);
    const key = { 'idempotency-key': 'retry-twice-at-once' };
    const answers = await Promise.all([1, 2].map(() => api.post(`/v1/messages/${id}/retry`, undefined, key)));
    const statuses = answers.map((a) => a.status).sort();
    // One made it (202); the other is its repeat (200), or told the first is still at it (409: retry).
    expect([
      [200, 202],
      [202, 409],
    ]).toContainEqual(statuses);
    const busy = answers.find((a) => a.status === 409);
    if (busy) expect(busy.json.type).toBe('https://vigil.dev/problems/idempotency-key-in-use');
    const after = await waitForStored(tenantId, id, 'failed', 2);
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
    const repeat = await api.post(`/v1/messages/${id}/retry`, undefined, key);
    expect([repeat.status, repeat.json.attempts]).toEqual([200, 2]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await stored(tenantId, id)).attempts.map((a) => a.n)).toEqual([1, 2]);
  });
});

describe('POST /v1/messages/{id}/redeliver: its save lands, its answer lost', () => {
  const delivered = async (tenantId: string, api: Api) => {
    const { id } = await create(api, { delay: 0 });
    await waitForStored(tenantId, id, 'delivered');
    return id;
  };

  it('answers 202, not 409, and keeps the round counted when a worker took it before the SDK sent the save again', async () => {
    const { tenantId, api } = await newTenant('free');
    const id = await delivered(tenantId, api);
    expect(await quotaUsed(tenantId)).toBe(1);
    const { result } = await losingAnswerOf('PutItemCommand', id, () => api.post(`/v1/messages/${id}/redeliver`), {
      meanwhile: takenByAWorker(tenantId, id),
    });
    expect(result.status).toBe(202);
    expect(await quotaUsed(tenantId)).toBe(2);
    const after = await waitForStored(tenantId, id, 'delivered', 2);
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
    await scheduledSettlesAt(api, 2);
  });

  it('answers 202 and keeps the round counted when a PATCH of the round landed before the SDK sent the save again', async () => {
    const { tenantId, api } = await newTenant('free');
    const id = await delivered(tenantId, api);
    const { result } = await losingAnswerOf('PutItemCommand', id, () => api.post(`/v1/messages/${id}/redeliver`), {
      // Another request's change replaces the redeliver's mark as the last one made.
      meanwhile: async () => {
        const patched = await api.patch(`/v1/messages/${id}`, { metadata: { changed: 'meanwhile' } });
        expect([patched.status, patched.json.status]).toEqual([200, 'queued']);
      },
    });
    expect(result.status).toBe(202);
    expect(await quotaUsed(tenantId)).toBe(2);
    const after = await waitForStored(tenantId, id, 'delivered', 2);
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
    expect(after.metadata).toEqual({ changed: 'meanwhile' });
    await scheduledSettlesAt(api, 2);
  });

  it('answers 202 and keeps the round counted when the error reaches the handler after the save landed; a keyed repeat starts none', async () => {
    const { tenantId, api } = await newTenant('free');
    const id = await delivered(tenantId, api);
    const key = { 'idempotency-key': 'lost-redeliver' };
    const { result } = await losingAnswerOf(
      'PutItemCommand',
      id,
      () => api.post(`/v1/messages/${id}/redeliver`, undefined, key),
      { surfaces: true },
    );
    expect(result.status).toBe(202);
    expect(await quotaUsed(tenantId)).toBe(2);
    await waitForStored(tenantId, id, 'delivered', 2);
    const repeat = await api.post(`/v1/messages/${id}/redeliver`, undefined, key);
    expect(repeat.status).toBe(200);
    expect(await quotaUsed(tenantId)).toBe(2);
    await scheduledSettlesAt(api, 2);
    expect((await stored(tenantId, id)).attempts.map((a) => a.n)).toEqual([1, 2]);
  });
});

describe('DELETE /v1/messages/{id}: its save lands, its answer lost', () => {
  it('answers 200 cancelled, whether the SDK sent it again or the error reached the handler; the repeat answers the same', async () => {
    const { tenantId, api } = await newTenant();
    for (const surfaces of [false, true]) {
      const { id } = await create(api);
      const { result } = await losingAnswerOf('PutItemCommand', id, () => api.delete(`/v1/messages/${id}`), {
        surfaces,
      });
      expect([result.status, result.json.status]).toEqual([200, 'cancelled']);
      const repeat = await api.delete(`/v1/messages/${id}`);
      expect([repeat.status, repeat.json.status]).toEqual([200, 'cancelled']);
      expect(await stored(tenantId, id)).toMatchObject({ status: 'cancelled', version: 1 });
    }
  });
});

/**
 * The handlers' `commands` naming `text`, through `client` (default: the store's), fail before they
 * reach the table (a reset: the store is down), the first `sends` of them or all (the SDK's retries
 * of each included).
 */
const withStoreDown = async <T>(
  commands: readonly string[],
  text: string,
  call: () => Promise<T>,
  { sends = Number.POSITIVE_INFINITY, client = db }: { sends?: number; client?: DynamoDBDocumentClient } = {},
): Promise<T> => {
  let failed = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (commands.includes(context.commandName ?? '') && JSON.stringify(args.input).includes(text) && failed < sends) {
        failed += 1;
        throw Object.assign(new Error('socket hang up (the store is down)'), { code: 'ECONNRESET' });
      }
      return next(args);
    },
    { step: 'deserialize', name: 'storeDown', override: true },
  );
  try {
    return await call();
  } finally {
    client.middlewareStack.remove('storeDown');
  }
};

/** The next Put of the Idempotency-Key `key`'s claim lands, and its answer is lost. */
const losingClaimAnswer = <T>(key: string, call: () => Promise<T>, options: Omit<LostAnswerOptions, 'of'> = {}) =>
  losingAnswerAt(db, 'PutItemCommand', (t) => t.includes(`"sk":{"S":"I#${key}"}`), call, options);

const listedIds = async (api: Api) =>
  ((await api.get('/v1/messages?limit=100')).json.items as Array<{ id: string }>).map((m) => m.id);

describe('POST /v1/messages and /batch: an insert lands, its answer lost', () => {
  it('answers 201 once when the SDK sends the insert again: one message, counted once', async () => {
    const { tenantId, api } = await newTenant();
    const { result, sends } = await withLostAnswer(
      db,
      'PutItemCommand',
      () => api.post('/v1/messages', { url: `${receiver.url}/created`, delay: 0 }),
      { of: (input) => JSON.stringify(input).includes('"sk":{"S":"M#msg_') },
    );
    expect([result.status, sends]).toEqual([201, 2]);
    const { id } = result.json;
    await waitForStored(tenantId, id, 'delivered', 1);
    expect(await listedIds(api)).toEqual([id]);
    expect(await quotaUsed(tenantId)).toBe(1);
    await scheduledSettlesAt(api, 1);
  });

  it('answers 503 with nothing kept or counted when the error reaches it; the retry, with or without its key, makes one', async () => {
    for (const key of [undefined, { 'idempotency-key': 'lost-create' }]) {
      const { tenantId, api } = await newTenant();
      const body = { url: `${receiver.url}/created-${key ? 'keyed' : 'plain'}`, delay: 0 };
      const { result } = await withLostAnswer(db, 'PutItemCommand', () => api.post('/v1/messages', body, key), {
        of: (input) => JSON.stringify(input).includes('"sk":{"S":"M#msg_'),
        surfaces: true,
      });
      expect(result.status).toBe(503);
      expect(await listedIds(api)).toEqual([]);
      expect(await quotaUsed(tenantId)).toBe(0);
      const retry = await api.post('/v1/messages', body, key);
      expect(retry.status).toBe(201);
      await waitForStored(tenantId, retry.json.id, 'delivered', 1);
      expect(await listedIds(api)).toEqual([retry.json.id]);
      expect(await quotaUsed(tenantId)).toBe(1);
      await scheduledSettlesAt(api, 1);
    }
  });

  it('answers 201 with the message as stored when a worker took it before the rollback of a create without a key whose error reached it: made once, counted once', async () => {
    const { tenantId, api } = await newTenant();
    let id = '';
    const { result } = await withLostAnswer(
      db,
      'PutItemCommand',
      () => api.post('/v1/messages', { url: `${receiver.url}/created-taken`, delay: 0 }),
      {
        // The create's insert (the worker's own writes of the message are not lost).
        of: (input) => {
          const text = JSON.stringify(input);
          id = /"sk":\{"S":"M#(msg_\w+)"\}/.exec(text)?.[1] ?? id;
          return text.includes('"sk":{"S":"M#msg_') && text.includes('attribute_not_exists(pk)');
        },
        meanwhile: () => takenByAWorker(tenantId, id)(),
        surfaces: true,
      },
    );
    // Made: a 503 would have the client create it again, and it would go out twice.
    expect([result.status, result.json.id, result.headers.get('location')]).toEqual([201, id, `/v1/messages/${id}`]);
    expect(['delivering', 'delivered']).toContain(result.json.status);
    // The rollback kept it: it went out, once, and counts.
    await waitForStored(tenantId, id, 'delivered', 1);
    expect(receiver.received.filter((r) => r.path === '/created-taken')).toHaveLength(1);
    expect(await listedIds(api)).toEqual([id]);
    expect(await quotaUsed(tenantId)).toBe(1);
    await scheduledSettlesAt(api, 1);
  });

  it('answers 201 with the whole batch when a worker took one of a batch without a key before the rollback: the others are stored again, each once, counted once', async () => {
    const { tenantId, api } = await newTenant();
    let id = '';
    // Only the second is due now: the one the worker takes.
    const messages = [1, 2, 3].map((n) => ({ url: `${receiver.url}/batch-taken-${n}`, delay: n === 2 ? 0 : 600 }));
    const { result } = await withLostAnswer(db, 'PutItemCommand', () => api.post('/v1/messages/batch', { messages }), {
      of: (input) => {
        const text = JSON.stringify(input);
        if (!text.includes('/batch-taken-2') || !text.includes('attribute_not_exists(pk)')) return false;
        id = /"sk":\{"S":"M#(msg_\w+)"\}/.exec(text)?.[1] ?? id;
        return true;
      },
      meanwhile: () => takenByAWorker(tenantId, id)(),
      surfaces: true,
    });
    expect(result.status).toBe(201);
    const ids = (result.json.items as Array<{ id: string }>).map((m) => m.id);
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe(id);
    expect((await listedIds(api)).sort()).toEqual([...ids].sort());
    await waitForStored(tenantId, id, 'delivered', 1);
    expect(receiver.received.filter((r) => r.path === '/batch-taken-2')).toHaveLength(1);
    expect(await quotaUsed(tenantId)).toBe(3);
    await scheduledSettlesAt(api, 3);
  });

  it('answers 503 with nothing stored or counted when the store fails before the insert lands; the retry, with or without its key, makes one', async () => {
    for (const key of [undefined, { 'idempotency-key': 'down-create' }]) {
      const { tenantId, api } = await newTenant();
      const body = { url: `${receiver.url}/down-${key ? 'keyed' : 'plain'}`, delay: 600 };
      const down = await withStoreDown(['PutItemCommand'], '"sk":{"S":"M#msg_', () =>
        api.post('/v1/messages', body, key),
      );
      expect([down.status, down.json.type]).toEqual([503, 'https://vigil.dev/problems/unavailable']);
      expect(await listedIds(api)).toEqual([]);
      expect(await quotaUsed(tenantId)).toBe(0);
      const retry = await api.post('/v1/messages', body, key);
      expect(retry.status).toBe(201);
      expect(await listedIds(api)).toEqual([retry.json.id]);
      expect(await quotaUsed(tenantId)).toBe(1);
    }
  });

  it('answers a batch whose second insert lost its answer as all or nothing, and its keyed retry stores all, once', async () => {
    const { tenantId, api } = await newTenant();
    const messages = [1, 2, 3].map((n) => ({ url: `${receiver.url}/batch-${n}`, delay: 600 }));
    const key = { 'idempotency-key': 'lost-batch' };
    const { result } = await withLostAnswer(
      db,
      'PutItemCommand',
      () => api.post('/v1/messages/batch', { messages }, key),
      {
        of: (input) =>
          JSON.stringify(input).includes('"sk":{"S":"M#msg_') && JSON.stringify(input).includes('/batch-2'),
        surfaces: true,
      },
    );
    expect(result.status).toBe(503);
    expect(await listedIds(api)).toEqual([]);
    const retry = await api.post('/v1/messages/batch', { messages }, key);
    expect(retry.status).toBe(201);
    expect((await listedIds(api)).sort()).toEqual(retry.json.items.map((m: { id: string }) => m.id).sort());
    expect(await quotaUsed(tenantId)).toBe(3);
  });

  it('counts a keyed batch once, across its try that failed part-way (a worker took one before the rollback) and its retry that finished it', async () => {
    const { tenantId, api } = await newTenant();
    let id = '';
    const messages = [1, 2, 3].map((n) => ({ url: `${receiver.url}/keyed-taken-${n}`, delay: n === 2 ? 0 : 600 }));
    const key = { 'idempotency-key': 'lost-batch-taken' };
    const { result } = await withLostAnswer(
      db,
      'PutItemCommand',
      () => api.post('/v1/messages/batch', { messages }, key),
      {
        of: (input) => {
          const text = JSON.stringify(input);
          if (!text.includes('/keyed-taken-2') || !text.includes('attribute_not_exists(pk)')) return false;
          id = /"sk":\{"S":"M#(msg_\w+)"\}/.exec(text)?.[1] ?? id;
          return true;
        },
        meanwhile: () => takenByAWorker(tenantId, id)(),
        surfaces: true,
      },
    );
    expect(result.status).toBe(503);
    expect(await quotaUsed(tenantId)).toBe(0);
    const retry = await api.post('/v1/messages/batch', { messages }, key);
    expect(retry.status).toBe(201);
    const ids = (retry.json.items as Array<{ id: string }>).map((m) => m.id);
    expect(ids[1]).toBe(id);
    expect((await listedIds(api)).sort()).toEqual([...ids].sort());
    await waitForStored(tenantId, id, 'delivered', 1);
    expect(receiver.received.filter((r) => r.path === '/keyed-taken-2')).toHaveLength(1);
    expect(await quotaUsed(tenantId)).toBe(3);
    await scheduledSettlesAt(api, 3);
  });

  it('answers 201 and counts once a keyed create whose error reached it after its repeat, sent meanwhile, answered 200 with the message', async () => {
    const { tenantId, api } = await newTenant();
    const body = { url: `${receiver.url}/kept-by-repeat`, delay: 600 };
    const key = { 'idempotency-key': 'kept-by-repeat' };
    let repeat: Awaited<ReturnType<Api['post']>> | undefined;
    const { result } = await withLostAnswer(db, 'PutItemCommand', () => api.post('/v1/messages', body, key), {
      of: (input) => JSON.stringify(input).includes('"sk":{"S":"M#msg_'),
      // The client timed out and sent it again: the repeat finds the message stored, and keeps it as its answer.
      meanwhile: async () => {
        repeat = await api.post('/v1/messages', body, key);
      },
      surfaces: true,
    });
    expect(repeat?.status).toBe(200);
    // Both answers tell the one message: made (201), and the repeat's (200).
    expect([result.status, result.json.id]).toEqual([201, repeat?.json.id]);
    expect(await listedIds(api)).toEqual([result.json.id]);
    expect(await quotaUsed(tenantId)).toBe(1);
    await scheduledSettlesAt(api, 1);
  });
});

describe("an Idempotency-Key's claim lands, its answer lost", () => {
  it('answers 201 at once to the retry of a create whose claim threw after it landed, where it waited out the claim', async () => {
    const { tenantId, api } = await newTenant();
    const body = { url: `${receiver.url}/claimed`, delay: 600 };
    const key = 'lost-claim';
    const { result } = await losingClaimAnswer(key, () => api.post('/v1/messages', body, { 'idempotency-key': key }), {
      surfaces: true,
    });
    expect(result.status).toBe(503);
    const started = Date.now();
    const retry = await api.post('/v1/messages', body, { 'idempotency-key': key });
    expect(retry.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await listedIds(api)).toEqual([retry.json.id]);
    expect(await quotaUsed(tenantId)).toBe(1);
  });

  it('answers 201 when the SDK sends the claim again and meets it', async () => {
    const { api } = await newTenant();
    const key = 'lost-claim-resent';
    const { result, sends } = await losingClaimAnswer(key, () =>
      api.post('/v1/messages', { url: `${receiver.url}/claimed`, delay: 600 }, { 'idempotency-key': key }),
    );
    expect([result.status, sends]).toEqual([201, 2]);
    expect(await listedIds(api)).toEqual([result.json.id]);
  });
});

/** How many keys of the tenant the authorizer would accept (its `K#<hash>` records), listed or not. */
const authorizerRecords = async (tenantId: string): Promise<number> => {
  let count = 0;
  for await (const page of paginateScan(
    { client: base().tenancyDb },
    {
      TableName: stack.runtime.config.table,
      FilterExpression: 'begins_with(pk, :k) AND tenantId = :t',
      ExpressionAttributeValues: { ':k': 'K#', ':t': tenantId },
      ConsistentRead: true,
    },
  )) {
    count += page.Items?.length ?? 0;
  }
  return count;
};

describe('the account: a write lands, its answer lost', () => {
  it('POST /v1/notification-endpoints: 201 when the SDK sends it again; 503 and then the keyed retry answers with the one endpoint when the error surfaces', async () => {
    const { api } = await newTenant();
    const resent = await losingAnswerAt(
      db,
      'PutItemCommand',
      (t) => t.includes('"S":"NEP#') || t.includes('"sk":{"S":"E#'),
      () => api.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-1` }, { 'idempotency-key': 'nep-1' }),
    );
    expect([resent.result.status, resent.sends]).toEqual([201, 2]);
    const key = { 'idempotency-key': 'nep-2' };
    const surfaced = await losingAnswerAt(
      db,
      'PutItemCommand',
      (t) => t.includes(`/nep-2`),
      () => api.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-2` }, key),
      { surfaces: true },
    );
    expect(surfaced.result.status).toBe(503);
    const retry = await api.post('/v1/notification-endpoints', { url: `${receiver.url}/nep-2` }, key);
    expect([200, 201]).toContain(retry.status);
    const listed = (await api.get('/v1/notification-endpoints')).json.items as Array<{ url: string }>;
    expect(listed.map((e) => e.url).sort()).toEqual([`${receiver.url}/nep-1`, `${receiver.url}/nep-2`]);
  });

  it("POST /v1/notification-endpoints: its key's mark (kept) landing with its error surfaced answers 503, and the keyed retry answers with the one endpoint", async () => {
    const { api } = await newTenant();
    const key = { 'idempotency-key': 'nep-kept' };
    const body = { url: `${receiver.url}/nep-kept` };
    const { result } = await losingAnswerAt(
      db,
      'UpdateItemCommand',
      (t) => t.includes('"sk":{"S":"I#nep-kept"}') && t.includes('kept'),
      () => api.post('/v1/notification-endpoints', body, key),
      { surfaces: true },
    );
    expect(result.status).toBe(503);
    const retry = await api.post('/v1/notification-endpoints', body, key);
    expect(retry.status).toBe(200);
    const listed = (await api.get('/v1/notification-endpoints')).json.items as Array<{ id: string }>;
    expect(listed.map((e) => e.id)).toEqual([retry.json.id]);
  });

  it('DELETE /v1/notification-endpoints/{id}: 204, not 404 or 503, when the SDK sends the delete again or the error surfaces', async () => {
    const { api } = await newTenant();
    for (const surfaces of [false, true]) {
      const { json: endpoint } = await api.post('/v1/notification-endpoints', {
        url: `${receiver.url}/nep-del-${surfaces}`,
      });
      const { result } = await losingAnswerAt(
        db,
        'DeleteItemCommand',
        (t) => t.includes(endpoint.id),
        () => api.delete(`/v1/notification-endpoints/${endpoint.id}`),
        { surfaces },
      );
      expect(result.status).toBe(204);
      expect((await api.get('/v1/notification-endpoints')).json.items).toEqual([]);
      // Asked again, it is gone: a 404 naming it.
      expect((await api.delete(`/v1/notification-endpoints/${endpoint.id}`)).status).toBe(404);
    }
  });

  it('DELETE /v1/notification-endpoints/{id} of one that never existed: 404 when the store fails its delete, once or every time, and 503 when it cannot read it', async () => {
    const { api } = await newTenant();
    const id = 'nep_01JD8X4Q2Z7N5V3K9W6T0RYB1M';
    const remove = () => api.delete(`/v1/notification-endpoints/${id}`);
    // The SDK's first send of the delete fails (it finds nothing on its resend), or every send.
    for (const [commands, sends] of [
      [['DeleteItemCommand'], 1],
      [['DeleteItemCommand'], Number.POSITIVE_INFINITY],
    ] as const) {
      const { status, json } = await withStoreDown(commands, id, remove, { sends });
      expect([status, json?.type]).toEqual([404, 'https://vigil.dev/problems/not-found']);
    }
    // Its reads fail too: it cannot know.
    const down = await withStoreDown(['GetItemCommand', 'DeleteItemCommand'], id, remove);
    expect([down.status, down.json?.type]).toEqual([503, 'https://vigil.dev/problems/unavailable']);
  });

  it('POST /v1/keys: 201 with its secret when the SDK sends its writes again, or the listing write landed and its error surfaced', async () => {
    const { tenantId, api } = await newTenant();
    const tenancyDb = base().tenancyDb;
    const resent = await losingAnswerAt(
      tenancyDb,
      'PutItemCommand',
      (t) => t.includes('"S":"KEY#'),
      () => api.post('/v1/keys', { name: 'resent' }, { 'idempotency-key': 'key-1' }),
    );
    expect([resent.result.status, resent.sends]).toEqual([201, 2]);
    const surfaced = await losingAnswerAt(
      tenancyDb,
      'PutItemCommand',
      (t) => t.includes('"S":"KEY#'),
      () => api.post('/v1/keys', { name: 'surfaced' }, { 'idempotency-key': 'key-2' }),
      { surfaces: true },
    );
    expect(surfaced.result.status).toBe(201);
    for (const made of [resent.result.json, surfaced.result.json]) {
      expect((await apiClient(stack.url, made.key).get('/v1/messages')).status).toBe(200);
    }
    const names = ((await api.get('/v1/keys')).json.items as Array<{ name: string }>).map((k) => k.name).sort();
    expect(names).toEqual(['resent', 'surfaced', 'test']);
    expect(await authorizerRecords(tenantId)).toBe(3);
  });

  it("POST /v1/keys: 503 leaving no key behind when the authorizer's write landed and its error surfaced; the keyed retry makes one", async () => {
    const { tenantId, api } = await newTenant();
    const key = { 'idempotency-key': 'key-orphan' };
    const { result } = await losingAnswerAt(
      base().tenancyDb,
      'PutItemCommand',
      (t) => t.includes('"sk":{"S":"KEY"}'),
      () => api.post('/v1/keys', { name: 'orphan' }, key),
      { surfaces: true },
    );
    expect(result.status).toBe(503);
    // Only the tenant's first key works: none that nobody was given.
    expect(await authorizerRecords(tenantId)).toBe(1);
    const retry = await api.post('/v1/keys', { name: 'orphan' }, key);
    expect(retry.status).toBe(201);
    expect((await apiClient(stack.url, retry.json.key).get('/v1/messages')).status).toBe(200);
    expect(await authorizerRecords(tenantId)).toBe(2);
  });

  it('DELETE /v1/keys/{id}: 204 whether the SDK sends it again or the error surfaces, and 204 when asked again', async () => {
    const { api } = await newTenant();
    const tenancyDb = base().tenancyDb;
    for (const surfaces of [false, true]) {
      const { json: made } = await api.post('/v1/keys', { name: `revoke-${surfaces}` });
      const { result } = await losingAnswerAt(
        tenancyDb,
        'UpdateItemCommand',
        (t) => t.includes(made.id),
        () => api.delete(`/v1/keys/${made.id}`),
        { surfaces },
      );
      expect(result.status).toBe(204);
      expect((await api.delete(`/v1/keys/${made.id}`)).status).toBe(204);
    }
    const revoked = (await api.get('/v1/keys?include=revoked')).json.items as Array<{
      name: string;
      revokedAt?: string;
    }>;
    expect(
      revoked
        .filter((k) => k.revokedAt !== undefined)
        .map((k) => k.name)
        .sort(),
    ).toEqual(['revoke-false', 'revoke-true']);
  });

  it('POST /v1/signing-secret/rotate without a key: 200 with the secret it made when its write landed and the error surfaced, rotating once', async () => {
    const { tenantId, api } = await newTenant();
    const before = (await api.get('/v1/signing-secret')).json;
    const { result } = await losingAnswerAt(
      base().tenancyDb,
      'UpdateItemCommand',
      (t) => t.includes('signingSecrets'),
      () => api.post('/v1/signing-secret/rotate'),
      { surfaces: true },
    );
    // A 503 would have the client rotate again: a secret nobody was shown signing for a day, and one
    // more of the day's three rotations spent.
    expect(result.status).toBe(200);
    const after = (await api.get('/v1/signing-secret')).json;
    expect(after.secret).toBe(result.json.secret);
    expect((await stack.runtime.tenants.getTenant(tenantId))?.signingSecrets).toEqual([after.secret, before.secret]);
  });

  it('POST /v1/signing-secret/rotate with a key: 200 with the secret it made when the error surfaced after its write landed, and its repeat the same, rotating once', async () => {
    const { tenantId, api } = await newTenant();
    const before = (await api.get('/v1/signing-secret')).json;
    const key = { 'idempotency-key': 'rotate-1' };
    const { result } = await losingAnswerAt(
      base().tenancyDb,
      'UpdateItemCommand',
      (t) => t.includes('signingSecrets'),
      () => api.post('/v1/signing-secret/rotate', undefined, key),
      { surfaces: true },
    );
    expect(result.status).toBe(200);
    const retry = await api.post('/v1/signing-secret/rotate', undefined, key);
    expect([retry.status, retry.json.secret]).toEqual([200, result.json.secret]);
    const after = (await api.get('/v1/signing-secret')).json;
    expect(after.secret).toBe(retry.json.secret);
    expect(after.secret).not.toBe(before.secret);
    // Rotated once: the new secret, and the one it replaced still verifying for a while.
    expect((await stack.runtime.tenants.getTenant(tenantId))?.signingSecrets).toEqual([after.secret, before.secret]);
  });

  it('POST /v1/messages/redeliver: a job whose insert surfaced its error after landing redelivers once, counted once; its keyed retry answers with it', async () => {
    const { tenantId, api } = await newTenant('free');
    const { id } = await create(api, { delay: 0 });
    await waitForStored(tenantId, id, 'delivered', 1);
    const key = { 'idempotency-key': 'bulk-redeliver' };
    const { result } = await losingAnswerAt(
      db,
      'PutItemCommand',
      (t) => t.includes('"S":"J#'),
      () => api.post('/v1/messages/redeliver', { ids: [id] }, key),
      { surfaces: true },
    );
    expect(result.status).toBe(202);
    const after = await waitForStored(tenantId, id, 'delivered', 2);
    const retry = await api.post('/v1/messages/redeliver', { ids: [id] }, key);
    expect([retry.status, retry.json.id]).toEqual([200, result.json.id]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await stored(tenantId, id)).attempts.map((a) => a.n)).toEqual(after.attempts.map((a) => a.n));
    expect(after.attempts.map((a) => a.n)).toEqual([1, 2]);
    expect(await quotaUsed(tenantId)).toBe(2);
    await scheduledSettlesAt(api, 2);
  });

  it('POST /v1/messages/cancel: a job whose insert surfaced its error after landing runs, and its keyed retry answers with it', async () => {
    const { tenantId, api } = await newTenant();
    const { id } = await create(api);
    const key = { 'idempotency-key': 'bulk-1' };
    const { result } = await losingAnswerAt(
      db,
      'PutItemCommand',
      (t) => t.includes('"S":"J#') || t.includes('"sk":{"S":"JOB#'),
      () => api.post('/v1/messages/cancel', { ids: [id] }, key),
      { surfaces: true },
    );
    expect(result.status).toBe(202);
    await waitForStored(tenantId, id, 'cancelled');
    const retry = await api.post('/v1/messages/cancel', { ids: [id] }, key);
    expect([retry.status, retry.json.id]).toEqual([200, result.json.id]);
  });
});

describe('POST /v1/notification-endpoints/{id}/test: its delivery is stored, its answer lost', () => {
  const testSend = async (api: Api, name: string, surfaces: boolean | number) => {
    const path = `/nep-test-${name}`;
    const { json: endpoint } = await api.post('/v1/notification-endpoints', { url: `${receiver.url}${path}` });
    const send = () =>
      api.post(`/v1/notification-endpoints/${endpoint.id}/test`, undefined, { 'idempotency-key': `nep-test-${name}` });
    const { result } = await losingAnswerAt(db, 'PutItemCommand', (t) => t.includes('"sk":{"S":"M#msg_'), send, {
      surfaces,
    });
    const arrived = () => receiver.received.filter((r) => r.path === path).length;
    return { result, send, arrived, endpoint };
  };

  it('sends the test event once, soon, when the SDK sends the insert again or the error reaches its own next try', async () => {
    const { api } = await newTenant();
    for (const surfaces of [false, true]) {
      const { result, arrived } = await testSend(api, `once-${surfaces}`, surfaces);
      expect(result.status).toBe(202);
      await arrivesOnce(arrived);
    }
  });

  it('answers 503 when every try to store it failed after the first landed, and its keyed retry sends it then, once', async () => {
    const { api } = await newTenant();
    // The first send lands; its two retries and the use case's two more tries (three sends each) fail.
    const { result, send, arrived, endpoint } = await testSend(api, 'outage', 8);
    expect(result.status).toBe(503);
    const retry = await send();
    expect(retry.status).toBe(200);
    await arrivesOnce(arrived);
    // Listed among the endpoint's recent deliveries, as a test sent at once is.
    const recent = (await api.get(`/v1/notification-endpoints/${endpoint.id}/deliveries`)).json.items as Array<{
      id: string;
    }>;
    expect(recent.map((d) => d.id)).toEqual([retry.json.id]);
  });
});

describe('DELETE /v1/keys/{id}: the revocation lands, the error surfaces', () => {
  it('answers 204 and tells key.revoked once, where the revocation was told to nobody', async () => {
    const { api } = await newTenant();
    const path = '/key-events';
    await api.post('/v1/notification-endpoints', { url: `${receiver.url}${path}`, events: ['key.revoked'] });
    const { json: made } = await api.post('/v1/keys', { name: 'to-revoke' });
    const { result } = await losingAnswerAt(
      base().tenancyDb,
      'UpdateItemCommand',
      (t) => t.includes(`"S":"KEY#${made.id}"`),
      () => api.delete(`/v1/keys/${made.id}`),
      { surfaces: true },
    );
    expect(result.status).toBe(204);
    expect((await api.delete(`/v1/keys/${made.id}`)).status).toBe(204);
    const told = () =>
      receiver.received.filter((r) => r.path === path && JSON.parse(r.body).type === 'key.revoked').length;
    await arrivesOnce(told);
  });

  it("answers 503 when only the authorizer's record was revoked, and its retry revokes the listing at the same time and tells key.revoked once", async () => {
    const { tenantId, api } = await newTenant();
    const path = '/key-events-partial';
    await api.post('/v1/notification-endpoints', { url: `${receiver.url}${path}`, events: ['key.revoked'] });
    const { json: made } = await api.post('/v1/keys', { name: 'half-revoked' });
    const tenancyDb = base().tenancyDb;
    // The listing's write fails every send; the authorizer's, first, lands.
    const failed = await withStoreDown(
      ['UpdateItemCommand'],
      `"S":"KEY#${made.id}"`,
      () => api.delete(`/v1/keys/${made.id}`),
      { client: tenancyDb },
    );
    expect(failed.status).toBe(503);
    expect((await apiClient(stack.url, made.key).get('/v1/messages')).status).toBe(401);
    expect((await api.delete(`/v1/keys/${made.id}`)).status).toBe(204);
    const record = async (pk: string, sk: string) =>
      (
        await tenancyDb.send(
          new GetCommand({ TableName: stack.runtime.config.table, Key: { pk, sk }, ConsistentRead: true }),
        )
      ).Item as Record<string, unknown>;
    const listed = await record(`T#${tenantId}`, `KEY#${made.id}`);
    const authorizer = await record(`K#${listed.hash}`, 'KEY');
    const { revokedAt, revokedBy, expiresAtMs } = listed;
    expect({ revokedAt, revokedBy, expiresAtMs }).toEqual({
      revokedAt: authorizer.revokedAt,
      revokedBy: authorizer.revokedBy,
      expiresAtMs: authorizer.expiresAtMs,
    });
    const { json: keys } = await api.get('/v1/keys?include=revoked');
    const shown = (keys.items as Array<{ id: string; revokedAt?: string }>).find((k) => k.id === made.id);
    expect(shown?.revokedAt).toBe(new Date(revokedAt as number).toISOString());
    const told = () =>
      receiver.received.filter((r) => r.path === path && JSON.parse(r.body).type === 'key.revoked').length;
    await arrivesOnce(told);
  });
});
