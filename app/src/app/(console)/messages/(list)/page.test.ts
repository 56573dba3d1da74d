/**
 * The Messages page as the server renders it, with the API's answer chosen: its headings in order
 * (the h1 before anything else on the page), whatever the API answered.
 */
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

const render = async () => renderToStaticMarkup(await MessagesPage({ searchParams: Promise.resolve({}) }));

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
});
