import { describe, expect, it } from 'vitest';
import { messageOut } from '../../../../test-support/api-answers';
import { Vigil } from '../vigil';
import { createOutput } from './output';
import { retryMany } from './retry';

describe('vigil retry over a filter', () => {
  it('takes at most its bound of the messages a filter selects, says there are more, and lists no further page', async () => {
    // Prepare: pages of two retrying messages each, without end; retries answered 202.
    const requests: string[] = [];
    const id = (n: number) => `msg_01JDX0000000000000000000${String(n).padStart(2, '0')}`;
    const api = new Vigil({
      baseUrl: 'http://api.test',
      retries: 0,
      fetch: async (request) => {
        const url = new URL(request.url);
        requests.push(`${request.method} ${url.pathname}`);
        if (url.pathname !== '/v1/messages')
          return Response.json(messageOut({ id: url.pathname.split('/')[3], status: 'retrying' }), { status: 202 });
        const page = Number(url.searchParams.get('cursor') ?? 0);
        const items = [2 * page, 2 * page + 1].map((n) => messageOut({ id: id(n), status: 'retrying' }));
        return Response.json({ items, nextCursor: String(page + 1), previousCursor: null });
      },
    });
    const notes: string[] = [];
    const output = createOutput(
      { stdout: { write: () => true }, stderr: { write: (text: string) => notes.push(text) } },
      { NO_COLOR: '1' },
      false,
    );

    // Act
    const result = await retryMany(
      api,
      output,
      { status: ['retrying'], urlPrefix: 'https://orders.test/' },
      { signal: new AbortController().signal, now: Date.now, onFailure: () => false, maxMessages: 3 },
    );

    // Assess: three retried, the run says more match, and it read two pages, not on and on.
    expect(result).toMatchObject({ total: 3, counts: { done: 3, skipped: 0, failed: 0 }, more: true });
    expect(requests.filter((r) => r === 'GET /v1/messages')).toHaveLength(2);
    expect(requests.filter((r) => r.endsWith('/retry')).sort()).toEqual(
      [0, 1, 2].map((n) => `POST /v1/messages/${id(n)}/retry`),
    );
    expect(notes.join('')).toContain('Retrying the newest 3 of more messages now');
  });
});
