/**
 * How a page (or an action's dialog) tells what went wrong between the console and the API: no
 * answer in time is not the same as nothing there, since a slow API may have done what was asked.
 */
import { VigilAuthError, VigilNetworkError, VigilRateLimitError, VigilTimeoutError } from '@vigil/client';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('next/headers', () => ({
  cookies: async () => ({
    get: (name: string) => (name === 'next-auth.session-token' ? { value: 'a-session' } : undefined),
    getAll: () => [],
  }),
  headers: async () => new Headers(),
}));
vi.mock('./config', () => ({ consoleConfig: () => ({ apiUrl: 'http://127.0.0.1:9' }) }));

const { loadPage } = await import('./api');

describe('an API call that went wrong', () => {
  it('is told "did not answer in time, it may have been done" when it timed out, not "is the API running?"', async () => {
    const loaded = await loadPage(() => Promise.reject(new VigilTimeoutError(12_000)));
    expect(loaded.problem).toMatchObject({
      type: 'api-timeout',
      title: 'The Vigil API did not answer in time',
      detail: expect.stringContaining('what you asked may have been done: reload the page'),
    });
  });

  it('is told the API is not reachable when nothing answered at all', async () => {
    const loaded = await loadPage(() => Promise.reject(new VigilNetworkError('connect ECONNREFUSED')));
    expect(loaded.problem).toMatchObject({
      type: 'api-unreachable',
      detail: 'Nothing answered at http://127.0.0.1:9. Is the API running?',
    });
  });
});

describe('an API call refused 401 or 403', () => {
  const refused = (status: number, slug: string) =>
    new VigilAuthError({ type: `https://vigil.dev/problems/${slug}`, title: 'x', status, detail: 'x' });

  it('sends a 401 (the session expired) to sign in again', async () => {
    await expect(loadPage(() => Promise.reject(refused(401, 'unauthorized')))).rejects.toMatchObject({
      digest: expect.stringContaining('NEXT_REDIRECT'),
    });
  });

  it('tells a 403 (the gateway refusing the account) on the page, where a new sign-in would meet it again', async () => {
    const loaded = await loadPage(() => Promise.reject(refused(403, 'forbidden')));
    expect(loaded.problem).toMatchObject({ status: 403, type: 'https://vigil.dev/problems/forbidden' });
  });
});

describe('an API call refused 429', () => {
  const quota = (detail: string) => ({
    type: 'https://vigil.dev/problems/quota-exceeded',
    title: 'Monthly quota exceeded',
    status: 429,
    detail,
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the seconds its Retry-After asked, for the page to say when to try again', async () => {
    const limited = {
      type: 'https://vigil.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'x',
    };
    const loaded = await loadPage(() => Promise.reject(new VigilRateLimitError(limited, 3)));
    expect(loaded.problem).toMatchObject({ type: limited.type, retryAfter: 3 });
    expect(loaded.problem).not.toHaveProperty('renewsAt');
  });

  it("says when the month's message quota renews: the start of the UTC month its Retry-After reaches", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-07T19:00:00.250Z') });
    const seconds = Math.ceil((Date.parse('2027-01-01T00:00:00Z') - Date.now()) / 1000);
    const refused = new VigilRateLimitError(quota("This month's quota of 1000 messages is used up"), seconds);
    const loaded = await loadPage(() => Promise.reject(refused));
    expect(loaded.problem).toMatchObject({ retryAfter: seconds, renewsAt: '2027-01-01T00:00:00.000Z' });
  });

  it("says when API Gateway's request quota renews, which names no Retry-After: the start of the next UTC month", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-31T23:59:59.900Z') });
    const refused = new VigilRateLimitError(quota("This month's request quota of the plan is used up."), undefined);
    const loaded = await loadPage(() => Promise.reject(refused));
    expect(loaded.problem).toMatchObject({ renewsAt: '2027-01-01T00:00:00.000Z' });
  });
});

describe('a page read refused 429 over the rate', () => {
  const limited = (retryAfter: string) =>
    new Response(
      JSON.stringify({
        type: 'https://vigil.dev/problems/rate-limited',
        title: 'Too many requests',
        status: 429,
        detail: `Your plan allows 10 requests per second (bursts of 20); retry after ${retryAfter} s.`,
      }),
      { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': retryAfter } },
    );
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is waited out once when the wait is short, and the page shows what it read', async () => {
    const answers = [limited('1'), Response.json({ items: [] })];
    const fetch = vi.fn(async () => answers.shift()!);
    vi.stubGlobal('fetch', fetch);
    const loaded = await loadPage((vigil) => vigil.keys.list());
    expect(loaded).toEqual({ data: [] });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('is not waited when Retry-After asks for more than a few seconds: the page says at once when to try again', async () => {
    const fetch = vi.fn(async () => limited('20'));
    vi.stubGlobal('fetch', fetch);
    const loaded = await loadPage((vigil) => vigil.keys.list());
    expect(loaded.problem).toMatchObject({ status: 429, retryAfter: 20 });
    expect(fetch).toHaveBeenCalledTimes(1);
  }, 3_000);
});
