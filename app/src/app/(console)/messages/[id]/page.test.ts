/**
 * The message page as the server renders it, read again and again as its AutoRefresh does while the
 * message is on its way: it asks the API for the message each time, for the body (up to 256 KiB)
 * and the attempts only when the message changed, and shows what the API says now. A refresh's
 * answer (Next.js's router asks with `RSC: 1`, not for HTML) names the body by its digest, without its text.
 */
import { Theme } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import { createElement, isValidElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

/** The API as the test sets it, counting the page's calls by route. */
const api = {
  message: {} as Record<string, unknown>,
  bodyText: undefined as string | undefined,
  attempts: { items: [] as unknown[], omitted: 0 },
  calls: { message: 0, attempts: 0, body: 0 },
  /** What the API refuses every read with, as lib/api's loadPage gives it, when set. */
  problem: undefined as Record<string, unknown> | undefined,
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
  loadPage: async (load: (v: typeof vigil) => Promise<unknown>) =>
    api.problem ? { problem: api.problem } : { data: await load(vigil) },
}));
vi.mock('@/lib/actions', () => ({
  cancelMessage: async () => ({}),
  redeliverMessage: async () => ({}),
  rescheduleMessage: async () => ({}),
  retryMessage: async () => ({}),
}));
/** Whether the page is read as Next.js's router reads it again (a refresh, for anything: fetch's default), or as a document. */
const request = { rsc: false };
vi.mock('next/headers', () => ({
  headers: async () => new Headers({ accept: request.rsc ? '*/*' : 'text/html,application/xhtml+xml,*/*;q=0.8' }),
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

/**
 * Every string the page hands the components it renders, its client components' props among them:
 * what a refresh's answer (the RSC payload) can carry, and more (server components' props too).
 */
const handedStrings = (node: ReactNode | unknown, out: string[] = []): string[] => {
  if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) for (const child of node) handedStrings(child, out);
  else if (isValidElement(node)) handedStrings(Object.values(node.props as Record<string, unknown>), out);
  return out;
};

/** How many of the strings a page read (a refresh, or a document load) hands its components hold `part`. */
const timesHanded = async (id: string, part: string, rsc: boolean) => {
  request.rsc = rsc;
  try {
    const page = await MessagePage({ params: Promise.resolve({ id }) });
    return handedStrings(page).filter((s) => s.includes(part)).length;
  } finally {
    request.rsc = false;
  }
};

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

  it('says why an attempt went out late when Vigil knows', async () => {
    const id = 'msg_01JF0000000000000000000PB4';
    const tried = (n: number, latenessMs: number, latenessReason?: string) => ({
      n,
      startedAt: '2026-12-07T09:01:01.000Z',
      statusCode: 503,
      durationMs: 3,
      latenessMs,
      round: 0,
      ...(latenessReason && { latenessReason }),
    });
    const attempts = [
      tried(1, 61_000, 'recovered'),
      tried(2, 20_000, 'timer-missed'),
      tried(3, 4_000, 'engine-busy'),
      tried(4, 3_000, 'flow-control'),
      tried(5, 9, 'a-newer-reason'),
      tried(6, 2_000, 'receiver-busy'),
      tried(7, 5),
    ];
    api.message = waiting(id, { status: 'retrying', attempts: 7, lastAttempt: attempts.at(-1) });
    api.bodyText = '{}';
    api.attempts = { items: attempts, omitted: 0 };

    const text = (await render(id)).replace(/<[^>]+>/g, '');

    expect(text).toContain(
      'sent 1 min after it was due, recovered by Vigil’s sweep after its queue ticket was lost or late',
    );
    expect(text).toContain('its far-future timer did not fire in time, so Vigil’s sweep sent it');
    expect(text).toContain('the engine was too busy (or paused) at the instant it was due');
    expect(text).toContain('held back by flow control');
    expect(text).toContain('late: a-newer-reason');
    expect(text).toContain(
      'it waited for a connection to the receiver: every one was in use by requests still waiting on its answers',
    );
    expect(text).toMatch(/sent 5 ms after it was due ·/);
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

  it('does not hand a refresh the body, which the browser holds, only its digest: not in the view, the copy or the curl', async () => {
    const id = 'msg_01JF0000000000000000000PB4';
    const sent = `{"items":[${Array.from({ length: 2000 }, (_, i) => `{"line":${i},"note":"caf\\u00e9"}`).join(',')}]}`;
    api.message = waiting(id);
    api.bodyText = sent;
    api.attempts = { items: [], omitted: 0 };
    await render(id);

    // The first paint (a document load) carries it; each refresh while it waits does not.
    expect(await timesHanded(id, '"line":1999', false)).toBe(1);
    expect(await timesHanded(id, '"line":1999', true)).toBe(0);
    expect(await timesHanded(id, '"line": 1999', true)).toBe(0);
    // The curl command's head is handed (its secrets masked on the server), without the body.
    const curlHead = handedStrings(await MessagePage({ params: Promise.resolve({ id }) })).find((s) =>
      s.startsWith('curl -X POST'),
    );
    expect(curlHead).toContain("-H 'content-type: application/json'");
    expect(curlHead).not.toContain('--data-raw');
  });

  it('hands a refresh of a message no longer on its way its body, once: its page is not read again on its own', async () => {
    const id = 'msg_01JF0000000000000000000PB5';
    api.message = waiting(id, { status: 'delivered', deliveredAt: '2026-12-07T09:00:00.010Z', attempts: 1 });
    api.bodyText = '{"done":true}';
    api.attempts = { items: [], omitted: 0 };

    expect(await timesHanded(id, '{"done":true}', true)).toBe(1);
  });
});

describe('the attempts of a message changed between them', () => {
  const OLD = 'https://old.example.com/orders?token=s3cr3t';
  const NEW = 'https://new.example.com/orders';
  const sentHeaders = { 'content-type': 'application/json', 'vigil-attempt': '2', host: 'new.example.com' };
  const first = {
    n: 1,
    startedAt: '2026-12-07T09:00:00.005Z',
    statusCode: 500,
    durationMs: 3,
    latenessMs: 5,
    url: OLD,
    method: 'POST',
    differs: ['url', 'body'],
  };
  const second = {
    n: 2,
    startedAt: '2026-12-07T09:01:00.005Z',
    statusCode: 200,
    durationMs: 3,
    latenessMs: 5,
    url: NEW,
    method: 'POST',
    sentHeaders,
  };
  const changed = (id: string, fields: Record<string, unknown>) =>
    waiting(id, { url: NEW, updatedAt: '2026-12-07T09:00:30.000Z', ...fields });

  it('shows where an attempt sent before the change went, and what of it differs, but not on the one after', async () => {
    const id = 'msg_01JF0000000000000000000PC1';
    api.message = changed(id, {
      status: 'delivered',
      deliveredAt: '2026-12-07T09:01:00.010Z',
      attempts: 2,
      lastAttempt: second,
    });
    api.bodyText = '{"v":2}';
    api.attempts = { items: [first, second], omitted: 0 };
    const html = await render(id);

    const attempt = (n: number) =>
      html.slice(
        html.indexOf(`data-testid="attempt-${n}"`),
        html.indexOf('</li>', html.indexOf(`data-testid="attempt-${n}"`)),
      );
    // The old address, its credential masked as the message's own would be.
    expect(attempt(1)).toContain('Sent to <span class="vigil-mono">POST https://old.example.com/orders?token=');
    expect(attempt(1)).not.toContain('s3cr3t');
    expect(attempt(1)).toContain('its address and body differ from the message&#x27;s now');
    expect(attempt(2)).not.toContain('Sent to');
    expect(attempt(2)).not.toContain('data-testid="attempt-request-2"');
    // The curl command is the request of the attempt the message still describes.
    expect(html).toContain('sends the request of attempt #2 again');
  });

  it('says beside the target, and in the notice of its failure, where the last attempt went before the change', async () => {
    const id = 'msg_01JF0000000000000000000PC3';
    api.message = changed(id, {
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: '2026-12-07T09:05:00.000Z',
      lastAttempt: first,
    });
    api.bodyText = '{"v":2}';
    api.attempts = { items: [first], omitted: 0 };
    const html = await render(id);

    const part = (testId: string) =>
      html.slice(
        html.indexOf(`data-testid="${testId}"`),
        html.indexOf('</div>', html.indexOf(`data-testid="${testId}"`)),
      );
    expect(part('last-attempt-sent-to')).toContain(
      'Its last attempt (#1) went to <span class="vigil-mono">POST https://old.example.com/orders?token=',
    );
    expect(part('last-attempt-sent-to')).not.toContain('s3cr3t');
    expect(part('message-outcome-sent-to')).toContain(
      'It was sent to <span class="vigil-mono-text">POST https://old.example.com/orders?token=',
    );
    // Once an attempt went to the target shown, the summary says nothing more of it.
    api.message = changed(id, {
      status: 'delivered',
      attempts: 2,
      lastAttempt: second,
      updatedAt: '2026-12-07T09:01:00.010Z',
    });
    api.attempts = { items: [first, second], omitted: 0 };
    const after = await render(id);
    expect(after).not.toContain('data-testid="last-attempt-sent-to"');
    expect(after).not.toContain('data-testid="message-outcome-sent-to"');
  });

  it('never offers the curl command as the request of an attempt sent before a change', async () => {
    const id = 'msg_01JF0000000000000000000PC2';
    // A message's answer as a reader might get it: the attempt's headers derived, but the request changed since.
    api.message = changed(id, {
      status: 'retrying',
      attempts: 1,
      nextAttemptAt: '2026-12-07T09:05:00.000Z',
      lastAttempt: first,
    });
    api.bodyText = '{"v":2}';
    api.attempts = { items: [{ ...first, sentHeaders: { ...sentHeaders, 'vigil-attempt': '1' } }], omitted: 0 };
    const html = await render(id);

    expect(html).not.toContain('sends the request of attempt #1');
    expect(html).toContain('sends the request Vigil will send');
  });
});

describe('the message page refused a read', () => {
  it("shows the 429 over the plan's rate in words, and goes on reading itself once its Retry-After has passed", async () => {
    api.problem = {
      type: 'https://vigil.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Your plan allows 10 requests per second (bursts of 20); retry after 2 s.',
      retryAfter: 2,
    };
    try {
      const html = await render('msg_01JF0000000000000000000PR1');
      expect(html).toContain('Your plan&#x27;s request rate was reached');
      expect(html).toContain('This page tries again on its own after 2 seconds, and waits longer each time');
    } finally {
      api.problem = undefined;
    }
  });
});

describe('a message tried 100 times', () => {
  it('shows its latest 10 attempts in full, and folds the 40 kept before them behind one button, in order', async () => {
    const id = 'msg_01JF0000000000000000000PM1';
    const tried = (n: number) => ({
      n,
      startedAt: new Date(Date.parse('2026-12-07T09:00:00.000Z') + n * 1000).toISOString(),
      durationMs: 1,
      latenessMs: 20,
      errorKind: 'refused',
      error: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    api.message = waiting(id, { status: 'failed', attempts: 100, maxAttempts: 1, failureReason: 'attempts-exhausted' });
    api.bodyText = undefined;
    api.attempts = { items: Array.from({ length: 50 }, (_, i) => tried(51 + i)), omitted: 50 };
    const html = await render(id);

    expect(html).toContain('50 earlier attempts are no longer kept (the latest 50 are).');
    expect(html).toMatch(
      /<button[^>]*aria-expanded="false"[^>]*>Show the 40 earlier attempts \(#51 to #90\)<\/button>/,
    );
    // The folded ones in a hidden block before the list of the latest, which holds #91 to #100.
    const [before, folded, latest] = html.split('<ol class="vigil-timeline"');
    expect(before).toMatch(/<div id="[^"]+" hidden="" data-testid="earlier-attempts">$/);
    const numbers = (part = '') => [...part.matchAll(/data-testid="attempt-(\d+)"/g)].map((m) => Number(m[1]));
    expect(numbers(folded)).toEqual(Array.from({ length: 40 }, (_, i) => 51 + i));
    expect(numbers(latest)).toEqual(Array.from({ length: 10 }, (_, i) => 91 + i));
  });

  it('folds nothing when that would hide fewer than five', async () => {
    const id = 'msg_01JF0000000000000000000PM2';
    const tried = (n: number) => ({ n, startedAt: '2026-12-07T09:00:00.000Z', durationMs: 1, latenessMs: 20 });
    api.message = waiting(id, { status: 'failed', attempts: 14, maxAttempts: 14 });
    api.attempts = { items: Array.from({ length: 14 }, (_, i) => tried(i + 1)), omitted: 0 };
    const html = await render(id);
    expect(html).not.toContain('earlier attempts (#');
    expect(html.split('<ol class="vigil-timeline"')).toHaveLength(2);
  });
});
