/**
 * The message page as the server renders it, read again and again as its AutoRefresh does while the
 * message is on its way: it asks the API for the message each time, for the body (up to 256 KiB)
 * and the attempts only when the message changed, and shows what the API says now.
 */
import { Theme } from '@radix-ui/themes';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

/** The API as the test sets it, counting the page's calls by route. */
const api = {
  message: {} as Record<string, unknown>,
  bodyText: undefined as string | undefined,
  attempts: { items: [] as unknown[], omitted: 0 },
  calls: { message: 0, attempts: 0, body: 0 },
};
const vigil = {
  messages: {
    get: async () => {
      api.calls.message += 1;
      return structuredClone(api.message);
    },
    attempts: async () => {
      api.calls.attempts += 1;
      return structuredClone(api.attempts);
    },
    body: async () => {
      api.calls.body += 1;
      return api.bodyText;
    },
  },
};
vi.mock('@/lib/api', () => ({
  loadPage: async (load: (v: typeof vigil) => Promise<unknown>) => ({ data: await load(vigil) }),
}));
vi.mock('@/lib/actions', () => ({
  cancelMessage: async () => ({}),
  redeliverMessage: async () => ({}),
  rescheduleMessage: async () => ({}),
  retryMessage: async () => ({}),
}));
vi.mock('next/navigation', () => ({
  notFound: () => {
    throw new Error('not found');
  },
  redirect: () => {
    throw new Error('redirected');
  },
  useRouter: () => ({ push: () => {}, refresh: () => {} }),
}));

const { default: MessagePage } = await import('./page');

const render = async (id: string) =>
  renderToStaticMarkup(createElement(Theme, null, await MessagePage({ params: Promise.resolve({ id }) })));

const waiting = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  url: 'https://example.com/orders/webhook',
  method: 'POST',
  status: 'scheduled',
  attempts: 0,
  labels: [],
  metadata: {},
  headers: {},
  sendAt: '2026-12-07T09:00:00.000Z',
  nextAttemptAt: '2026-12-07T09:00:00.000Z',
  createdAt: '2026-12-07T08:00:00.000Z',
  updatedAt: '2026-12-07T08:00:00.000Z',
  maxAttempts: 3,
  timeoutMs: 10_000,
  body: { '1': 2, b: 1 },
  ...fields,
});

describe('the message page, read again while its message waits', () => {
  it('reads the message alone on each refresh once its body and attempts are kept, and shows the body as sent', async () => {
    const id = 'msg_01JF0000000000000000000PB1';
    api.message = waiting(id);
    api.bodyText = '{"b":1,"1":2}';
    api.calls = { message: 0, attempts: 0, body: 0 };

    const pages = [];
    for (let read = 0; read < 6; read += 1) pages.push(await render(id));

    // The first look and the first refresh read all three; the four refreshes after them the message only.
    expect(api.calls).toEqual({ message: 6, attempts: 2, body: 2 });
    for (const html of pages) expect(html).toContain('&quot;b&quot;: 1,\n  &quot;1&quot;: 2');
  });

  it('shows a changed body on the first refresh after the change (a reschedule with a new body from elsewhere)', async () => {
    const id = 'msg_01JF0000000000000000000PB2';
    api.message = waiting(id);
    api.bodyText = '{"b":1,"1":2}';
    api.calls = { message: 0, attempts: 0, body: 0 };
    await render(id);
    await render(id);

    api.message = waiting(id, { updatedAt: '2026-12-07T08:10:00.000Z', body: { c: 3 } });
    api.bodyText = '{"c":3}';
    const html = await render(id);

    expect(html).toContain('&quot;c&quot;: 3');
    expect(html).not.toContain('&quot;b&quot;');
    expect(api.calls.body).toBe(3);
  });

  it('shows a new attempt on the first refresh after it was made', async () => {
    const id = 'msg_01JF0000000000000000000PB3';
    api.message = waiting(id, { status: 'queued' });
    api.bodyText = '{}';
    api.attempts = { items: [], omitted: 0 };
    await render(id);
    await render(id);

    const attempt = { n: 1, startedAt: '2026-12-07T09:00:00.005Z', statusCode: 503, durationMs: 3, latenessMs: 5 };
    api.message = waiting(id, {
      status: 'retrying',
      attempts: 1,
      updatedAt: '2026-12-07T09:00:00.010Z',
      nextAttemptAt: '2026-12-07T09:00:30.000Z',
      lastAttempt: attempt,
    });
    api.attempts = { items: [attempt], omitted: 0 };
    const html = await render(id);

    expect(html).toContain('data-testid="attempt-1"');
  });
});
