/**
 * The delivery path at its edges, with fixed clocks: the attempt log bounded in bytes, records
 * that fail, poison messages, tenants that are gone, receivers that ask to wait, and a sweep that
 * does not pile tickets onto a backlogged queue.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Attempt, MessageIn, MessageStore, PendingRef, PendingRun } from '../src';
import {
  appendAttempt,
  ATTEMPT_LOG_BUDGET_BYTES,
  ATTEMPT_LOG_LIMIT,
  attemptBytes,
  boundResponseHeaders,
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  FLOW_HOLD_PER_TAKE_MS,
  MessageIn as MessageInSchema,
  nextAttemptDelayMs,
  patchMessage,
  pendingRuns,
  redeliverMessage,
  RESPONSE_HEADERS_MAX,
  RESPONSE_HEADERS_MAX_BYTES,
  retryDelayMs,
  scheduleMessage,
  SNIPPET_MAX_BYTES,
  sweepPending,
  SWEEP_RUN_BUDGET_MS,
  TenantNotFoundError,
  toAttemptList,
  toMessageOut,
  truncateUtf8,
  WITHHELD_HEADER_VALUE,
} from '../src';
import { deliveryHarness, MemoryFlowLimiter, opsEndpoint } from './memory-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** How long past its due time a default message (10 s timeout) stays leased to the worker that took it. */
const LEASE_MS = 10_000 + DEFAULT_ENGINE_SETTINGS.leaseMarginMs;

const setup = (options: Omit<Parameters<typeof deliveryHarness>[0], 't0' | 'secret'> = {}) =>
  deliveryHarness({ t0: T0, secret: SECRET, ...options });

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', ...over });

const attempt = (n: number, over: Partial<Attempt> = {}): Attempt => ({
  n,
  startedAt: new Date(T0 + n * 1000).toISOString(),
  durationMs: 12,
  latenessMs: 1,
  statusCode: 500,
  ...over,
});

describe('the attempt log', () => {
  it('caps a snippet of invalid UTF-8 (a KiB of U+FFFD is three KiB) at 1024 bytes, never mid-character', () => {
    const decoded = '\uFFFD'.repeat(1024); // what 1024 invalid bytes decode to
    const kept = truncateUtf8(decoded, SNIPPET_MAX_BYTES);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(1024);
    expect(kept).toBe('\uFFFD'.repeat(341));
    expect(truncateUtf8('a😀b', 4)).toBe('a'); // the emoji is 4 bytes: cut before, not through it
    expect(truncateUtf8('short', 1024)).toBe('short');
  });

  it('caps what the sender handed over even when the sender did not', () => {
    const [stored] = appendAttempt(
      { attempts: [] },
      attempt(1, { responseSnippet: '€'.repeat(2000), error: 'é'.repeat(600) }),
    );
    expect(Buffer.byteLength(stored!.responseSnippet!)).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(stored!.error!)).toBeLessThanOrEqual(512);
  });

  it('keeps the latest 50 attempts, numbered as they were, and says how many earlier ones are gone', async () => {
    let log: Attempt[] = [];
    for (let n = 1; n <= 120; n += 1) log = appendAttempt({ attempts: log }, attempt(n));
    expect(log).toHaveLength(ATTEMPT_LOG_LIMIT);
    expect(log[0]!.n).toBe(71);
    expect(log.at(-1)!.n).toBe(120);
    const { message } = await scheduleMessage(setup().deps, TENANT, input({ delay: 10 }));
    expect(toAttemptList({ ...message, attempts: log })).toMatchObject({ omitted: 70 });
  });

  it('stays within its byte budget when every attempt carries the largest multi-byte snippet and error', () => {
    let log: Attempt[] = [];
    const heavy = (n: number) =>
      attempt(n, { responseSnippet: '\uFFFD'.repeat(400), error: '€'.repeat(200), retryAfterMs: 86_400_000 });
    for (let n = 1; n <= 200; n += 1) log = appendAttempt({ attempts: log }, heavy(n));
    const bytes = log.reduce((sum, a) => sum + attemptBytes(a), 0);
    expect(bytes).toBeLessThanOrEqual(ATTEMPT_LOG_BUDGET_BYTES);
    expect(log.at(-1)!.n).toBe(200);
    expect(log.map((a) => a.n)).toEqual(Array.from({ length: log.length }, (_, i) => 200 - log.length + 1 + i));
  });
});

