import { describe, expect, it, vi } from 'vitest';
import { VigilNetworkError } from '../errors';
import type { Api, Message, MessagePage, MessageStatus } from './api';
import type { Output } from './output';
import { tail } from './tail';

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
