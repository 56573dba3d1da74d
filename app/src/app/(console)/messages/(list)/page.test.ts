/**
 * The Messages page as the server renders it, with the API's answer chosen: its headings in order
 * (the h1 before anything else on the page), whatever the API answered.
 */
import { Theme } from '@radix-ui/themes';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

const answer: { problem?: unknown; data?: unknown } = {};
vi.mock('@/lib/api', () => ({ loadPage: async () => answer }));
vi.mock('@/lib/actions', () => ({ readBulkJob: async () => ({}), startBulkJob: async () => ({}) }));
vi.mock('next/navigation', () => ({
  redirect: () => {
    throw new Error('redirected');
  },
  useRouter: () => ({ push: () => {}, refresh: () => {} }),
}));

const { default: MessagesPage } = await import('./page');

/** The page inside the app's Theme (which times' tooltips need). */
const render = async (params: Record<string, string> = {}) =>
  renderToStaticMarkup(createElement(Theme, null, await MessagesPage({ searchParams: Promise.resolve(params) })));

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, ' ');

let n = 0;
const message = (fields: Record<string, unknown>) => ({
  id: `msg_01JDX${String((n += 1)).padStart(21, '0')}`,
  url: 'http://127.0.0.1:9710/orders/webhook',
  method: 'POST',
  status: 'failed',
  attempts: 1,
  labels: [],
  metadata: {},
  headers: {},
  sendAt: '2026-12-06T21:37:32.521Z',
  createdAt: '2026-12-06T21:37:30.521Z',
  maxAttempts: 1,
  timeoutMs: 10_000,
  lastAttempt: { n: 1, startedAt: '2026-12-06T21:37:32.530Z', statusCode: 500, durationMs: 3, latenessMs: 1 },
  ...fields,
});

/** A bad day's first page: a notification endpoint down (20 alerts retrying to it), and your own messages failing to one host. */
const badDay = () => [
  ...Array.from({ length: 20 }, () =>
    message({
      url: 'http://127.0.0.1:9713/ops/alerts',
      status: 'retrying',
      nextAttemptAt: '2026-12-06T21:40:00.000Z',
      origin: { kind: 'notification', endpointId: 'nep_1', event: 'message.failed' },
    }),
  ),
  ...Array.from({ length: 4 }, () => message({})),
  message({ url: 'https://fine.example.com/hook', status: 'delivered' }),
];