describe('what an attempt keeps about its request and response', () => {
  it('keeps the response headers lower-cased, the first that fit 32 and 2 KiB, and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`X-H${i}`, 'é'.repeat(20)]));
    const { headers, omitted } = boundResponseHeaders({ 'X-First': 'a', 'x-first': 'b', ...many });

    expect(Object.keys(headers)[0]).toBe('x-first');
    expect(headers['x-first']).toBe('a'); // a repeat of a name is left out, not merged
    expect(Object.keys(headers).length).toBeLessThanOrEqual(RESPONSE_HEADERS_MAX);
    expect(Buffer.byteLength(JSON.stringify(headers))).toBeLessThanOrEqual(RESPONSE_HEADERS_MAX_BYTES);
    expect(Object.keys(headers).length + omitted).toBe(62);
    // The log applies the same bound to what a sender handed over unbounded.
    const [stored] = appendAttempt({ attempts: [] }, attempt(1, { responseHeaders: many }));
    expect(stored!.responseHeaders).toEqual(boundResponseHeaders(many).headers);
    expect(stored!.responseHeadersOmitted).toBe(boundResponseHeaders(many).omitted);
  });

  it('keeps a header named like an object property (`constructor` was counted as a repeat), and counts `__proto__` left out', () => {
    const received = Object.fromEntries([
      ['Constructor', 'c'],
      ['__proto__', 'p'],
      ['x-after', 'a'],
    ]);

    const { headers, omitted } = boundResponseHeaders(received);

    expect(headers).toEqual({ constructor: 'c', 'x-after': 'a' });
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(omitted).toBe(1);
  });

  it('never keeps the value of a cookie the receiver sets or a credential it echoes, only its name', () => {
    const received = {
      'Set-Cookie': 'session=s3cr3t-0f-the-receiver; HttpOnly, csrf=tok3n',
      'set-cookie2': 'legacy=s3cr3t',
      authorization: 'Bearer echoed-s3cr3t',
      'www-authenticate': 'Bearer realm="api", error="invalid_token"',
      'x-request-id': 'req_1',
    };

    const { headers } = boundResponseHeaders(received);
    const [stored] = appendAttempt({ attempts: [] }, attempt(1, { responseHeaders: received }));

    expect(headers).toEqual({
      'set-cookie': WITHHELD_HEADER_VALUE,
      'set-cookie2': WITHHELD_HEADER_VALUE,
      authorization: WITHHELD_HEADER_VALUE,
      // A challenge is no credential: kept, to debug a 401 with.
      'www-authenticate': 'Bearer realm="api", error="invalid_token"',
      'x-request-id': 'req_1',
    });
    expect(stored!.responseHeaders).toEqual(headers);
    expect(JSON.stringify(stored)).not.toMatch(/s3cr3t|tok3n/);
  });

  it('records the error kind, the round and the request facts, from which the API derives every header sent', async () => {
    const { deps, store, sender, deliverLatest } = setup({
      script: [{ error: 'connect ECONNREFUSED 1.2.3.4:443', errorKind: 'connection-refused' }, { statusCode: 200 }],
    });
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, headers: { 'x-trace': 't1' }, body: { order: 42 } }),
    );
    await deliverLatest();
    await deliverLatest();
    const stored = store.messages.get(message.id)!;
    expect(stored.attempts[0]).toMatchObject({ errorKind: 'connection-refused', round: 0 });

    const list = toAttemptList(stored);
    for (const [i, request] of sender.requests.entries()) {
      const { 'webhook-signature': signature, ...rest } = request.headers;
      const shown = list.items[i]!.sentHeaders!;
      // Exactly what was sent, plus the two headers Node's client adds; the signature masked.
      expect(shown).toEqual({
        ...rest,
        'webhook-signature': `${signature!.slice(0, 7)}…`,
        host: 'example.com',
        connection: 'keep-alive',
      });
      expect(Object.keys(shown)).toEqual([...Object.keys(request.headers), 'host', 'connection']);
    }
    expect(list.items[0]).not.toHaveProperty('sent');
  });

  it("lists the Basic authorization Node sends for a URL's user and password, unless the message has its own", async () => {
    const { deps, store, deliverLatest } = setup({ script: [{ statusCode: 200 }, { statusCode: 200 }] });
    const sentHeadersOf = async (url: string, headers: Record<string, string> = {}) => {
      const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, url, headers }));
      await deliverLatest();
      return toAttemptList(store.messages.get(message.id)!).items[0]!.sentHeaders!;
    };

    const fromUrl = await sentHeadersOf('https://al%40ice:p%3Ass@example.com/in');
    const own = await sentHeadersOf('https://ops:pw@example.com/in', { Authorization: 'Bearer own' });

    expect(fromUrl).toMatchObject({ authorization: `Basic ${Buffer.from('al@ice:p:ss').toString('base64')}` });
    expect(Object.keys(fromUrl).slice(-4)).toEqual(['host', 'authorization', 'connection', 'content-length']);
    expect(own).toMatchObject({ Authorization: 'Bearer own' });
    expect(own).not.toHaveProperty('authorization');
  });

  it('derives no headers for attempts sent before the message was changed', async () => {
    const { deps, store, deliverLatest } = setup({ script: [{ statusCode: 500 }] });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, headers: { 'x-trace': 'before' } }));
    await deliverLatest();
    await patchMessage(deps, TENANT, message.id, { headers: { 'x-trace': 'after' } });

    const [first] = toAttemptList(store.messages.get(message.id)!).items;
    expect(first).not.toHaveProperty('sentHeaders');
  });
});

describe('a request that waited for a connection', () => {
  it('starts its attempt when it went on the wire, so its lateness counts the wait', async () => {
    const { deps, store, deliverLatest } = setup({ script: [{ statusCode: 200, waitedMs: 1_500 }] });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('delivered');
    const [sent] = store.messages.get(message.id)!.attempts;
    expect(sent).toMatchObject({ startedAt: new Date(message.dueAt + 1_500).toISOString(), latenessMs: 1_500 });
    expect(sent).not.toHaveProperty('waitedMs');
  });

  it('says receiver-busy when the wait is most of its lateness; a first cause of its own wins, a short wait says nothing', async () => {
    // Prepare: on time but for the wait; late 3 s by a slow queue, then a 100 ms wait; recovered by
    // the sweep a minute late, then a 1.5 s wait.
    const cases = [
      { queueLateMs: 0, waitedMs: 2_000, reason: 'receiver-busy' },
      { queueLateMs: 3_000, waitedMs: 100, reason: undefined },
      { queueLateMs: 61_000, waitedMs: 1_500, reason: 'recovered', swept: true },
    ];
    for (const { queueLateMs, waitedMs, reason, swept } of cases) {
      const { deps, store, queue, clock, worker } = setup({ script: [{ statusCode: 200, waitedMs }] });
      const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
      clock.set(message.dueAt + queueLateMs - (queueLateMs === 0 ? 1_000 : 0));
      if (swept) {
        queue.sent.length = 0;
        await sweepPending(deps, -60_000);
      }

      // Act
      expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('delivered');

      // Assess
      const [sent] = store.messages.get(message.id)!.attempts;
      expect(sent!.latenessMs).toBe(queueLateMs + waitedMs);
      expect(sent!.latenessReason).toBe(reason);
    }
  });
});

describe('a record beside a slow receiver', () => {
  it('is not held up the whole second by a send still waiting for its answer, only while sends start', async () => {
    // Prepare: a receiver that never answers holds one send in flight.
    const { deps, store, worker, queue, sender, clock } = setup();
    const send = sender.send.bind(sender);
    sender.send = async (request) => {
      const answer = await send(request);
      return request.url.includes('/slow') ? new Promise(() => {}) : answer;
    };
    await scheduleMessage(deps, TENANT, input({ url: 'https://example.com/slow', delay: 10 }));
    clock.set(queue.sent.at(-1)!.ticket.dueAt - 1_000);
    void worker.deliver(queue.sent.at(-1)!.ticket);
    await vi.waitFor(() => expect(sender.requests).toHaveLength(1));

    // Act: another message, to a receiver that answers at once.
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 20 }));
    clock.set(message.dueAt - 1_000);
    expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('delivered');

    // Assess: recorded within SEND_STARTS_QUIET_MS of its send, not RECORD_DEFER_MAX_MS.
    const sentAt = sender.requests[1]!.at;
    const recordedAt = store.writes.findLast((w) => w.op === 'save')!.at;
    expect(recordedAt - sentAt).toBeLessThanOrEqual(100);
  });
});

