/**
 * Flow control per destination, through the whole local stack (API, queue, worker, dynalite) and a
 * real receiver: a burst of 100 messages due at the same instant to one flow key is held to its
 * parallelism or its rate, every message is delivered once, none early, and each attempt that
 * waited says so (`latenessReason: flow-control`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_GUARD_MS, RATE_START_TOLERANCE_MS } from '@vigil/core';
import { apiClient, startTestStack } from '../../test-support/local-stack';
import { mostInOneSecond } from '../../test-support/time-windows';

interface Arrival {
  webhookId: string;
  arrivedAt: number;
}

/** A receiver that answers each request after `holdMs`, counting how many it has in flight. */
const startReceiver = async (holdMs: number) => {
  const arrivals: Arrival[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    const arrivedAt = Date.now();
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    arrivals.push({ webhookId: String(req.headers['webhook-id']), arrivedAt });
    req.resume();
    setTimeout(() => {
      inFlight -= 1;
      res.writeHead(200).end('ok');
    }, holdMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    maxInFlight: () => maxInFlight,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
};

let stack: LocalStack;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(stack.url, stack.apiKey);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

interface Delivered {
  id: string;
  sendAt: string;
  status: string;
  lastAttempt?: { startedAt: string; latenessMs: number; latenessReason?: string };
}

/** Creates `count` messages due at one instant, in one batch, all to the same flow key. */
const burst = async (url: string, count: number, flowControl: Record<string, unknown>, inMs = 3_000) => {
  const sendAt = new Date(Math.ceil((Date.now() + inMs) / 1000) * 1000).toISOString();
  const created = await api.post('/v1/messages/batch', {
    messages: Array.from({ length: count }, (_, i) => ({ url, sendAt, body: { i }, flowControl })),
  });
  expect(created.status).toBe(201);
  return { sendAt: Date.parse(sendAt), ids: (created.json.items as Array<{ id: string }>).map((m) => m.id) };
};

/**
 * Waits until the receiver has had every message (cheap: no API calls meanwhile, which would load
 * the machine the timing is measured on), then until the API shows each delivered.
 */
const allDelivered = async (
  arrivals: readonly Arrival[],
  ids: readonly string[],
  timeoutMs: number,
): Promise<Delivered[]> => {
  const until = Date.now() + timeoutMs;
  const wanted = new Set(ids);
  while (arrivals.filter((a) => wanted.has(a.webhookId)).length < ids.length) {
    if (Date.now() > until)
      throw new Error(`the receiver had ${arrivals.length} of ${ids.length} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (;;) {
    const messages = await Promise.all(ids.map(async (id) => (await api.get(`/v1/messages/${id}`)).json as Delivered));
    if (messages.every((m) => m.status === 'delivered')) return messages;
    if (Date.now() > until) {
      const counts = messages.reduce<Record<string, number>>(
        (c, m) => ({ ...c, [m.status]: (c[m.status] ?? 0) + 1 }),
        {},
      );
      throw new Error(`not all delivered after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
};

const expectOnceEachNoneEarly = (arrivals: readonly Arrival[], ids: readonly string[], sendAt: number) => {
  const mine = arrivals.filter((a) => ids.includes(a.webhookId));
  expect(mine).toHaveLength(ids.length);
  expect(new Set(mine.map((a) => a.webhookId)).size).toBe(ids.length);
  expect(Math.min(...mine.map((a) => a.arrivedAt))).toBeGreaterThanOrEqual(sendAt);
  return mine;
};

describe('flow control with parallelism = 2', () => {
  it('never has more than 2 requests in flight at the receiver under a burst of 100, and delivers all', async () => {
    // Prepare: a receiver that takes 40 ms per request, so a third request would overlap.
    const receiver = await startReceiver(40);
    try {
      // Act
      const { sendAt, ids } = await burst(receiver.url, 100, { key: 'slow-receiver', parallelism: 2 });
      const messages = await allDelivered(receiver.arrivals, ids, 60_000);

      // Assess: two in flight at most (and two used), everyone once, none early.
      expect(receiver.maxInFlight()).toBe(2);
      expectOnceEachNoneEarly(receiver.arrivals, ids, sendAt);
      for (const m of messages) {
        expect(Date.parse(m.lastAttempt!.startedAt)).toBeGreaterThanOrEqual(sendAt);
      }
      // 100 requests of 40 ms two at a time take about 2 s: all but the first two waited, and say why.
      const held = messages.filter((m) => m.lastAttempt?.latenessReason === 'flow-control');
      expect(held.length).toBeGreaterThanOrEqual(98);
      expect(Math.max(...held.map((m) => m.lastAttempt!.latenessMs))).toBeGreaterThanOrEqual(1_500);
    } finally {
      await receiver.stop();
    }
  }, 90_000);
});

describe('a message held at a full key', () => {
  it('can be cancelled while its worker holds it for a turn, and is never sent', async () => {
    // Prepare: one turn, taken by a request the receiver answers after 4 s; the other message waits.
    const receiver = await startReceiver(4_000);
    try {
      const { ids } = await burst(receiver.url, 2, { key: 'one-at-a-time', parallelism: 1 }, 1_000);

      // Act: once the waiting one shows it is held, cancel it.
      let held: { id: string; status: string } | undefined;
      for (const until = Date.now() + 15_000; held === undefined && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 250));
        const views = await Promise.all(ids.map(async (id) => (await api.get(`/v1/messages/${id}`)).json));
        held = views.find((m) => m.heldByFlowControlSince !== undefined);
      }
      expect(held).toMatchObject({ status: 'delivering' });
      const cancelled = await api.delete(`/v1/messages/${held!.id}`);

      // Assess: cancelled at once; the other delivered; the cancelled one never arrives, even after
      // the turn it waited for came.
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.status).toBe('cancelled');
      const other = ids.find((id) => id !== held!.id)!;
      await allDelivered(receiver.arrivals, [other], 20_000);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(receiver.arrivals.map((a) => a.webhookId)).toEqual([other]);
      expect((await api.get(`/v1/messages/${held!.id}`)).json.status).toBe('cancelled');
    } finally {
      await receiver.stop();
    }
  }, 60_000);
});

describe('flow control with ratePerSecond = 5', () => {
  it('starts no more than 5 requests in any one-second window under a burst of 100, and delivers all', async () => {
    // Prepare
    const receiver = await startReceiver(1);
    try {
      // Act: 100 at 5 a second is about 22 s; the tail is held past one take's 15 s and goes
      // back to the queue to wait its turn.
      const { sendAt, ids } = await burst(receiver.url, 100, { key: 'rate-limited', ratePerSecond: 5 });
      const messages = await allDelivered(receiver.arrivals, ids, 90_000);

      // Assess: exactly 5 at most in any second where Vigil starts them (the attempts' startedAt);
      // everyone once, none early.
      const mine = expectOnceEachNoneEarly(receiver.arrivals, ids, sendAt);
      expect(mostInOneSecond(messages.map((m) => Date.parse(m.lastAttempt!.startedAt)))).toBe(5);
      // At the receiver too, as long as the way there varies by less than the guard's margin
      // (RATE_GUARD_MS - RATE_START_TOLERANCE_MS): Vigil cannot hold back a network or an event
      // loop that is late. On a loaded machine a request that took longer may share a second with
      // the next one, and no more.
      const started = new Map(messages.map((m) => [m.id, Date.parse(m.lastAttempt!.startedAt)]));
      const ways = mine.map((a) => a.arrivedAt - started.get(a.webhookId)!);
      const margin = RATE_GUARD_MS - RATE_START_TOLERANCE_MS;
      const atReceiver = mostInOneSecond(mine.map((a) => a.arrivedAt));
      if (Math.max(...ways) - Math.min(...ways) < margin) expect(atReceiver).toBe(5);
      else expect(atReceiver).toBeLessThanOrEqual(6);
      const span = Math.max(...mine.map((a) => a.arrivedAt)) - sendAt;
      expect(span).toBeGreaterThanOrEqual(21_000);
      // Lateness is recorded, from the instant each was due, with its reason.
      const held = messages.filter((m) => m.lastAttempt?.latenessReason === 'flow-control');
      expect(held.length).toBeGreaterThanOrEqual(99);
      for (const m of messages) {
        const late = Date.parse(m.lastAttempt!.startedAt) - Date.parse(m.sendAt);
        expect(m.lastAttempt!.latenessMs).toBe(late);
      }
      expect(Math.max(...messages.map((m) => m.lastAttempt!.latenessMs))).toBeGreaterThanOrEqual(21_000);
    } finally {
      await receiver.stop();
    }
  }, 150_000);
});

describe('flowControl at the edge', () => {
  it('refuses limits out of bounds, a key without a limit and a bad key with 422s naming the field', async () => {
    const url = 'http://127.0.0.1:9/x';
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ key: 'a', parallelism: 0 }, 'flowControl.parallelism', /1/],
      [{ key: 'a', parallelism: 1001 }, 'flowControl.parallelism', /1000/],
      [{ key: 'a', ratePerSecond: 501 }, 'flowControl.ratePerSecond', /500/],
      [{ key: 'a' }, 'flowControl', /give parallelism, ratePerSecond or both/],
      [{ key: 'x'.repeat(65), parallelism: 1 }, 'flowControl.key', /64/],
      [{ key: 'has space', parallelism: 1 }, 'flowControl.key', /letters, digits/],
    ];
    for (const [flowControl, path, message] of cases) {
      const refused = await api.post('/v1/messages', { url, delay: 60, flowControl });
      expect(refused.status, JSON.stringify(flowControl)).toBe(422);
      expect(refused.json.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    }
  });

  it('shows flowControl on the message, changes it with PATCH and removes it with null', async () => {
    const created = await api.post('/v1/messages', {
      url: 'http://127.0.0.1:9/x',
      delay: 600,
      flowControl: { key: 'api.example.com', parallelism: 3 },
    });
    expect(created.json.flowControl).toEqual({ key: 'api.example.com', parallelism: 3 });
    const id = created.json.id as string;
    const changed = await api.patch(`/v1/messages/${id}`, { flowControl: { key: 'other', ratePerSecond: 10 } });
    expect(changed.status).toBe(200);
    expect((await api.get(`/v1/messages/${id}`)).json.flowControl).toEqual({ key: 'other', ratePerSecond: 10 });
    const listed = await api.get('/v1/messages?limit=5');
    expect(listed.json.items.find((m: { id: string }) => m.id === id)?.flowControl).toEqual({
      key: 'other',
      ratePerSecond: 10,
    });
    await api.patch(`/v1/messages/${id}`, { flowControl: null });
    expect((await api.get(`/v1/messages/${id}`)).json.flowControl).toBeUndefined();
  });
});
