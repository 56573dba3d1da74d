/** The notice a page shows when Vigil could not give it what it shows: plain words, and a way to try again. */
import type { ReactElement, ReactNode } from 'react';
import { createElement, isValidElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }) }));

const { ProblemNotice } = await import('./problem-notice');
const { ErrorCallout } = await import('./notices');
const { ReadsItselfAgain } = await import('./reads-itself-again');
const { readAgainWaitS } = await import('@/lib/problem-words');

const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#x27;/g, "'");

describe('the notice of a page Vigil could not load', () => {
  it('tells a 503 in plain words, says what still works, and offers to try again', () => {
    const html = renderToStaticMarkup(
      createElement(ProblemNotice, {
        heading: 'Messages',
        problem: {
          type: 'https://vigil.dev/problems/unavailable',
          title: 'Service unavailable',
          status: 503,
          detail:
            'A service Vigil depends on was unavailable (throttled or failing); try again after Retry-After. A create repeated with its Idempotency-Key is never made twice.',
        },
      }),
    );
    expect(text(html)).toContain('Vigil is having trouble right now.');
    expect(text(html)).toContain('Nothing you scheduled is lost');
    expect(text(html)).not.toMatch(/Retry-After|Idempotency-Key/);
    expect(html).toMatch(/<button[^>]*>.*Try again<\/button>/);
  });

  it('offers no retry for a problem trying again would not mend', () => {
    const html = renderToStaticMarkup(
      createElement(ProblemNotice, {
        problem: {
          type: 'https://vigil.dev/problems/forbidden',
          title: 'Forbidden',
          status: 403,
          detail: 'Not yours.',
        },
      }),
    );
    expect(text(html)).toContain(
      'Vigil refused this account. This page could not be loaded: Vigil does not let your account make this request',
    );
    expect(text(html)).not.toContain('Forbidden');
    expect(html).not.toContain('Try again');
  });
});

describe("the month's quota used up", () => {
  it('is told on a page with when it renews (UTC until the browser shows it in the viewer’s zone), and no retry', () => {
    const html = renderToStaticMarkup(
      createElement(ProblemNotice, {
        heading: 'Overview',
        problem: {
          type: 'https://vigil.dev/problems/quota-exceeded',
          title: 'Monthly quota exceeded',
          status: 429,
          detail: "This month's request quota of the plan is used up.",
          renewsAt: '2027-01-01T00:00:00.000Z',
        },
      }),
    );
    expect(text(html)).toContain("This month's request quota is used up.");
    expect(text(html)).toContain('It renews on 2027-01-01 00:00:00 UTC.');
    expect(html).toContain('<time dateTime="2027-01-01T00:00:00.000Z"');
    expect(html).not.toContain('Try again');
  });

  it("is told by an action's error with when it renews", () => {
    const html = renderToStaticMarkup(
      createElement(ErrorCallout, {
        error: { ok: false, error: "This month's message quota is used up. …", renewsAt: '2027-01-01T00:00:00.000Z' },
      }),
    );
    expect(text(html)).toBe("This month's message quota is used up. … It renews on 2027-01-01 00:00:00 UTC.");
  });
});

/** The ReadsItselfAgain among a notice's elements (its timer runs in the browser), or undefined. */
const autoRefreshOf = (node: ReactNode): ReactElement<{ firstS: number }> | undefined => {
  if (Array.isArray(node)) return node.map(autoRefreshOf).find(Boolean);
  if (!isValidElement(node)) return undefined;
  if (node.type === ReadsItselfAgain) return node as ReactElement<{ firstS: number }>;
  return autoRefreshOf((node.props as { children?: ReactNode }).children);
};

describe('a page that reads itself (a message on its way) meeting a problem', () => {
  const rate = (retryAfter?: number) => ({
    type: 'https://vigil.dev/problems/rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: 'Your plan allows 10 requests per second (bursts of 20); retry after 2 s.',
    ...(retryAfter !== undefined && { retryAfter }),
  });
  const notice = (problem: Parameters<typeof ProblemNotice>[0]['problem'], readsItself = true) =>
    ProblemNotice({ heading: 'Message', problem, readsItself });

  it("goes on reading itself once the 429's Retry-After has passed, and says so", () => {
    const element = notice(rate(2));
    expect(autoRefreshOf(element)?.props).toEqual({ firstS: 2 });
    expect(text(renderToStaticMarkup(element))).toContain(
      'Try again in 2 seconds. This page tries again on its own after 2 seconds, and waits longer each time it is refused (up to a minute).',
    );
  });

  it('waits a minute at most, however long Retry-After asks, and 5 s where no wait was asked (Vigil busy)', () => {
    expect(autoRefreshOf(notice(rate(3600)))?.props.firstS).toBe(60);
    expect(text(renderToStaticMarkup(notice(rate(3600))))).toContain('This page tries again on its own once a minute.');
    expect(autoRefreshOf(notice(rate(0)))?.props.firstS).toBe(1);
    const busy = {
      type: 'https://vigil.dev/problems/unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: '',
    };
    expect(autoRefreshOf(notice(busy))?.props.firstS).toBe(5);
  });

  it('waits twice as long after each read refused again, up to a minute: Vigil failing for an hour is not asked every 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 100].map((reads) => readAgainWaitS(5, reads))).toEqual([5, 10, 20, 40, 60, 60, 60]);
    expect([0, 1, 2].map((reads) => readAgainWaitS(1, reads))).toEqual([1, 2, 4]);
  });

  it("does not read itself again where waiting would not mend it (the month's quota), nor on a page that does not read itself", () => {
    const quota = {
      type: 'https://vigil.dev/problems/quota-exceeded',
      title: 'Monthly quota exceeded',
      status: 429,
      detail: "This month's request quota of the plan is used up.",
      retryAfter: 86_400,
      renewsAt: '2027-01-01T00:00:00.000Z',
    };
    expect(autoRefreshOf(notice(quota))).toBeUndefined();
    expect(text(renderToStaticMarkup(notice(quota)))).not.toContain('on its own');
    expect(autoRefreshOf(notice(rate(2), false))).toBeUndefined();
  });
});
