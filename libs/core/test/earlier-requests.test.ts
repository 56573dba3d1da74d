/**
 * An attempt tells where it went once the message was changed since: the PATCH of a message's url,
 * method, headers or body stamps what the attempts already sent went with, once per change; the
 * delivery path adds nothing. With memory ports and a fixed clock.
 */
import { describe, expect, it } from 'vitest';
import type { Attempt, Message, MessageIn, NotificationEndpoint } from '../src';
import {
  EARLIER_REQUESTS_BUDGET_BYTES,
  failureNotificationsFor,
  latestAttemptSentAs,
  MessageIn as MessageInSchema,
  patchMessage,
  redeliverMessage,
  scheduleMessage,
  toAttemptList,
  toMessageOut,
  withEarlierRequests,
} from '../src';
import { deliveryHarness } from './memory-ports';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD = 'https://old.example.com/hook';
const NEW = 'https://new.example.com/hook';

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: OLD, delay: 10, retry: { maxAttempts: 5 }, ...over });

/** A message retrying after a 500, its receiver's answers scripted from then on. */
const retryingAfterA500 = async (answers: number[], over: Partial<Record<string, unknown>> = {}) => {
  const h = deliveryHarness({
    t0: T0,
    secret: SECRET,
    script: [500, ...answers].map((statusCode) => ({ statusCode })),
  });
  const { message } = await scheduleMessage(h.deps, TENANT, input(over));
  expect(await h.deliverLatest()).toBe('retrying');
  const stored = () => h.store.messages.get(message.id)!;
  return { ...h, id: message.id, stored, list: () => toAttemptList(stored()).items };
};

describe("an attempt made before the message's request changed", () => {
  it('says it went to the old URL with the old body, and the one after the change went to the new', async () => {
    const h = await retryingAfterA500([200], { body: { v: 1 } });

    await patchMessage(h.deps, TENANT, h.id, { url: NEW, body: { v: 2 } });
    expect(await h.deliverLatest()).toBe('delivered');

    expect(h.sender.requests.map((r) => [r.url, r.body])).toEqual([
      [OLD, '{"v":1}'],
      [NEW, '{"v":2}'],
    ]);
    const [first, second] = h.list();
    expect(first).toMatchObject({ n: 1, url: OLD, method: 'POST', differs: ['url', 'body'] });
    // Its headers can no longer be derived from the message: none are shown rather than wrong ones.
    expect(first).not.toHaveProperty('sentHeaders');
    expect(second).toMatchObject({ n: 2, url: NEW, method: 'POST' });
    expect(second).not.toHaveProperty('differs');
    expect(second!.sentHeaders).toMatchObject({ host: 'new.example.com', 'vigil-attempt': '2' });
  });

  it('tells each attempt its own URL, method, headers and body across several changes', async () => {
    const h = await retryingAfterA500([500, 500, 500, 200], { headers: { 'x-v': '1' } });
    const MIDDLE = 'https://middle.example.com/hook';
    await patchMessage(h.deps, TENANT, h.id, { url: MIDDLE }); // after attempt 1
    await h.deliverLatest();
    await patchMessage(h.deps, TENANT, h.id, { headers: { 'x-v': '2' }, method: 'PUT' }); // after attempt 2
    await h.deliverLatest();
    await patchMessage(h.deps, TENANT, h.id, { url: NEW }); // after attempt 3
    expect(await h.deliverLatest()).toBe('retrying');
    await h.deliverLatest();

    expect(h.sender.requests.map((r) => `${r.method} ${r.url} ${r.headers['x-v']}`)).toEqual([
      `POST ${OLD} 1`,
      `POST ${MIDDLE} 1`,
      `PUT ${MIDDLE} 2`,
      `PUT ${NEW} 2`,
      `PUT ${NEW} 2`,
    ]);
    expect(h.list().map(({ n, url, method, differs }) => ({ n, url, method, differs }))).toEqual([
      { n: 1, url: OLD, method: 'POST', differs: ['url', 'method', 'headers'] },
      { n: 2, url: MIDDLE, method: 'POST', differs: ['url', 'method', 'headers'] },
      { n: 3, url: MIDDLE, method: 'PUT', differs: ['url'] },
      { n: 4, url: NEW, method: 'PUT', differs: undefined },
      { n: 5, url: NEW, method: 'PUT', differs: undefined },
    ]);
    // Three changes, one entry each, never one per attempt.
    expect(h.stored().earlierRequests).toHaveLength(3);
  });

  it('reads as the message again once a change is undone: changed back, nothing differs', async () => {
    const h = await retryingAfterA500([500]);
    await patchMessage(h.deps, TENANT, h.id, { url: NEW });
    await patchMessage(h.deps, TENANT, h.id, { url: OLD });

    const [first] = h.list();
    expect(first).toMatchObject({ url: OLD });
    expect(first).not.toHaveProperty('differs');
    expect(first!.sentHeaders).toMatchObject({ host: 'old.example.com' });
  });

  it('stamps nothing when the change keeps the request (labels, a reschedule) or when nothing was sent yet', async () => {
    const h = await retryingAfterA500([200]);
    await patchMessage(h.deps, TENANT, h.id, { labels: ['looked-at'], metadata: { a: 'b' }, url: OLD });
    expect(h.stored()).not.toHaveProperty('earlierRequests');

    const { message } = await scheduleMessage(h.deps, TENANT, input({ delay: 600 }));
    await patchMessage(h.deps, TENANT, message.id, { url: NEW, body: 'changed before any attempt' });
    expect(h.store.messages.get(message.id)).not.toHaveProperty('earlierRequests');
  });

  it('adds nothing to the message on the delivery path: a message never changed delivers without a stamp', async () => {
    const h = await retryingAfterA500([500, 200]);
    await h.deliverLatest();
    await h.deliverLatest();
    expect(h.stored().status).toBe('delivered');
    expect(h.stored()).not.toHaveProperty('earlierRequests');
    expect(h.list().map((a) => a.url)).toEqual([OLD, OLD, OLD]);
  });

  it("keeps an earlier round's URL when a redelivered message is changed before its new round's first attempt", async () => {
    const h = await retryingAfterA500([200, 200]);
    await h.deliverLatest();
    expect(h.stored().status).toBe('delivered');

    await redeliverMessage(h.deps, TENANT, h.id);
    // Far enough ahead that it can still be changed once redelivered.
    await patchMessage(h.deps, TENANT, h.id, { url: NEW, delay: 600 });
    expect(await h.deliverLatest()).toBe('delivered');

    expect(h.list().map(({ n, round, url, differs }) => ({ n, round, url, differs }))).toEqual([
      { n: 1, round: 0, url: OLD, differs: ['url'] },
      { n: 2, round: 0, url: OLD, differs: ['url'] },
      { n: 3, round: 1, url: NEW, differs: undefined },
    ]);
  });
});

