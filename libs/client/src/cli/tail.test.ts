import { describe, expect, it, vi } from 'vitest';
import { errorFromResponse, VigilNetworkError } from '../errors';
import type { Api, Attempt, Message, MessagePage, MessageStatus } from './api';
import type { Output } from './output';
import { createOutput } from './output';
import { printAttempt, stateAfter, tail } from './tail';

const quietOutput = (lines: string[]): Output =>
  ({
    json: true,
    data: (value: unknown) => void lines.push(JSON.stringify(value)),
    note: () => {},
  }) as unknown as Output;

/** An API holding `pending` messages in `queued` and one newest page; it records each listing asked for. */
const apiWith = (pending: number) => {
  const listings: Array<{ status?: MessageStatus[]; cursor?: string; urlPrefix?: string; label?: string }> = [];
  const queued = Array.from({ length: pending }, (_, i) => ({ id: `q${i}`, status: 'queued', attempts: 0 }) as Message);
  const api = {
    messages: {
      listPage: async (query: {
        status?: MessageStatus[];
        cursor?: string;
        limit?: number;
        urlPrefix?: string;
        label?: string;
      }): Promise<MessagePage> => {
        listings.push({
          ...(query.status && { status: query.status }),
          ...(query.cursor && { cursor: query.cursor }),
          ...(query.urlPrefix && { urlPrefix: query.urlPrefix }),
          ...(query.label && { label: query.label }),
        });
        if (!query.status) return { items: [], nextCursor: null, previousCursor: null };
        const from = Number(query.cursor ?? 0);
        const to = from + (query.limit ?? 20);
        return { items: queued.slice(from, to), nextCursor: to < pending ? String(to) : null, previousCursor: null };
      },
    },
  } as unknown as Api;
  return { api, listings };
};

const onePoll = async (api: Api) => {
  const controller = new AbortController();
  // The poll runs before the first wait; the wait sees the abort and the loop ends.
  const done = tail(api, quietOutput([]), { intervalMs: 60_000, signal: controller.signal, since: 0 });
  controller.abort();
  await done;
};

describe('vigil tail: what a poll costs', () => {
  it('lists the newest page and the pending messages in one listing of the three statuses: 2 calls', async () => {
    const { api, listings } = apiWith(40);

    await onePoll(api);

    expect(listings).toEqual([{}, { status: ['queued', 'delivering', 'retrying'] }]);
  });

  it('follows one endpoint only with --url-prefix (and --label): both listings are narrowed, so the others failing are not printed', async () => {
    const { api, listings } = apiWith(40);
    const controller = new AbortController();
    const done = tail(api, quietOutput([]), {
      intervalMs: 60_000,
      signal: controller.signal,
      since: 0,
      filter: { urlPrefix: 'https://orders.test/', label: 'eu' },
    });
    controller.abort();
    await done;

    expect(listings).toEqual([
      { urlPrefix: 'https://orders.test/', label: 'eu' },
      { status: ['queued', 'delivering', 'retrying'], urlPrefix: 'https://orders.test/', label: 'eu' },
    ]);
  });

  it('follows up to 300 pending messages, in pages of 100', async () => {
    const { api, listings } = apiWith(1_000);

    await onePoll(api);

    expect(listings.filter((l) => l.status)).toEqual([
      { status: ['queued', 'delivering', 'retrying'] },
      { status: ['queued', 'delivering', 'retrying'], cursor: '100' },
      { status: ['queued', 'delivering', 'retrying'], cursor: '200' },
    ]);
  });
});

/** A call that answers only by rejecting when its signal aborts (an API that hangs); one without a signal never ends. */
const hanging = <T>(options?: { signal?: AbortSignal }): Promise<T> =>
  new Promise((_, fail) =>
    options?.signal?.addEventListener('abort', () => fail(options.signal!.reason), { once: true }),
  );

