/**
 * The client against the real local stack (API gateway, handlers, dynalite, fauxqs, the engine):
 * every call, the typed errors the API's answers become, retries that never duplicate a message
 * even when an answer is lost after the server committed, a batch of 250 in chunks, and the list
 * iterator across pages.
 */
import type { LocalStack } from '@vigil/local/stack';
import type { Receiver } from '@vigil/local/receiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSessionToken } from '../../../test-support/console-session';
import { bindKeyAsDeadRequest, IDEMPOTENCY_LEASE_MS } from '../../../test-support/dead-request';
import type { FlakyProxy } from '../../../test-support/flaky-proxy';
import { startFlakyProxy } from '../../../test-support/flaky-proxy';
import { newTenantKey, startTestStack, waitFor } from '../../../test-support/local-stack';
import { startReceiverThread } from '../../../test-support/receiver-thread';
import { assertMatchesSchema } from '../../../test-support/openapi';
import type { Message } from './index';
import {
  isLosslessNumber,
  LosslessNumber,
  Vigil,
  VigilAuthError,
  VigilBatchError,
  VigilConflictError,
  VigilKeyNotShownError,
  VigilNotFoundError,
  VigilTimeoutError,
  VigilValidationError,
} from './index';

let stack: LocalStack;
let receiver: Receiver;
let vigil: Vigil;