describe('the Messages page', () => {
  it('puts its h1 first when the API could not answer, before the filters and the notice', async () => {
    answer.problem = {
      type: 'https://vigil.dev/problems/unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'try again after Retry-After',
    };
    const html = await render();
    const h1 = html.indexOf('<h1');
    expect(h1).toBeGreaterThanOrEqual(0);
    expect(h1).toBeLessThan(html.indexOf('<form'));
    expect(h1).toBeLessThan(html.indexOf('role="alert"'));
    expect(html.match(/<h1/g)).toHaveLength(1);
  });

  it("says which filter the API refused and what it must be, in the form's words (a shared link with a 200-character label)", async () => {
    answer.problem = {
      type: 'https://vigil.dev/problems/validation-failed',
      title: 'The request is not valid',
      status: 422,
      detail: 'query.label: must be 1 to 64 letters, digits and . _ : / - only',
      errors: [{ path: 'query.label', message: 'must be 1 to 64 letters, digits and . _ : / - only' }],
    };
    const notice = text(await render({ label: 'l'.repeat(200) }));
    expect(notice).toContain(
      'This filter cannot be used. Label: must be 1 to 64 letters, digits and . _ : / - only. Change or clear it in Filters above.',
    );
    expect(notice).not.toContain('query.label');
    // Reading again would be refused again: no retry, none on its own.
    expect(notice).not.toMatch(/Try again|on its own/);
  });

  it("shows a bad day compactly: Vigil's alerts to a down endpoint as one row, the failing hosts named once", async () => {
    answer.problem = undefined;
    answer.data = { items: badDay() };
    const html = await render();
    // Twenty alerts are one row, leading to them one by one; your four failures and the delivery keep theirs.
    expect(html.match(/<tr[^>]*data-testid="vigil-row"/g)).toHaveLength(1);
    expect(html.match(/<tr[^>]*data-testid="message-/g)).toHaveLength(5);
    expect(text(html)).toContain('20 alerts to POST 127.0.0.1:9713/ops/alerts');
    expect(html).toContain(
      `href="/messages?status=retrying&amp;origin=notification&amp;urlPrefix=${encodeURIComponent('http://127.0.0.1:9713/ops/alerts')}"`,
    );
    // The failing hosts, each once, leading to their failed and retrying messages.
    const failing = text(html.slice(html.indexOf('data-testid="failing-targets"')));
    // (Written as a sentence: the dots between the hosts are the list's CSS.)
    expect(failing).toMatch(
      /Failing among the 25 messages on this page: 127\.0\.0\.1:9713 20 retrying, all Vigil's own deliveries 127\.0\.0\.1:9710 4 failed /,
    );
    expect(html).toContain(
      `href="/messages?status=failed%2Cretrying&amp;urlPrefix=${encodeURIComponent('http://127.0.0.1:9710/')}"`,
    );
  });

  it('says of a last attempt sent before the message was changed where it went, and of one sent as it is nothing', async () => {
    answer.problem = undefined;
    answer.data = {
      items: [
        message({
          status: 'retrying',
          url: 'https://new.example.com/hook',
          lastAttempt: {
            n: 1,
            startedAt: '2026-12-06T21:37:32.530Z',
            statusCode: 500,
            durationMs: 3,
            latenessMs: 1,
            url: 'https://old.example.com/hook?token=s3cret',
            method: 'POST',
            differs: ['url', 'body'],
          },
        }),
        message({
          status: 'delivered',
          lastAttempt: {
            ...message({}).lastAttempt,
            statusCode: 200,
            url: 'http://127.0.0.1:9710/orders/webhook',
            method: 'POST',
          },
        }),
      ],
    };

    const html = await render();

    expect(html.match(/data-testid="last-attempt-changed"/g)).toHaveLength(1);
    expect(text(html)).toContain(
      'Sent to POST https://old.example.com/hook?token=•••••••• before a change of its address and body',
    );
    expect(html).not.toContain('s3cret');
  });

  it('says the failing hosts are counted on this page only when later pages follow', async () => {
    answer.problem = undefined;
    answer.data = { items: badDay(), nextCursor: 'c2' };
    const failing = text(await render()).split('Failing among')[1] ?? '';
    expect(failing).toMatch(/^ the 25 messages on this page \(later pages not counted\): 127\.0\.0\.1:9713/);
  });

  it("says when Vigil's folded deliveries leave the page few of your messages, and links to yours alone", async () => {
    answer.problem = undefined;
    answer.data = { items: badDay(), nextCursor: 'c2' };
    const html = await render({ status: 'failed,retrying' });
    expect(text(html)).toContain(
      "20 of this page's 25 messages are Vigil's own deliveries, shown as one row, so it lists 5 of yours. Show only your messages",
    );
    expect(html).toContain('href="/messages?status=retrying%2Cfailed&amp;origin=message"');
    // The last page has no more of yours: nothing to say.
    answer.data = { items: badDay() };
    expect(await render()).not.toContain('data-testid="folded-note"');
  });

  it('says how many messages "Select page" selects when rows stand for several', async () => {
    answer.problem = undefined;
    answer.data = { items: badDay() };
    expect(text(await render())).toContain('Select page (all 25 messages)');
    answer.data = { items: badDay().slice(20) };
    const plain = text(await render());
    expect(plain).toContain('Select page');
    expect(plain).not.toContain('Select page (');
  });

  it('keeps the filters folded to one line that says which are given, above the list', async () => {
    answer.problem = undefined;
    answer.data = { items: badDay() };
    const html = await render({ status: 'failed,retrying', label: 'billing' });
    expect(html).toMatch(/<details[^>]*data-testid="message-filters-panel"/);
    expect(html).not.toMatch(/<details[^>]*\sopen/);
    expect(text(html)).toContain('Filters retrying or failed · label billing');
    expect(html.indexOf('data-testid="message-filters-panel"')).toBeLessThan(html.indexOf('<table'));
  });

  it("lists Vigil's alerts one by one when they are what the filters ask for", async () => {
    answer.problem = undefined;
    answer.data = { items: badDay() };
    const html = await render({ origin: 'notification' });
    expect(html).not.toContain('data-testid="vigil-row"');
    expect(html.match(/<tr[^>]*data-testid="message-/g)).toHaveLength(25);
  });
});