const endsWithin = (task: Promise<void>, ms: number) =>
  Promise.race([
    task.then(() => 'ended'),
    new Promise((done) => setTimeout(() => done(`still running after ${ms} ms`), ms)),
  ]);

describe('vigil tail: Ctrl-C', () => {
  it('stops at once while a listing hangs, without a "trying again" note', async () => {
    // Prepare
    const notes: string[] = [];
    const api = {
      messages: {
        listPage: (_query: unknown, options?: { signal?: AbortSignal }) => hanging<MessagePage>(options),
      },
    } as unknown as Api;
    const output = { ...quietOutput([]), note: (text: string) => void notes.push(text) } as Output;
    const controller = new AbortController();
    const running = tail(api, output, { intervalMs: 500, signal: controller.signal, since: 0 });

    // Act
    await new Promise((done) => setTimeout(done, 20));
    controller.abort();

    // Assess
    expect(await endsWithin(running, 200)).toBe('ended');
    expect(notes).toEqual([]);
  });

  it('stops at once while re-reading a message that finished hangs', async () => {
    // Prepare: the first poll sees a queued message; the second no longer lists it, so it is read by id.
    let polls = 0;
    let reading = false;
    const api = {
      messages: {
        listPage: async (query: { status?: MessageStatus[] }): Promise<MessagePage> => {
          if (!query.status) polls += 1;
          const items = query.status && polls === 1 ? [{ id: 'msg_a', status: 'queued', attempts: 0 } as Message] : [];
          return { items, nextCursor: null, previousCursor: null };
        },
        get: (_id: string, options?: { signal?: AbortSignal }) => {
          reading = true;
          return hanging<Message>(options);
        },
      },
    } as unknown as Api;
    const controller = new AbortController();
    const running = tail(api, quietOutput([]), { intervalMs: 500, signal: controller.signal, since: 0 });

    // Act
    await vi.waitFor(() => expect(reading).toBe(true), { timeout: 2_000 });
    controller.abort();

    // Assess
    expect(await endsWithin(running, 200)).toBe('ended');
  });
});

describe('vigil tail: an API that cannot be reached for a while', () => {
  it('notes the failure once, naming the API, while it lasts, and notes when the API answers again', async () => {
    // Prepare: three polls find the API down, the fourth finds it back.
    let polls = 0;
    const api = {
      messages: {
        listPage: async (query: { status?: MessageStatus[] }): Promise<MessagePage> => {
          if (!query.status) polls += 1;
          if (polls <= 3) throw new VigilNetworkError('fetch failed', { code: 'ECONNREFUSED' });
          return { items: [], nextCursor: null, previousCursor: null };
        },
      },
    } as unknown as Api;
    const notes: string[] = [];
    const output = { ...quietOutput([]), note: (text: string) => void notes.push(text) } as Output;
    const controller = new AbortController();

    // Act
    const running = tail(api, output, {
      intervalMs: 1,
      signal: controller.signal,
      since: 0,
      where: { apiUrl: 'http://127.0.0.1:4872' },
    });
    await vi.waitFor(() => expect(polls).toBeGreaterThanOrEqual(5), { timeout: 2_000 });
    controller.abort();
    await running;

    // Assess
    expect(notes).toEqual([
      'vigil: cannot reach the Vigil API at http://127.0.0.1:4872 (connection refused); trying again',
      'vigil: the API answers again',
    ]);
  });
});

describe('vigil tail: a rate limit that asks for a wait', () => {
  it("waits out a 429's Retry-After before polling again, and says how long", async () => {
    // Prepare: every listing refused, asking 30 s.
    let polls = 0;
    const api = {
      messages: {
        listPage: async (query: { status?: MessageStatus[] }): Promise<MessagePage> => {
          if (!query.status) polls += 1;
          throw errorFromResponse(
            429,
            { type: 'https://vigil.dev/problems/rate-limited', title: 'x', status: 429, detail: 'Too many requests.' },
            new Headers({ 'retry-after': '30' }),
          );
        },
      },
    } as unknown as Api;
    const notes: string[] = [];
    const output = { ...quietOutput([]), note: (text: string) => void notes.push(text) } as Output;
    const controller = new AbortController();

    // Act: a poll every millisecond, were it not for the Retry-After.
    const running = tail(api, output, { intervalMs: 1, signal: controller.signal, since: 0 });
    await new Promise((done) => setTimeout(done, 100));
    controller.abort();

    // Assess
    expect(await endsWithin(running, 200)).toBe('ended');
    expect(polls).toBe(1);
    expect(notes).toEqual(['vigil: Too many requests. (429); trying again in 30s']);
  });
});