beforeAll(async () => {
  receiver = await startReceiverThread({ respond: ({ path }) => (path.startsWith('/fail') ? 500 : 200) });
  stack = await startTestStack();
  vigil = new Vigil({ apiKey: stack.apiKey, baseUrl: stack.url });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

/** A fetch that records each request's method and path before passing it on. */
const recordingFetch = () => {
  const seen: string[] = [];
  const fetch = (request: Request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
    return globalThis.fetch(request);
  };
  return { seen, fetch };
};

/** Every message of this tenant whose url is `url`, read with the list iterator. */
const messagesTo = async (url: string): Promise<Message[]> => {
  const found: Message[] = [];
  for await (const message of vigil.messages.list({ limit: 100 })) if (message.url === url) found.push(message);
  return found;
};

const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('messages', () => {
  it('schedules with `in`, then reads the message and its attempts once delivered', async () => {
    const url = `${receiver.url}/in-1s`;
    const before = Date.now();
    const created = await vigil.messages.create({ url, in: '1s', body: { hello: 'world' }, metadata: { k: 'v' } });
    assertMatchesSchema('MessageOut', created);
    expect(created).toMatchObject({ url, metadata: { k: 'v' }, body: { hello: 'world' } });
    const due = Date.parse(created.sendAt) - before;
    expect(due).toBeGreaterThanOrEqual(900);
    expect(due).toBeLessThan(2_500);

    const delivered = await until(
      () => vigil.messages.get(created.id),
      (m) => m.status === 'delivered',
    );
    expect(delivered.status).toBe('delivered');
    const arrival = receiver.received.find((r) => r.path === '/in-1s');
    expect(arrival?.arrivedAt).toBeGreaterThanOrEqual(Date.parse(created.sendAt));
    const attempts = await vigil.messages.attempts(created.id);
    assertMatchesSchema('AttemptList', attempts);
    expect(attempts.items).toHaveLength(1);
    expect(attempts.items[0]).toMatchObject({ n: 1, statusCode: 200 });
  });

  it('sends sendAt (a Date), headers and retries as the API has them', async () => {
    const sendAt = new Date(Date.now() + 3_600_000);
    const created = await vigil.messages.create({
      url: `${receiver.url}/later`,
      sendAt,
      headers: { 'x-kind': 'reminder' },
      retries: 2,
      method: 'PUT',
      body: 'plain text',
    });
    expect(created).toMatchObject({
      sendAt: sendAt.toISOString(),
      headers: { 'x-kind': 'reminder' },
      maxAttempts: 3,
      method: 'PUT',
      body: 'plain text',
      status: 'scheduled',
    });
  });

  it('schedules a wall time in a time zone, which the API resolves (Kolkata: +05:30, no daylight saving)', async () => {
    const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const created = await vigil.messages.create({
      url: `${receiver.url}/zoned`,
      sendAt: `${day}T12:00:00`,
      timezone: 'Asia/Kolkata',
    });
    expect(created).toMatchObject({ sendAt: `${day}T06:30:00.000Z`, timezone: 'Asia/Kolkata' });
    const unknown = await vigil.messages
      .create({ url: `${receiver.url}/zoned`, sendAt: `${day}T12:00:00`, timezone: 'Mars/Olympus' })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(VigilValidationError);
    expect((unknown as VigilValidationError).errors.map((e) => e.path)).toEqual(['timezone']);
  });

  it('reschedules and changes a waiting message, then cancels it; a second cancel changes nothing', async () => {
    const created = await vigil.messages.create({ url: `${receiver.url}/moved`, in: '1h' });
    const sendAt = new Date(Date.now() + 7_200_000).toISOString();
    const moved = await vigil.messages.update(created.id, { sendAt, metadata: { moved: 'yes' } });
    expect(moved).toMatchObject({ sendAt, metadata: { moved: 'yes' } });
    const byIn = await vigil.messages.update(created.id, { in: '3h' });
    expect(Date.parse(byIn.sendAt) - Date.now()).toBeGreaterThan(3 * 3_600_000 - 5_000);

    const cancelled = await vigil.messages.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await vigil.messages.cancel(created.id)).status).toBe('cancelled');
    await expect(vigil.messages.update(created.id, { in: '1h' })).rejects.toBeInstanceOf(VigilConflictError);
  });

  it('keeps a body number a double cannot hold (an int64 id) as its digits: sent, read back and sent again', async () => {
    const id = new LosslessNumber('12345678901234567890');
    const created = await vigil.messages.create({ url: `${receiver.url}/exact`, in: '1s', body: { id, n: 1.5 } });
    const received = await receiver.waitFor((all) => all.some((r) => r.path === '/exact'), 10_000);
    expect(received.find((r) => r.path === '/exact')!.body).toBe('{"id":12345678901234567890,"n":1.5}');
    const read = (await vigil.messages.get(created.id)).body as { id: LosslessNumber; n: number };
    expect(isLosslessNumber(read.id) && read.id.toString()).toBe('12345678901234567890');
    expect(read.n).toBe(1.5);
    const again = await vigil.messages.create({ url: `${receiver.url}/exact-again`, in: '1h', body: read });
    expect(again.body).toEqual({ id, n: 1.5 });
  });

  it('redelivers a failed message, and refuses to redeliver one that waits', async () => {
    const created = await vigil.messages.create({ url: `${receiver.url}/fail-redeliver`, in: 0, retries: 0 });
    await until(
      () => vigil.messages.get(created.id),
      (m) => m.status === 'failed',
    );
    const again = await vigil.messages.redeliver(created.id);
    expect(again.status).toBe('queued');
    const waiting = await vigil.messages.create({ url: `${receiver.url}/waiting`, in: '1h' });
    const refused = await vigil.messages.redeliver(waiting.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VigilConflictError);
    expect(refused).toMatchObject({ status: 409 });
  });

  it('turns problem answers into typed errors with the API’s paths', async () => {
    const invalid = await vigil.messages
      .create({ url: 'not a url', in: '1m', retries: 99 })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(VigilValidationError);
    const paths = (invalid as VigilValidationError).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['retry.maxAttempts', 'url']);
    expect((invalid as VigilValidationError).is('validation-failed')).toBe(true);

    const missing = await vigil.messages.get('msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(VigilNotFoundError);
    expect(missing).toMatchObject({ status: 404 });

    const stranger = new Vigil({ apiKey: `vgl_${'x'.repeat(43)}`, baseUrl: stack.url });
    await expect(stranger.messages.listPage()).rejects.toBeInstanceOf(VigilAuthError);
  });

  it('gives a local mistake at once, before any request', async () => {
    const { seen, fetch } = recordingFetch();
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: stack.url, fetch });
    await expect(client.messages.create({ url: `${receiver.url}/x`, in: 'soon' })).rejects.toThrow(/not a duration/);
    await expect(client.messages.create({ url: `${receiver.url}/x`, in: '1m', delay: 60 })).rejects.toThrow(
      /one of `in`, `sendAt` or `delay`/,
    );
    expect(seen).toEqual([]);
  });
});