describe("the message's lastAttempt", () => {
  it('says where the latest attempt went, as the attempt list does, once a change since made it differ', async () => {
    const h = await retryingAfterA500([500], { body: { v: 1 } });
    expect(toMessageOut(h.stored(), { withBody: false }).lastAttempt).toMatchObject({ n: 1, url: OLD, method: 'POST' });

    await patchMessage(h.deps, TENANT, h.id, { url: NEW, body: { v: 2 } });

    const last = toMessageOut(h.stored(), { withBody: false }).lastAttempt;
    expect(last).toMatchObject({ n: 1, url: OLD, method: 'POST', differs: ['url', 'body'] });
    const [first] = h.list();
    expect(last).toMatchObject({ url: first!.url, method: first!.method, differs: first!.differs });
    // What a listing's summary keeps of it (the store writes it with the message, at the PATCH).
    expect(latestAttemptSentAs(h.stored())).toEqual({ url: OLD, method: 'POST', differs: ['url', 'body'] });
  });

  it('is the message as it is for an attempt sent after the change, with nothing kept for a listing on the delivery path', async () => {
    const h = await retryingAfterA500([500, 500], { retry: { maxAttempts: 2 } });
    await patchMessage(h.deps, TENANT, h.id, { url: NEW });
    expect(await h.deliverLatest()).toBe('failed');

    const message = toMessageOut(h.stored(), { withBody: false });
    expect(message.lastAttempt).toMatchObject({ n: 2, url: NEW, method: 'POST' });
    expect(message.lastAttempt).not.toHaveProperty('differs');
    expect(latestAttemptSentAs(h.stored())).toBeUndefined();
    // The message.failed event carries the message so.
    const [event] = failureNotificationsFor(
      h.stored(),
      [{ id: 'nep_1', url: 'https://ops.example.com/alerts', events: ['message.failed'] } as NotificationEndpoint],
      T0,
      h.deps.settings,
    );
    expect(JSON.parse(event!.body)).toMatchObject({
      data: { message: { lastAttempt: { n: 2, url: NEW, method: 'POST' } } },
    });
  });
});

describe('the stamps, bounded', () => {
  const attempt = (n: number): Attempt => ({
    n,
    startedAt: new Date(T0 + n).toISOString(),
    durationMs: 1,
    latenessMs: 0,
    statusCode: 500,
  });
  const base: Message = {
    id: 'msg_01JF00000000000000000000B1',
    tenantId: TENANT,
    status: 'retrying',
    url: OLD,
    method: 'POST',
    headers: {},
    body: '',
    bodyKind: 'none',
    sendAt: T0,
    dueAt: T0,
    createdAt: T0,
    updatedAt: T0,
    maxAttempts: 20,
    timeoutMs: 10_000,
    metadata: {},
    attempts: [],
    roundStart: 0,
    version: 1,
  };
  /** The longest URL there is, 2,048 characters of three UTF-8 bytes after its host, distinct by `i`. */
  const longestUrl = (i: number) => {
    const start = `https://example.com/${i}/`;
    return `${start}${'€'.repeat(2048 - start.length)}`;
  };

  it('stays within its byte budget when every one of 50 kept attempts was followed by a change to the longest URL', () => {
    let message: Message = { ...base, url: longestUrl(0) };
    for (let n = 1; n <= 120; n += 1) {
      const attempts = [...message.attempts, attempt(n)].slice(-50);
      const current = { ...message, attempts };
      message = withEarlierRequests(current, {
        ...current,
        url: longestUrl(n),
        body: `b${n}`,
        bodyKind: 'text',
        method: n % 2 ? 'PUT' : 'POST',
      });
    }
    const entries = message.earlierRequests!;
    expect(entries).toHaveLength(50); // one per kept attempt; those about attempts no longer kept are gone
    expect(entries[0]!.upTo).toBe(71);
    expect(Buffer.byteLength(JSON.stringify(entries))).toBeLessThanOrEqual(EARLIER_REQUESTS_BUDGET_BYTES);

    const items = toAttemptList(message).items;
    // The latest changes keep their URLs; the oldest keep their digests, so their attempts still say they differ.
    expect(items.at(-1)).toMatchObject({ n: 120, url: longestUrl(119), differs: ['url', 'method', 'body'] });
    // Attempt 71 went with the method the message has again now (POST): only its URL and body differ.
    expect(items[0]).toMatchObject({ n: 71, method: 'POST', differs: ['url', 'body'] });
    expect(items[0]).not.toHaveProperty('url');
    expect(items.every((a) => a.differs?.includes('url'))).toBe(true);
  });
});