describe('a record that fails', () => {
  it('is tried again, and a try that lands delivers as usual', async () => {
    const { deps, store, sender, deliverLatest } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    store.saveFailures.push(new Error('ProvisionedThroughputExceededException'));
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'delivered', attempts: [{ n: 1 }] });
  });

  it('finishes the message failed (record-failed) when the store refuses the record itself, with the attempt, and never sends again', async () => {
    const { deps, store, sender, queue, clock, deliverLatest } = setup({
      script: [{ statusCode: 200, responseSnippet: 'ok' }],
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    store.unsavable.add(message.id);
    expect(await deliverLatest()).toBe('failed');
    const stored = store.messages.get(message.id)!;
    expect(stored.status).toBe('failed');
    expect(stored.failureReason).toEqual({
      code: 'record-failed',
      detail: expect.stringMatching(
        /^Attempt 1 was sent \(HTTP 200\) but could not be recorded after 1 try \(ValidationException\)/,
      ),
    });
    // The send that happened is shown (without its snippet), so the count and numbering stay right.
    expect(stored.attempts).toEqual([expect.objectContaining({ n: 1, statusCode: 200 })]);
    expect(stored.attempts[0]).not.toHaveProperty('responseSnippet');
    // A refusal of the write itself does not change when tried again: one try.
    expect(store.writes.filter((w) => w.op === 'save')).toHaveLength(1);

    // Nothing brings it back: not the old ticket, not the sweep a long time later.
    clock.advance(3_600_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
    expect(await deps.store.take(queue.sent[0]!.ticket, clock.now(), clock.now() + LEASE_MS)).toBeUndefined();
    expect(sender.requests).toHaveLength(1);
    expect(toMessageOut(stored, { withBody: false }).failureReason?.code).toBe('record-failed');
  });

  it('rides out a store throttled for seconds: tried again over about 15 s, within the lease, then recorded', async () => {
    const { deps, store, clock, deliverLatest } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    const throttled = () =>
      Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: 'ProvisionedThroughputExceededException',
      });
    store.saveFailures.push(throttled(), throttled(), throttled(), throttled(), throttled());
    expect(await deliverLatest()).toBe('delivered');
    expect(store.messages.get(message.id)).toMatchObject({ status: 'delivered', attempts: [{ n: 1 }] });
    // Six tries: the last one after 15.25 s of pauses, inside the lease (due + 10 s timeout + 15 s).
    expect(store.writes.filter((w) => w.op === 'save')).toHaveLength(6);
    expect(clock.now()).toBeLessThan(message.dueAt + 25_000 - 3_000);
  });

  it('stops trying a throttled record while its lease still has room, and finishes it failed', async () => {
    const { deps, store, deliverLatest } = setup();
    // A lease shorter than the tries: timeout 1 s, so it ends 16 s after the send.
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, timeoutMs: 1_000 }));
    for (let i = 0; i < 10; i += 1) {
      store.saveFailures.push(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    }
    expect(await deliverLatest()).toBe('failed');
    // Pauses of 0.25, 1, 2, 4 s fit before lease end - 3 s (13 s); the 8 s one would not.
    expect(store.writes.filter((w) => w.op === 'save')).toHaveLength(5);
    expect(store.messages.get(message.id)?.failureReason?.detail).toMatch(/after 5 tries \(ThrottlingException\)/);
  });

  it('counts a write that threw but landed as recorded (it reads the message back)', async () => {
    const { deps, store, deliverLatest } = setup({ script: [{ statusCode: 500 }] });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    // The first save lands, then reports a timeout; the second finds the version moved on.
    const save = store.save.bind(store);
    let first = true;
    store.save = async (m, v) => {
      const saved = await save(m, v);
      if (first) {
        first = false;
        throw new Error('TimeoutError');
      }
      return saved;
    };
    expect(await deliverLatest()).toBe('retrying');
    expect(store.messages.get(message.id)).toMatchObject({ status: 'retrying', attempts: [{ n: 1 }] });
  });

  it('never overwrites a delivered record that landed unseen (every try threw, and so did reading it back)', async () => {
    const { deps, store, deliverLatest } = setup({ script: [{ statusCode: 200 }] });
    const callback = { url: 'https://example.com/outcome', on: ['delivered', 'failed'] };
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, callback }));
    const save = store.save.bind(store);
    store.save = async (m, v) => {
      const saved = await save(m, v);
      if (m.id === message.id) throw new Error('TimeoutError (the write landed)');
      return saved;
    };
    const get = store.get.bind(store);
    store.get = async (tenantId, id) => {
      if (id === message.id) throw new Error('ThrottlingException');
      return get(tenantId, id);
    };

    expect(await deliverLatest()).toBe('skipped');
    // The receiver got a 2xx and the record says so; its delivered callback stays, the failed one
    // made for the failure write is withdrawn (cancelled, never sent).
    expect(store.messages.get(message.id)).toMatchObject({
      status: 'delivered',
      attempts: [{ n: 1, statusCode: 200 }],
    });
    const events = [...store.messages.values()].filter((m) => m.origin?.kind === 'callback');
    expect(events.map((m) => [m.origin?.kind === 'callback' && m.origin.event, m.status])).toEqual([
      ['delivered', 'queued'],
      ['failed', 'cancelled'],
    ]);
  });
});

describe('a take that fails', () => {
  it('is tried again in a moment, not left for the sweep a minute later, and the message goes out once', async () => {
    const { deps, store, sender, clock, deliverLatest } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    const take = store.take.bind(store);
    const failures = [new Error('TimeoutError: no connection within 2000 ms'), new Error('ThrottlingException')];
    store.take = async (...args) => {
      const failure = failures.shift();
      if (failure) throw failure;
      return take(...args);
    };
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'delivered', attempts: [{ n: 1 }] });
    // Two waits (250 ms, 1 s) past the take lead: still within a second and a half of due.
    expect(clock.now() - message.dueAt).toBeLessThan(1_500);
  });

  it('still throws (for the sweep) when every try fails, none started 2 s past due, and at once for a lasting refusal', async () => {
    for (const [error, takes] of [
      // At the take lead, 250 ms later, a second after that; the next would start 3 s past due.
      [new Error('ThrottlingException'), 3],
      [Object.assign(new Error('no such table'), { name: 'ResourceNotFoundException' }), 1],
    ] as const) {
      const { deps, store, sender, deliverLatest } = setup();
      await scheduleMessage(deps, TENANT, input({ delay: 10 }));
      let tries = 0;
      store.take = async () => {
        tries += 1;
        throw error;
      };
      await expect(deliverLatest()).rejects.toBe(error);
      expect(tries).toBe(takes);
      expect(sender.requests).toHaveLength(0);
    }
  });
});