describe('retries that never duplicate', () => {
  let proxy: FlakyProxy;
  beforeAll(async () => {
    proxy = await startFlakyProxy(stack.url);
  });
  afterAll(async () => proxy?.stop());

  it('creates one message when the answer to a create is lost after the server committed it', async () => {
    const url = `${receiver.url}/lost-answer`;
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: proxy.url, retries: { baseDelayMs: 50 } });
    proxy.dropAnswers('POST /v1/messages ', 1);
    const created = await client.messages.create({ url, in: '1s', body: { n: 1 } });

    expect(proxy.requests.filter((line) => line.startsWith('POST /v1/messages '))).toHaveLength(2);
    const stored = await messagesTo(url);
    expect(stored.map((m) => m.id)).toEqual([created.id]);
    await receiver.waitFor((all) => all.some((r) => r.path === '/lost-answer'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.filter((r) => r.path === '/lost-answer')).toHaveLength(1);
  });

  it('makes one key when the answer to its create is lost: the retry names the key, whose secret went with that answer, to revoke', async () => {
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: proxy.url, retries: { baseDelayMs: 50 } });
    const before = (await vigil.keys.list()).length;
    proxy.dropAnswers('POST /v1/keys ', 1);
    const lost = await client.keys.create({ name: 'lost answer' }).catch((error: unknown) => error);

    expect(proxy.requests.filter((line) => line.startsWith('POST /v1/keys '))).toHaveLength(2);
    expect(lost).toBeInstanceOf(VigilKeyNotShownError);
    const keys = await vigil.keys.list();
    expect(keys).toHaveLength(before + 1);
    const made = keys.find((k) => k.name === 'lost answer')!;
    expect((lost as VigilKeyNotShownError).apiKey).toMatchObject({ id: made.id, prefix: made.prefix });
    expect((lost as VigilKeyNotShownError).message).toContain(`DELETE /v1/keys/${made.id}`);
    await vigil.keys.revoke(made.id);
  });

  it('rotates the signing secret once when the answer to its rotate is lost: the retry returns the secret that signs now', async () => {
    const apiKey = await newTenantKey(stack, 'pro', 'lost-rotation');
    const own = new Vigil({ apiKey, baseUrl: stack.url });
    const client = new Vigil({ apiKey, baseUrl: proxy.url, retries: { baseDelayMs: 50 } });
    proxy.dropAnswers('POST /v1/signing-secret/rotate ', 1);
    const rotated = await client.signingSecret.rotate();

    expect(proxy.requests.filter((line) => line.startsWith('POST /v1/signing-secret/rotate '))).toHaveLength(2);
    expect((await own.signingSecret.get()).secret).toBe(rotated.secret);
    // One of the day's rotations spent, not two: one more is allowed.
    await expect(own.signingSecret.rotate()).resolves.toMatchObject({ secret: expect.stringMatching(/^whsec_/) });
  });

  it('adds one notification endpoint when the answer to its add is lost: the retry gets the endpoint it made', async () => {
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: proxy.url, retries: { baseDelayMs: 50 } });
    const url = `${receiver.url}/lost-endpoint-answer`;
    proxy.dropAnswers('POST /v1/notification-endpoints ', 1);
    const added = await client.notificationEndpoints.add({ url, events: ['message.failed'] });

    expect(proxy.requests.filter((line) => line.startsWith('POST /v1/notification-endpoints '))).toHaveLength(2);
    const endpoints = (await vigil.notificationEndpoints.list()).filter((e) => e.url === url);
    expect(endpoints.map((e) => e.id)).toEqual([added.id]);
    await vigil.notificationEndpoints.remove(added.id);
  });

  it("finishes a create whose first request died after binding its key, within the client's default retries", async () => {
    const url = `${receiver.url}/dead-request`;
    const message = { url, sendAt: new Date(Date.now() + 3_600_000), body: { n: 1 } };
    const twin = await vigil.messages.create({ ...message, idempotencyKey: 'finished-twin' });
    // The server that bound `dead-twin` died before it wrote anything: every try is answered 409
    // in-use until the key's lease ends, then the next one takes the key over with the bound id.
    const boundId = await bindKeyAsDeadRequest(stack, { key: 'dead-twin', like: 'finished-twin' });
    const started = Date.now();
    const created = await vigil.messages.create({ ...message, idempotencyKey: 'dead-twin' });
    expect(created.id).toBe(boundId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDEMPOTENCY_LEASE_MS - 1_000);
    expect((await messagesTo(url)).map((m) => m.id).sort()).toEqual([twin.id, boundId].sort());
  }, 40_000);

  it('retries a read after a lost answer', async () => {
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: proxy.url, retries: { baseDelayMs: 50 } });
    proxy.dropAnswers('GET /v1/signing-secret ', 2);
    expect((await client.signingSecret.get()).secret).toMatch(/^whsec_/);
  });

  it('times out a try that gets no answer, retries a create with its key, and gives up within the budget', async () => {
    const url = `${receiver.url}/held`;
    const client = new Vigil({
      apiKey: stack.apiKey,
      baseUrl: proxy.url,
      timeoutMs: 300,
      retries: { max: 1, baseDelayMs: 50 },
    });
    proxy.holdAnswers('POST /v1/messages ', 2);
    const started = Date.now();
    const error = await client.messages.create({ url, in: '1h' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Both tries reached the server with the same key: one message.
    expect(await messagesTo(url)).toHaveLength(1);
  });

  it('rides out the plan’s rate limit (free: burst 20): creates refused with 429 are tried again after Retry-After, one message each', async () => {
    const apiKey = await newTenantKey(stack, 'free', 'burst');
    // Empty the plan's bucket first with plain calls (no retries), so the creates below meet 429s
    // however fast this machine serves them.
    for (let refused = 0; refused === 0;) {
      const answers = await Promise.all(
        Array.from({ length: 25 }, () =>
          globalThis.fetch(`${stack.url}/v1/keys`, { headers: { authorization: `Bearer ${apiKey}` } }),
        ),
      );
      for (const answer of answers) await answer.text();
      refused = answers.filter((answer) => answer.status === 429).length;
    }
    const statuses: number[] = [];
    const client = new Vigil({
      apiKey,
      baseUrl: stack.url,
      fetch: async (request) => {
        const response = await globalThis.fetch(request);
        statuses.push(response.status);
        return response;
      },
    });
    const started = Date.now();
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client.messages.create({ url: `${receiver.url}/burst`, in: '1h', metadata: { i: String(i) } }),
      ),
    );
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    // Retry-After: 1 was waited for before trying again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(new Set(created.map((m) => m.id)).size).toBe(10);
    const stored: string[] = [];
    for await (const message of client.messages.list({ limit: 100 })) stored.push(message.id);
    expect(stored.sort()).toEqual(created.map((m) => m.id).sort());
  });

  it('sends a change again when others’ changes kept winning (409 with Retry-After), even one by `in`', async () => {
    const answered: number[] = [];
    const fetch = async (request: Request) => {
      const response = await globalThis.fetch(request);
      answered.push(response.status);
      return response;
    };
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: stack.url, fetch, retries: { max: 10 } });
    const created = await client.messages.create({ url: `${receiver.url}/changed-at-once`, in: '1h', body: {} });
    // 24 changes of one message at once: the API's own five tries leave some refused whole (409).
    const moves = Array.from({ length: 24 }, (_, i) => `${61 + i}m`);
    const changed = await Promise.all(moves.map((move) => client.messages.update(created.id, { in: move })));

    expect(answered.filter((status) => status === 409).length).toBeGreaterThan(0);
    expect(changed).toHaveLength(24);
    const stored = await client.messages.get(created.id);
    expect(changed.map((m) => m.sendAt)).toContainEqual(stored.sendAt);
  });

  it('stops at once when the caller aborts, with the signal’s reason', async () => {
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: proxy.url, timeoutMs: 5_000 });
    proxy.holdAnswers('GET /v1/usage', 1);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 200);
    const started = Date.now();
    await expect(client.usage({}, { signal: controller.signal })).rejects.toThrow('user gave up');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('batches and pages', () => {
  it('creates 250 messages in order in three requests of at most 100, each with its own key', async () => {
    const { seen, fetch } = recordingFetch();
    const keys: string[] = [];
    const client = new Vigil({
      apiKey: stack.apiKey,
      baseUrl: stack.url,
      fetch: (request) => {
        keys.push(request.headers.get('idempotency-key') ?? '');
        return fetch(request);
      },
    });
    const messages = Array.from({ length: 250 }, (_, i) => ({
      url: `${receiver.url}/batch`,
      in: '1h',
      metadata: { i: String(i) },
    }));
    const created = await client.messages.createBatch(messages, { idempotencyKey: 'batch-250' });

    expect(seen).toEqual(['POST /v1/messages/batch', 'POST /v1/messages/batch', 'POST /v1/messages/batch']);
    expect(keys).toEqual(['batch-250:0', 'batch-250:1', 'batch-250:2']);
    expect(created.map((m) => m.metadata.i)).toEqual(messages.map((m) => m.metadata.i));
    expect(new Set(created.map((m) => m.id)).size).toBe(250);

    // The same call again with its key creates nothing more: each chunk answers as first created.
    const again = await client.messages.createBatch(messages, { idempotencyKey: 'batch-250' });
    expect(again.map((m) => m.id)).toEqual(created.map((m) => m.id));
    expect(await messagesTo(`${receiver.url}/batch`)).toHaveLength(250);
  });

  it('reports a batch that failed part-way with what was created and the key to finish it with', async () => {
    const url = `${receiver.url}/half-batch`;
    const messages = Array.from({ length: 150 }, () => ({ url, in: '1h' }));
    const broken = [...messages.slice(0, 120), { url: 'not a url', in: '1h' }, ...messages.slice(121)];
    const error = await vigil.messages.createBatch(broken, { idempotencyKey: 'half' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilBatchError);
    const batchError = error as VigilBatchError;
    expect(batchError).toMatchObject({ failedChunk: 1, idempotencyKey: 'half', status: 422 });
    expect(batchError.created).toHaveLength(100);
    expect(batchError.cause).toBeInstanceOf(VigilValidationError);
    expect(batchError.errors.map((e) => e.path)).toEqual(['messages.20.url']);
  });

  it('lists every message across cursor pages, newest first, and gives one page on its own', async () => {
    const url = `${receiver.url}/paged`;
    const made = await vigil.messages.createBatch(Array.from({ length: 25 }, () => ({ url, in: '2h' })));
    const { seen, fetch } = recordingFetch();
    const client = new Vigil({ apiKey: stack.apiKey, baseUrl: stack.url, fetch });

    const listed: string[] = [];
    for await (const message of client.messages.list({ status: 'scheduled', limit: 10 })) {
      if (message.url === url) listed.push(message.id);
    }
    expect(listed.sort()).toEqual(made.map((m) => m.id).sort());
    expect(seen.length).toBeGreaterThanOrEqual(3);

    const page = await client.messages.listPage({ limit: 5 });
    assertMatchesSchema('MessagePage', page);
    expect(page.items).toHaveLength(5);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await client.messages.listPage({ limit: 5, cursor: page.nextCursor! });
    expect(next.items.map((m) => m.id)).not.toContain(page.items[0]!.id);
    const back = await client.messages.listPage({ limit: 5, cursor: next.previousCursor! });
    expect(back.items.map((m) => m.id)).toEqual(page.items.map((m) => m.id));
  });

  it('lists with filters: several statuses, a label, a url prefix and a createdAt range given as Dates', async () => {
    const url = `${receiver.url}/filtered`;
    const from = new Date();
    const [kept, cancelled] = await vigil.messages.createBatch([
      { url: `${url}/kept`, in: '2h', labels: ['sdk-filter'] },
      { url: `${url}/cancelled`, in: '2h', labels: ['sdk-filter'] },
      { url: `${url}/unlabelled`, in: '2h' },
    ]);
    await vigil.messages.cancel(cancelled!.id);
    const page = await vigil.messages.listPage({
      status: ['scheduled', 'cancelled'],
      label: 'sdk-filter',
      urlPrefix: url,
      createdAtFrom: new Date(from.getTime() - 1_000),
      createdAtTo: new Date(Date.now() + 1_000),
    });
    expect(page.items.map((m) => [m.id, m.status, m.labels])).toEqual([
      [cancelled!.id, 'cancelled', ['sdk-filter']],
      [kept!.id, 'scheduled', ['sdk-filter']],
    ]);
    expect((await vigil.messages.listPage({ status: 'cancelled', label: 'sdk-filter' })).items).toHaveLength(1);
  });
});

describe('bulk jobs', () => {
  it("lists the tenant's jobs newest first, page after page, and by state", async () => {
    const own = new Vigil({ apiKey: await newTenantKey(stack, 'pro', 'sdk-jobs'), baseUrl: stack.url });
    const made = await own.messages.createBatch(
      Array.from({ length: 3 }, () => ({ url: `${receiver.url}/jobs`, in: '2h' })),
    );
    const started: string[] = [];
    for (const message of made) {
      const job = await own.messages.cancelMany({ ids: [message.id] });
      await waitFor(
        () => own.jobs.get(job.id),
        (read) => read.state === 'done',
      );
      started.unshift(job.id);
    }
    const page = await own.jobs.listPage({ limit: 2 });
    assertMatchesSchema('BulkJobPage', page);
    expect(page.items.map((job) => job.id)).toEqual(started.slice(0, 2));
    const listed: string[] = [];
    for await (const job of own.jobs.list({ state: ['done', 'running'], limit: 1 })) listed.push(job.id);
    expect(listed).toEqual(started);
    expect((await own.jobs.listPage({ state: 'failed' })).items).toEqual([]);
  });
});

describe('keys, signing secret, usage, health', () => {
  it('creates, lists and revokes a key; a revoked key is refused; revoking it again changes nothing', async () => {
    const created = await vigil.keys.create({ name: 'sdk test' });
    assertMatchesSchema('ApiKeyCreated', created);
    expect((await vigil.keys.list()).map((k) => k.id)).toContain(created.id);
    const withNewKey = new Vigil({ apiKey: created.key, baseUrl: stack.url });
    expect((await withNewKey.signingSecret.get()).secret).toMatch(/^whsec_/);
    await vigil.keys.revoke(created.id);
    expect((await vigil.keys.list()).map((k) => k.id)).not.toContain(created.id);
    const revoked = (await vigil.keys.list({ includeRevoked: true })).find((k) => k.id === created.id);
    expect(revoked).toMatchObject({ revokedAt: expect.any(String), revokedBy: expect.stringMatching(/^key_/) });
    await expect(withNewKey.signingSecret.get()).rejects.toBeInstanceOf(VigilAuthError);
    await expect(vigil.keys.revoke(created.id)).resolves.toBeUndefined();
    await expect(vigil.keys.revoke('key_01JD8X4Q2Z7N5V3K9W6T0RYB1M')).rejects.toBeInstanceOf(VigilNotFoundError);
  });

  it('reads usage for a range of dates and the API’s health', async () => {
    await stack.foldUsage();
    const today = new Date();
    const usage = await vigil.usage({ from: new Date(Date.now() - 86_400_000), to: today });
    assertMatchesSchema('UsageOut', usage);
    expect(usage.to).toBe(today.toISOString().slice(0, 10));
    expect(usage.monthToDate.scheduled).toBeGreaterThan(0);
    expect(await vigil.health()).toMatchObject({ status: 'ok' });
  });

  it('claims a signed-in user’s tenant with a console session token, the same one each time, and signs a session out', async () => {
    const token = await consoleSessionToken(
      { sub: 'dev:ada@example.com', userId: 'dev:ada@example.com', email: 'ada@example.com' },
      { secret: stack.sessionSecret, maxAge: 60 },
    );
    const consoleServer = new Vigil({ baseUrl: stack.url, apiKey: token });
    const tenant = await consoleServer.session.claimTenant();
    expect(tenant).toMatchObject({ id: expect.stringMatching(/^tnt_/), plan: 'free' });
    expect(await consoleServer.session.claimTenant()).toEqual(tenant);

    // The user's session in the tenant signs out: its token is refused from then on.
    const signedIn = new Vigil({
      baseUrl: stack.url,
      apiKey: await consoleSessionToken({ tenantId: tenant.id }, { secret: stack.sessionSecret }),
    });
    await signedIn.keys.list();
    await signedIn.session.revoke();
    await expect(signedIn.keys.list()).rejects.toBeInstanceOf(VigilAuthError);
    // An API key is refused on this route.
    await expect(vigil.session.claimTenant()).rejects.toBeInstanceOf(VigilAuthError);
  });

  it('takes the bearer token from a function per call (the web app’s session token)', async () => {
    let calls = 0;
    const client = new Vigil({
      baseUrl: stack.url,
      apiKey: async () => {
        calls += 1;
        return stack.apiKey;
      },
    });
    await client.signingSecret.get();
    await client.keys.list();
    expect(calls).toBe(2);
  });
});
