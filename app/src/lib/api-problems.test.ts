/**
 * How a page (or an action's dialog) tells what went wrong between the console and the API: no
 * answer in time is not the same as nothing there, since a slow API may have done what was asked.
 */
import { VigilNetworkError, VigilTimeoutError } from '@vigil/client';
import { describe, expect, it, vi } from 'vitest';

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