describe('a failure write whose answer was lost', () => {
  it('counts as finished when its fallback finds it landed: the failure events go out, none withdrawn', async () => {
    const endpoints = await opsEndpoint(TENANT, T0);
    const { deps, store, deliverLatest } = setup({ script: [{ statusCode: 200 }], endpoints });
    const callback = { url: 'https://example.com/outcome', on: ['delivered', 'failed'] };
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, callback }));
    store.unsavable.add(message.id); // the record fails every try: the message is finished failed
    const fail = store.fail.bind(store);
    let fails = 0;
    store.fail = async (...args: Parameters<typeof store.fail>) => {
      const done = await fail(...args);
      fails += 1;
      if (fails === 1) throw new Error('TimeoutError (the write landed, its answer lost)');
      return done;
    };

    expect(await deliverLatest()).toBe('failed');
    expect(store.messages.get(message.id)).toMatchObject({
      status: 'failed',
      failureReason: { code: 'record-failed' },
    });
    const events = [...store.messages.values()].filter((m) => m.origin);
    expect(events.map((m) => [m.origin?.kind, m.origin?.event, m.status]).sort()).toEqual([
      ['callback', 'delivered', 'cancelled'],
      ['callback', 'failed', 'queued'],
      ['notification', 'message.failed', 'queued'],
    ]);
  });
});

