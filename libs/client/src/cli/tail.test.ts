import { describe, expect, it } from 'vitest';
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
  const listings: Array<{ status?: MessageStatus[]; cursor?: string }> = [];
  const queued = Array.from({ length: pending }, (_, i) => ({ id: `q${i}`, status: 'queued', attempts: 0 }) as Message);
  const api = {
    messages: {
      listPage: async (query: { status?: MessageStatus[]; cursor?: string; limit?: number }): Promise<MessagePage> => {
        listings.push({ ...(query.status && { status: query.status }), ...(query.cursor && { cursor: query.cursor }) });
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