/**
 * An API answering each poll from `script` (a poll starts with its newest-page listing; the last
 * step is held once reached): what it lists (pending and newest), and what a read by id and the
 * attempt list answer during it, which may be newer than the listing (read after it).
 */
interface PollStep {
  pending?: Message[];
  newest?: Message[];
  byId?: Record<string, Message>;
  attempts?: Record<string, Attempt[]>;
}
const scriptedApi = (script: PollStep[]) => {
  let polls = 0;
  const step = () => script[Math.min(polls, script.length) - 1] ?? {};
  const api = {
    messages: {
      listPage: async (query: { status?: MessageStatus[] }): Promise<MessagePage> => {
        if (!query.status) polls += 1;
        const items = (query.status ? step().pending : step().newest) ?? [];
        return { items, nextCursor: null, previousCursor: null };
      },
      get: async (id: string) => step().byId?.[id] ?? Promise.reject(new Error(`no ${id}`)),
      attempts: async (id: string) => ({ items: step().attempts?.[id] ?? [], omitted: 0 }),
    },
  } as unknown as Api;
  return { api, polls: () => polls };
};

const tailLines = async (script: PollStep[]) => {
  const { api, polls } = scriptedApi(script);
  const lines: string[] = [];
  const controller = new AbortController();
  const running = tail(api, quietOutput(lines), { intervalMs: 1, signal: controller.signal, since: 0 });
  await vi.waitFor(() => expect(polls()).toBeGreaterThan(script.length), { timeout: 2_000 });
  controller.abort();
  await running;
  return lines.map((line) => {
    const { status, attempt } = JSON.parse(line) as { status?: string; attempt: Attempt };
    return `attempt ${attempt.n} ${attempt.statusCode ?? attempt.error} ${status ?? '-'}`;
  });
};

const at = (n: number, statusCode: number, round: number): Attempt => ({
  n,
  statusCode,
  round,
  startedAt: new Date(Date.UTC(2026, 11, 7, 9, 0, n)).toISOString(),
  durationMs: 12,
  latenessMs: 3,
});
const msg = (status: MessageStatus, attempts: Attempt[]): Message =>
  ({
    id: 'msg_a',
    status,
    url: 'https://orders.test/hook',
    method: 'POST',
    updatedAt: '2026-12-07T09:00:00.000Z',
    attempts: attempts.length,
    ...(attempts.length > 0 && { lastAttempt: attempts.at(-1) }),
  }) as Message;