describe('poison', () => {
  it('a message taken 5 times without an attempt recorded is finished failed on the next take, unsent', async () => {
    let tenantStoreUp = false;
    const { deps, store, sender, queue, clock, worker } = setup({
      tenants: {
        forDelivery: async () => {
          if (!tenantStoreUp) throw new Error('tenant store unreachable');
          return { signingSecrets: [SECRET], plan: 'free' };
        },
      },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    for (let take = 1; take <= DEFAULT_ENGINE_SETTINGS.poisonTakes; take += 1) {
      await expect(worker.deliver(queue.sent.at(-1)!.ticket)).rejects.toThrow('tenant store unreachable');
      expect(store.messages.get(message.id)).toMatchObject({ status: 'delivering', takes: take });
      // The lease runs out; the sweep finds the message and hands out a fresh ticket.
      clock.advance(LEASE_MS + 62_000);
      expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    }
    tenantStoreUp = true; // even now: a message that failed this often is not tried again
    expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('failed');
    expect(sender.requests).toHaveLength(0);
    const stored = store.messages.get(message.id)!;
    expect(stored).toMatchObject({ status: 'failed', failureReason: { code: 'poison' } });
    expect(stored.failureReason!.detail).toMatch(/5 times without an attempt being recorded/);
    expect(toAttemptList(stored)).toEqual({ items: [], omitted: 0, failureReason: stored.failureReason });

    // A redeliver starts clean: no reason, no count, and it is sent.
    const again = await redeliverMessage(deps, TENANT, message.id);
    expect(again).not.toHaveProperty('failureReason');
    expect(again).not.toHaveProperty('takes');
    clock.set(again.dueAt);
    expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
  });

  it('counts takes only since the last recorded attempt: a long run of retries is not poison', async () => {
    const { deps, store, sender, deliverLatest } = setup({
      script: [{ statusCode: 500 }],
      settings: { poisonTakes: 1 },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, retry: { maxAttempts: 4 } }));
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i += 1) outcomes.push(await deliverLatest());
    expect(outcomes).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
    expect(sender.requests).toHaveLength(4);
    const stored = store.messages.get(message.id)!;
    expect(stored.status).toBe('failed');
    expect(stored).not.toHaveProperty('failureReason'); // its attempts were spent: the list says why
  });

  it('a message whose tenant is gone ends failed (tenant-gone) at once, unsent', async () => {
    const { deps, store, sender, deliverLatest } = setup({
      tenants: {
        forDelivery: async (tenantId) => {
          throw new TenantNotFoundError(tenantId);
        },
      },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('failed');
    expect(sender.requests).toHaveLength(0);
    expect(store.messages.get(message.id)!.failureReason).toEqual({
      code: 'tenant-gone',
      detail: `Tenant ${TENANT} no longer exists.`,
    });
  });

  it('a message whose signing throws ends failed (signing-failed) at once, unsent', async () => {
    const { deps, store, sender, deliverLatest } = setup({
      tenants: { forDelivery: async () => ({ signingSecrets: ['not-a-webhook-secret'], plan: 'free' }) },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('failed');
    expect(sender.requests).toHaveLength(0);
    expect(store.messages.get(message.id)!.failureReason).toMatchObject({
      code: 'signing-failed',
      detail: expect.stringContaining('could not be signed'),
    });
  });
});

describe('Retry-After', () => {
  it('waits at least as long as asked, never less than the backoff, and never more than its cap', () => {
    const backoff = retryDelayMs(1, DEFAULT_BACKOFF, 0.5);
    expect(nextAttemptDelayMs(1, DEFAULT_BACKOFF, 0.5)).toBe(backoff);
    expect(nextAttemptDelayMs(1, DEFAULT_BACKOFF, 0.5, 1_000)).toBe(backoff);
    expect(nextAttemptDelayMs(1, DEFAULT_BACKOFF, 0.5, 120_000)).toBe(120_000);
    expect(nextAttemptDelayMs(1, DEFAULT_BACKOFF, 0.5, 1e12)).toBe(DEFAULT_BACKOFF.capMs);
  });

  it('puts the next attempt no sooner than a 429 asked, and records what it asked', async () => {
    const { deps, store, queue, sender, deliverLatest } = setup({
      script: [{ statusCode: 429, retryAfterMs: 120_000 }, { statusCode: 200 }],
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('retrying');
    const firstAt = sender.requests[0]!.at;
    expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({ statusCode: 429, retryAfterMs: 120_000 });
    expect(queue.sent.at(-1)!.ticket.dueAt).toBe(firstAt + 120_000);
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests[1]!.at - firstAt).toBeGreaterThanOrEqual(120_000);
  });
});

describe("a take's lease", () => {
  /** Takes the message's ticket with a worker that then dies (its tenant store throws): the lease stays. */
  const takenByADeadWorker = async (over: Partial<Record<string, unknown>>) => {
    const { deps, store, queue, clock, worker } = setup({
      tenants: {
        forDelivery: async () => {
          throw new Error('the worker died here');
        },
      },
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, ...over }));
    clock.set(message.dueAt - DEFAULT_ENGINE_SETTINGS.takeLeadMs);
    await expect(worker.deliver(queue.sent.at(-1)!.ticket)).rejects.toThrow('the worker died here');
    return { message, held: store.messages.get(message.id)!, deps, queue, clock };
  };

  it("runs the message's own timeout and the lease margin past its due time, so a short timeout recovers soon", async () => {
    const margin = DEFAULT_ENGINE_SETTINGS.leaseMarginMs;
    const byDefault = await takenByADeadWorker({});
    expect(byDefault.held).toMatchObject({
      status: 'delivering',
      leaseUntil: byDefault.message.dueAt + 10_000 + margin,
    });
    const quick = await takenByADeadWorker({ timeoutMs: 2_000 });
    expect(quick.held.leaseUntil).toBe(quick.message.dueAt + 2_000 + margin);
    const longest = await takenByADeadWorker({ timeoutMs: 30_000 });
    expect(longest.held.leaseUntil).toBe(longest.message.dueAt + 30_000 + margin);
  });

  it("leaves room for flow control's hold before the send of a message that has a flow key", async () => {
    const { message, held } = await takenByADeadWorker({ flowControl: { key: 'k', parallelism: 1 } });
    expect(held.leaseUntil).toBe(
      message.dueAt + 10_000 + FLOW_HOLD_PER_TAKE_MS + DEFAULT_ENGINE_SETTINGS.leaseMarginMs,
    );
  });

  /** A worker whose tenant read returns `lateMs` after the take, having let `meanwhile` happen. */
  const lateWorker = (
    lateMs: number,
    meanwhile: (h: ReturnType<typeof setup>) => void = () => {},
    options: Parameters<typeof setup>[0] = {},
  ) => {
    const h: ReturnType<typeof setup> = setup({
      ...options,
      tenants: {
        forDelivery: async () => {
          h.clock.advance(lateMs);
          meanwhile(h);
          return { signingSecrets: [SECRET], plan: 'free' };
        },
      },
    });
    return h;
  };

  it('is extended before the send of a worker late since its take, so that a send never outlives it', async () => {
    const h = lateWorker(20_000);
    const { message } = await scheduleMessage(h.deps, TENANT, input({ delay: 10 }));
    expect(await h.deliverLatest()).toBe('delivered');
    expect(h.sender.requests).toHaveLength(1);
    const sentAt = h.sender.requests[0]!.at;
    // Taken at its take lead before due, then 20 s late: the take's lease (due + 25 s) would end
    // before a send from then could time out and be recorded.
    expect(sentAt).toBe(message.dueAt - DEFAULT_ENGINE_SETTINGS.takeLeadMs + 20_000);
    expect(h.store.writes.map((w) => w.op)).toEqual(['insert', 'take', 'extend', 'save']);
    expect(h.store.extendedLeases).toEqual([sentAt + 10_000 + DEFAULT_ENGINE_SETTINGS.leaseMarginMs]);
  });

  it('is not extended for a worker on time, nor for one a few seconds late: the margin covers them', async () => {
    for (const lateMs of [0, 3_000]) {
      const h = lateWorker(lateMs);
      await scheduleMessage(h.deps, TENANT, input({ delay: 10 }));
      expect(await h.deliverLatest()).toBe('delivered');
      expect(h.store.writes.map((w) => w.op)).toEqual(['insert', 'take', 'save']);
    }
  });

  it('keeps a late worker from sending a message another worker has taken since, giving back its flow turn', async () => {
    for (const flowControl of [undefined, { key: 'k', parallelism: 1 }]) {
      const flowLimiter = new MemoryFlowLimiter();
      const h = lateWorker(
        40_000,
        ({ store }) => {
          // Meanwhile its lease ended and the sweep's ticket let another worker take it.
          for (const [id, m] of store.messages) store.messages.set(id, { ...m, version: m.version + 1 });
        },
        { flowLimiter },
      );
      await scheduleMessage(h.deps, TENANT, input({ delay: 10, ...(flowControl && { flowControl }) }));
      expect(await h.deliverLatest()).toBe('skipped');
      expect(h.sender.requests).toHaveLength(0);
      expect([...flowLimiter.keys.values()].map((key) => key.leases)).toEqual(flowControl ? [{}] : []);
    }
  });

  it("hands the message back at once, nothing sent, when a late worker's lease extension throws (landed or not), giving back its flow turn", async () => {
    for (const landed of [false, true]) {
      for (const flowControl of [undefined, { key: 'k', parallelism: 1 }]) {
        const flowLimiter = new MemoryFlowLimiter();
        // Late since its take once (the next take is on time), by more than its lease has room for.
        const lateMs = 20_000 + (flowControl ? FLOW_HOLD_PER_TAKE_MS : 0);
        let late = true;
        const h: ReturnType<typeof setup> = setup({
          flowLimiter,
          tenants: {
            forDelivery: async () => {
              if (late) h.clock.advance(lateMs);
              late = false;
              return { signingSecrets: [SECRET], plan: 'free' };
            },
          },
        });
        const extendLease = h.store.extendLease.bind(h.store);
        h.store.extendLease = async (message, leaseUntil) => {
          if (landed) await extendLease(message, leaseUntil);
          throw Object.assign(new Error('the request timed out'), { name: 'TimeoutError' });
        };
        const { message } = await scheduleMessage(
          h.deps,
          TENANT,
          input({ delay: 10, ...(flowControl && { flowControl }) }),
        );
        const takenAt = message.dueAt - DEFAULT_ENGINE_SETTINGS.takeLeadMs;
        expect(await h.deliverLatest()).toBe('requeued');
        expect(h.sender.requests).toHaveLength(0);
        // Handed back at once (not left `delivering` until its lease ends): waiting, due when it
        // was, no lease, its take not counted; its flow key's turn given back; its ticket sent now.
        const back = h.store.messages.get(message.id)!;
        expect(back).toMatchObject({ status: 'queued', dueAt: message.dueAt, version: message.version + 2 });
        expect(back.leaseUntil).toBeUndefined();
        expect(back.takes).toBeUndefined();
        expect(h.clock.now()).toBe(takenAt + lateMs);
        expect(h.store.writes.map((w) => w.op)).toEqual(['insert', 'take', ...(landed ? ['extend'] : []), 'save']);
        expect([...flowLimiter.keys.values()].map((key) => key.leases)).toEqual(flowControl ? [{}] : []);
        const { ticket } = h.queue.sent.at(-1)!;
        expect(ticket).toMatchObject({ messageId: message.id, version: back.version, dueAt: message.dueAt });
        // Its ticket sends it at once, its lateness counted from when it was due.
        expect(await h.worker.deliver(ticket)).toBe('delivered');
        expect(h.sender.requests).toHaveLength(1);
        const [sent] = h.store.messages.get(message.id)!.attempts;
        expect(sent).toMatchObject({ n: 1, latenessMs: takenAt + lateMs - message.dueAt });
      }
    }
  });

  it('keeps the reason it was late for across that hand-back: recovered by the sweep, or a worker woken late', async () => {
    // Prepare: a worker whose lease extension throws, late since its take once (20 s, past the
    // lease's room) either in its tenant read or in its wake-up at the due instant.
    for (const cause of ['recovered', 'engine-busy'] as const) {
      let late = true;
      const h: ReturnType<typeof setup> = setup({
        tenants: {
          forDelivery: async () => {
            if (late && cause === 'recovered') h.clock.advance(20_000);
            if (cause === 'recovered') late = false;
            return { signingSecrets: [SECRET], plan: 'free' };
          },
        },
      });
      h.store.extendLease = async () => {
        throw Object.assign(new Error('the request timed out'), { name: 'TimeoutError' });
      };
      const { message } = await scheduleMessage(h.deps, TENANT, input({ delay: 10 }));
      if (cause === 'recovered') {
        // Its ticket lost, the sweep finds it overdue a minute on and sends one marked recovered.
        h.queue.sent.length = 0;
        h.clock.set(message.dueAt + 61_000);
        await sweepPending(h.deps, -60_000);
        expect(h.queue.sent.at(-1)!.ticket.latenessReason).toBe('recovered');
      } else {
        const sleepUntil = h.clock.sleepUntil.bind(h.clock);
        h.clock.sleepUntil = async (at) => {
          await sleepUntil(at);
          if (late && at === message.dueAt) h.clock.advance(20_000);
          if (at === message.dueAt) late = false;
        };
      }

      // Act: the late worker hands it back; its ticket takes it again and sends it.
      expect(await h.deliverLatest()).toBe('requeued');
      const { ticket } = h.queue.sent.at(-1)!;
      expect(await h.worker.deliver(ticket)).toBe('delivered');

      // Assess: the hand-back's ticket carried the reason, and the attempt gives it.
      expect(ticket).toMatchObject({ messageId: message.id, latenessReason: cause });
      const [sent] = h.store.messages.get(message.id)!.attempts;
      expect(sent!.latenessMs).toBeGreaterThanOrEqual(20_000);
      expect(sent).toMatchObject({ n: 1, latenessReason: cause });
    }
  });

  it('keeps a late worker whose lease extension threw from handing back a message another worker has taken since', async () => {
    const h = lateWorker(20_000, ({ store }) => {
      for (const [id, m] of store.messages) store.messages.set(id, { ...m, version: m.version + 1 });
    });
    h.store.extendLease = async () => {
      throw new Error('the request timed out');
    };
    const { message } = await scheduleMessage(h.deps, TENANT, input({ delay: 10 }));
    const taken = { ...h.store.messages.get(message.id)! };
    expect(await h.deliverLatest()).toBe('skipped');
    expect(h.sender.requests).toHaveLength(0);
    expect(h.store.messages.get(message.id)).toMatchObject({ status: 'delivering' });
    expect(h.store.messages.get(message.id)!.version).toBe(taken.version + 2); // the other take's, untouched
  });

  it('hands the message of a dead worker out again at the next sweep after its lease', async () => {
    const { message, held, deps, queue, clock } = await takenByADeadWorker({});
    queue.sent.length = 0;
    clock.set(held.leaseUntil! - 1);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
    clock.set(held.leaseUntil! + 62_000); // past the lease by the sweep's grace (here a minute)
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent[0]!.ticket).toMatchObject({ messageId: message.id, dueAt: held.leaseUntil! + 1_000 });
  });
});

describe('a restart while messages were being sent', () => {
  it("takes a dead worker's message when its lease ends, though a burst's worker takes each ticket at once, ahead", async () => {
    // A worker holding a burst takes each ticket as it arrives (here: every one, takeCostMs 1 s).
    const { deps, store, queue, clock, sender, worker } = setup({ settings: { takeCostMs: 1_000 } });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    // Taken by a worker killed before it sent: leased for its timeout and the margin past due.
    clock.set(message.dueAt - 3_000);
    const held = await store.take(queue.sent[0]!.ticket, clock.now(), message.dueAt);
    expect(held).toMatchObject({ status: 'delivering' });
    // The restart's sweep re-enqueues it for when that lease ends.
    queue.sent.length = 0;
    expect(await sweepPending(deps, 0, { queueLost: true })).toEqual({ requeued: 1, storedEvents: 0 });
    const { ticket } = queue.sent[0]!;
    expect(ticket.dueAt).toBe(held!.leaseUntil! + 1_000);

    // The ticket surfaces seconds ahead; the take made at once loses to the lease, the one at the lead wins.
    clock.set(ticket.dueAt - 3_000);
    expect(await worker.deliver(ticket)).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    // Sent as soon as it is taken: it is overdue (its own due time passed with the dead worker).
    expect(sender.requests[0]!.at).toBe(ticket.dueAt - DEFAULT_ENGINE_SETTINGS.takeLeadMs);
    expect(sender.requests[0]!.at).toBeGreaterThan(held!.leaseUntil!);
  });
});

describe('the sweep and a backlogged queue', () => {
  it('re-enqueues an overdue message once per flight allowance, not on every sweep', async () => {
    const { deps, queue, clock } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // the ticket sits in a backlog (or was lost)
    clock.set(T0 + 5_000 + 61_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    for (let minute = 1; minute <= 4; minute += 1) {
      clock.advance(60_000);
      expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
    }
    // The allowance (5 min) and the grace (1 min) have passed and no worker took it: presumed lost.
    clock.advance(3 * 60_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent).toHaveLength(2);
  });

  it('hands each overdue message on once when two sweeps run at once (a run longer than its minute), counted once', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 5; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // their tickets were lost
    clock.set(T0 + 5_000 + 61_000);
    // The first run reads the pending index and is held up (a slow store) before it moves anything...
    let release!: () => void;
    const heldUp = new Promise<void>((resolve) => {
      release = resolve;
    });
    const defer = store.deferPending.bind(store);
    let slow = true;
    store.deferPending = async (ref, untilMs) => {
      if (slow) await heldUp;
      return defer(ref, untilMs);
    };
    const firstRun = sweepPending(deps, -60_000);
    await new Promise((resolve) => setImmediate(resolve));
    // ...past its minute: the next run reads the same messages and hands them on.
    slow = false;
    clock.advance(60_000);
    const second = await sweepPending(deps, -60_000);
    release();
    const first = await firstRun;
    expect(second.requeued).toBe(5);
    expect(first.requeued).toBe(0);
    expect(queue.sent).toHaveLength(5);
    expect(new Set(queue.sent.map((s) => s.ticket.messageId)).size).toBe(5);
  });

  it('leaves alone a message another sweep moved on between its read of the index and its read of the message', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 5; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // their tickets were lost
    clock.set(T0 + 5_000 + 61_000);
    // The index read finds them overdue; before each message is read, another sweep (the local
    // stack's start-up read, say) hands it on: the message, read now, is a flight allowance on.
    const raced: MessageStore = Object.create(store);
    raced.pendingBefore = async function* (beforeMs) {
      const entries: PendingRef[] = [];
      for await (const ref of store.pendingBefore(beforeMs)) entries.push(ref);
      for (const ref of entries) {
        const movedTo = clock.now() + DEFAULT_ENGINE_SETTINGS.flightAllowanceMs;
        expect(await store.deferPending(ref, movedTo)).toBe(true);
        yield { ...ref, pendingAt: movedTo };
      }
    };

    expect(await sweepPending({ ...deps, store: raced }, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
    expect(queue.sent).toEqual([]);
  });

  it('hands on no more than its run budget allows on a slow store, and the next run goes on where it stopped', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 1_000; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // a day's backlog: their tickets were lost
    clock.set(T0 + 5_000 + 61_000);
    // A store in trouble: each move in the index takes 100 ms (the SDK's retries), a page 10 s.
    const defer = store.deferPending.bind(store);
    store.deferPending = async (ref, untilMs) => {
      clock.advance(100);
      return defer(ref, untilMs);
    };
    const run = () => sweepPending(deps, -60_000, { budgetMs: SWEEP_RUN_BUDGET_MS });
    // 40 s of budget: four pages of 100, and the run ends inside its minute.
    const started = clock.now();
    expect(await run()).toEqual({ requeued: 400, storedEvents: 0 });
    expect(clock.now() - started).toBeLessThan(60_000);
    clock.set(started + 60_000);
    expect(await run()).toEqual({ requeued: 400, storedEvents: 0 });
    clock.set(started + 120_000);
    expect(await run()).toEqual({ requeued: 200, storedEvents: 0 });
    expect(new Set(queue.sent.map((s) => s.ticket.messageId)).size).toBe(1_000);
    expect(queue.sent).toHaveLength(1_000);
  });

  /**
   * The pending index as DynamoDB pages it: by place, 100 entries at a time, each page read from after
   * the last entry of the one before it, as the entries are then: one a sweep moved further on is
   * read again there.
   */
  const pagedIndex = (store: MessageStore): MessageStore => {
    const paged: MessageStore = Object.create(store);
    paged.pendingBefore = async function* (beforeMs) {
      const placeOf = (ref: PendingRef) => [ref.pendingAt ?? ref.dueAt, ref.messageId] as const;
      const isAfter = (ref: PendingRef, [at, id]: readonly [number, string]) =>
        placeOf(ref)[0] > at || (placeOf(ref)[0] === at && ref.messageId > id);
      let last: readonly [number, string] | undefined;
      for (;;) {
        const entries: PendingRef[] = [];
        for await (const ref of store.pendingBefore(beforeMs)) if (!last || isAfter(ref, last)) entries.push(ref);
        const page = entries
          .sort((a, b) => placeOf(a)[0] - placeOf(b)[0] || a.messageId.localeCompare(b.messageId))
          .slice(0, 100);
        yield* page;
        if (page.length < 100) return;
        last = placeOf(page.at(-1)!);
      }
    };
    return paged;
  };

  it('goes on at a start-up, run after run of one budget each where the last stopped, until it has seen the whole near window: each message once', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 1_000; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 30 }));
    queue.sent.length = 0; // the local stack stopped: its queue did not survive
    clock.set(T0 + 10_000);
    const defer = store.deferPending.bind(store);
    store.deferPending = async (ref, untilMs) => {
      clock.advance(100); // a page of 100 takes 10 s
      return defer(ref, untilMs);
    };
    const runs = pendingRuns({ ...deps, store: pagedIndex(store) }, DEFAULT_ENGINE_SETTINGS.nearWindowMs, {
      queueLost: true,
      budgetMs: SWEEP_RUN_BUDGET_MS,
    });
    const seen: PendingRun[] = [];
    for await (const run of runs) seen.push(run);
    // Each run four pages (40 s), the last two; moved a flight allowance on, still within the look
    // (30 s + 300 s), the first runs' messages are read again, and left alone.
    expect(seen).toEqual([
      { requeued: 400, storedEvents: 0, done: false },
      { requeued: 400, storedEvents: 0, done: false },
      { requeued: 200, storedEvents: 0, done: true },
    ]);
    expect(new Set(queue.sent.map((s) => s.ticket.messageId)).size).toBe(1_000);
    expect(queue.sent).toHaveLength(1_000);
  });

  it('leaves alone, in a read that takes over from a failed one, what that one handed on', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 300; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 30 }));
    queue.sent.length = 0; // the local stack stopped: its queue did not survive
    clock.set(T0 + 10_000);
    const enqueue = queue.enqueue.bind(queue);
    let enqueues = 0;
    queue.enqueue = async (entries) => {
      enqueues += 1;
      if (enqueues === 3) throw new Error('SQS throttled past its retries (injected)');
      return enqueue(entries);
    };
    const handedOn = new Set<string>();
    const read = () =>
      pendingRuns({ ...deps, store: pagedIndex(store) }, DEFAULT_ENGINE_SETTINGS.nearWindowMs, {
        queueLost: true,
        handedOn,
      });
    await expect(read().next()).rejects.toThrow(/injected/); // two pages handed on, the third failed
    expect(queue.sent).toHaveLength(200);
    expect((await read().next()).value).toEqual({ requeued: 100, storedEvents: 0, done: true });
    expect(new Set(queue.sent.map((s) => s.ticket.messageId)).size).toBe(300);
    expect(queue.sent).toHaveLength(300);
  });

  it('leaves alone, in a start-up read, what a periodic run meanwhile handed on where it moved it: each message once', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 300; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // the local stack stopped: its queue did not survive
    clock.set(T0 + 5_000 + 61_000);
    const defer = store.deferPending.bind(store);
    store.deferPending = async (ref, untilMs) => {
      clock.advance(1); // each page spends the start-up's budget
      return defer(ref, untilMs);
    };
    const handedOn = new Set<string>();
    const startUp = pendingRuns({ ...deps, store: pagedIndex(store) }, DEFAULT_ENGINE_SETTINGS.nearWindowMs, {
      queueLost: true,
      budgetMs: 1,
      handedOn,
    });
    expect((await startUp.next()).value).toEqual({ requeued: 100, storedEvents: 0, done: false });
    // A periodic run while it goes on: the other 200, overdue past the grace, moved a flight
    // allowance on (within the start-up's look), where its read finds them again.
    expect(await sweepPending(deps, -60_000, { noteIn: handedOn })).toEqual({ requeued: 200, storedEvents: 0 });
    const rest: PendingRun[] = [];
    for await (const run of startUp) rest.push(run);
    expect(rest.reduce((sum, run) => sum + run.requeued, 0)).toBe(0);
    expect(new Set(queue.sent.map((s) => s.ticket.messageId)).size).toBe(300);
    expect(queue.sent).toHaveLength(300);
  });

  it('hands on no further page once a start-up sweep is told to stop: its runs end without a last one', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 300; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 30 }));
    queue.sent.length = 0;
    clock.set(T0 + 10_000);
    const stopping = new AbortController();
    const runs = pendingRuns(deps, DEFAULT_ENGINE_SETTINGS.nearWindowMs, {
      queueLost: true,
      budgetMs: 1,
      signal: stopping.signal,
    });
    const defer = store.deferPending.bind(store);
    store.deferPending = async (ref, untilMs) => {
      clock.advance(1); // each page spends the budget
      return defer(ref, untilMs);
    };
    expect((await runs.next()).value).toEqual({ requeued: 100, storedEvents: 0, done: false });
    stopping.abort();
    expect(await runs.next()).toEqual({ done: true, value: undefined });
    expect(queue.sent).toHaveLength(100);
  });

  it('leaves an overdue message where the next sweep finds it when its re-enqueue fails, not a flight allowance later', async () => {
    const { deps, queue, clock } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // the ticket was lost
    clock.set(T0 + 5_000 + 61_000);
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async () => {
      throw new Error('SQS throttled past its retries (injected)');
    };
    await expect(sweepPending(deps, -60_000)).rejects.toThrow(/injected/);
    queue.enqueue = enqueue;
    clock.advance(60_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent).toHaveLength(1);
  });

  it('finds a held message at its due time (a take does not move it) and leaves it to its worker until its lease ends', async () => {
    const { deps, queue, clock, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    clock.set(T0 + 5_000);
    // A long lease: its worker holds it past the grace.
    const taken = await store.take(
      { tenantId: TENANT, messageId: message.id, version: 0, dueAt: T0 + 5_000 },
      clock.now(),
      clock.now() + 170_000,
    );
    const leaseUntil = taken!.leaseUntil!;
    queue.sent.length = 0;
    clock.advance(90_000);
    const overdueByPlace: string[] = [];
    for await (const ref of store.pendingBefore(clock.now() - 60_000)) overdueByPlace.push(ref.messageId);
    expect(overdueByPlace).toEqual([message.id]); // in the index at its due time
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
    expect(store.writes.at(-1)?.op).toBe('take'); // not even deferred: its lease says it is not overdue
    // Its worker died: once the lease and the grace have passed, the sweep hands it out again.
    clock.set(leaseUntil + 62_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent[0]!.ticket).toMatchObject({ messageId: message.id, dueAt: leaseUntil + 1_000 });
  });

  it('after a restart that lost the queue, re-enqueues a deferred message all the same', async () => {
    const { deps, queue, clock } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 600 }));
    // Start-up: the queue is empty, the sweep re-enqueues what is due within the near window (and defers it).
    expect(await sweepPending(deps, DEFAULT_ENGINE_SETTINGS.nearWindowMs, { queueLost: true })).toEqual({
      requeued: 1,
      storedEvents: 0,
    });
    // Another restart a minute later: that ticket is gone too, so the deferral must not hide the message.
    clock.advance(60_000);
    queue.sent.length = 0;
    expect(await sweepPending(deps, DEFAULT_ENGINE_SETTINGS.nearWindowMs, { queueLost: true })).toEqual({
      requeued: 1,
      storedEvents: 0,
    });
    expect(queue.sent[0]!.ticket).toMatchObject({ messageId: message.id, dueAt: T0 + 600_000 });
    // The periodic sweep, meanwhile, leaves it to its ticket.
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
  });

  it('after a restart, re-enqueues what the dead worker held for the end of its lease, past the horizon', async () => {
    const { deps, queue, clock, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    clock.set(T0 + 5_000);
    // The worker took it (and perhaps sent it), then the process died before the record.
    const taken = await store.take(
      { tenantId: TENANT, messageId: message.id, version: 0, dueAt: T0 + 5_000 },
      clock.now(),
      clock.now() + DEFAULT_ENGINE_SETTINGS.leaseMarginMs,
    );
    const leaseUntil = taken!.leaseUntil!;
    queue.sent.length = 0;
    clock.advance(2_000);
    // A near window of 5 s (the chaos suite's) ends long before the lease: the message is taken all the same.
    expect(await sweepPending(deps, 5_000, { queueLost: true })).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent[0]!.ticket).toMatchObject({ messageId: message.id, dueAt: leaseUntil + 1_000 });
    // The periodic sweep leaves a held message alone while its lease runs.
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
  });

  it('does not re-enqueue a message that moved on after the index was read', async () => {
    const { deps, queue, clock, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0;
    clock.set(T0 + 70_000);
    const stale = { tenantId: TENANT, messageId: message.id, version: 0, status: 'queued' as const, dueAt: T0 + 5_000 };
    await store.take(
      { tenantId: TENANT, messageId: message.id, version: 0, dueAt: stale.dueAt },
      clock.now(),
      clock.now() + 1,
    );
    expect(await store.deferPending(stale, clock.now() + 300_000)).toBe(false);
  });
});