describe('vigil tail: the status beside an attempt is where that attempt left the message', () => {
  it('never prints a 200 as delivering: an attempt recorded after the listing read the message waits for the next poll', async () => {
    // Prepare: a failed message (two 503s) tail never saw is redelivered; the listing reads it
    // `delivering`, and its attempt list, read just after, already holds the redeliver's 200.
    const failedTwice = [at(1, 503, 0), at(2, 503, 0)];
    const delivered = [...failedTwice, at(3, 200, 1)];

    // Act
    const lines = await tailLines([
      {},
      { pending: [msg('delivering', failedTwice)], attempts: { msg_a: delivered } },
      { byId: { msg_a: msg('delivered', delivered) }, attempts: { msg_a: delivered } },
    ]);

    // Assess
    expect(lines).toEqual(['attempt 1 503 retrying', 'attempt 2 503 failed', 'attempt 3 200 delivered']);
  });

  it('prints no status beside a failure whose round is not recorded, rather than the status the message has now', async () => {
    // Prepare: a 503 recorded before Vigil kept rounds, then a 200 that does not say its round either:
    // whether the 503 left the message retrying or failed (then redelivered) is not known.
    const { round: _first, ...first } = at(1, 503, 0);
    const { round: _second, ...second } = at(2, 200, 0);

    // Act
    const lines = await tailLines([
      {},
      { pending: [msg('delivering', [])] },
      { byId: { msg_a: msg('delivered', [first, second]) }, attempts: { msg_a: [first, second] } },
    ]);

    // Assess
    expect(lines).toEqual(['attempt 1 503 -', 'attempt 2 200 delivered']);
  });

  it('does not print a delivered message again when a redeliver brings it back, nor its 200 as queued', async () => {
    // Prepare: delivered while tail ran, it leaves the lists (and tail's memory of pending ones);
    // a bulk redeliver then lists it `queued` with its one attempt, then delivered by a second.
    const first = [at(1, 200, 0)];
    const second = [...first, at(2, 200, 1)];

    // Act
    const lines = await tailLines([
      {},
      { pending: [msg('queued', [])] },
      { byId: { msg_a: msg('delivered', first) } },
      {},
      { pending: [msg('queued', first)] },
      { byId: { msg_a: msg('delivered', second) } },
    ]);

    // Assess
    expect(lines).toEqual(['attempt 1 200 delivered', 'attempt 2 200 delivered']);
  });
});

describe('stateAfter', () => {
  it('reads a failed latest attempt of a message a redeliver requeued as the failure that ended its round', () => {
    expect(stateAfter(msg('queued', [at(1, 503, 0)]), at(1, 503, 0))).toBe('failed');
    expect(stateAfter(msg('retrying', [at(1, 503, 0)]), at(1, 503, 0))).toBe('retrying');
    expect(stateAfter(msg('delivering', [at(1, 503, 0)]), at(1, 503, 0))).toBe('delivering');
  });

  it('cannot tell where a failure followed by another attempt left the message when the attempts do not say their round', () => {
    const { round: _first, ...first } = at(1, 503, 0);
    const { round: _second, ...second } = at(2, 503, 0);

    expect(stateAfter(msg('delivered', [first, second]), first, second)).toBeUndefined();
  });

  it('reads a failure followed by an attempt of round 0 as retrying, though the failure does not say its round', () => {
    // Prepare: the first attempt was recorded before Vigil kept rounds; the next one is of round 0, so both are.
    const { round: _first, ...first } = at(1, 503, 0);
    const second = at(2, 503, 0);

    // Act, Assess
    expect(stateAfter(msg('failed', [first, second]), first, second)).toBe('retrying');
  });
});

describe('printAttempt', () => {
  it('leaves the status out of a line when tail cannot tell it, instead of printing a placeholder', () => {
    // Prepare: an attempt whose round is not recorded, followed by another (stateAfter cannot tell).
    let stdout = '';
    const output = createOutput(
      { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } },
      {},
      false,
    );
    const { round: _round, ...attempt } = at(1, 503, 0);

    // Act
    printAttempt(output, msg('delivered', [attempt]), attempt, undefined);

    // Assess
    expect(stdout).toBe(
      '2026-12-07 09:00:01Z  msg_a  attempt 1  HTTP 503  12 ms, 3 ms late  POST https://orders.test/hook\n',
    );
  });

  it('says why an attempt went out late when Vigil knows', () => {
    let stdout = '';
    const output = createOutput(
      { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } },
      {},
      false,
    );
    const attempt: Attempt = { ...at(1, 200, 0), latenessMs: 61_000, latenessReason: 'recovered' };

    printAttempt(output, msg('delivered', [attempt]), attempt, 'delivered');

    expect(stdout).toContain('  12 ms, 61000 ms late (recovered by the sweep)  ');
  });
});
