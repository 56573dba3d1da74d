/** A failure the console's pages or its frame meet is said in words, with a way to try again that reads the page again. */
import { Theme } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import { createElement, isValidElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it, vi } from 'vitest';

/** What "Try again" did, in order: the server asked for the page again (refresh), the boundary reset. */
const done: string[] = [];
vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => done.push('refresh') }) }));

const { default: RootError } = await import('./error');
const { default: ConsoleError } = await import('./(console)/error');

type Boundary = typeof RootError;

/** The "Try again" button's click, from the boundary's elements (the app's unit tests have no DOM). */
const tryAgainOf = (boundary: Boundary, reset: () => void): (() => void) => {
  const find = (node: ReactNode): (() => void) | undefined => {
    if (Array.isArray(node)) return node.map(find).find(Boolean);
    if (!isValidElement(node)) return undefined;
    const props = node.props as { children?: ReactNode; onClick?: () => void };
    if (props.children === 'Try again' && props.onClick) return props.onClick;
    return find(props.children);
  };
  const click = find(boundary({ error: new Error('the API did not answer'), reset }));
  if (!click) throw new Error('no Try again button');
  return click;
};

beforeEach(() => {
  done.length = 0;
});

describe('the console failing outside its pages', () => {
  it("says the page could not be loaded, that what was scheduled is kept, and offers to try again, not Next.js's default error", () => {
    const html = renderToStaticMarkup(
      createElement(Theme, null, createElement(RootError, { error: new Error('SSM did not answer'), reset: () => {} })),
    );
    const text = html.replace(/<[^>]+>/g, '');
    expect(text).toContain('The console could not load this page. Nothing you scheduled is lost');
    expect(text).not.toContain('SSM did not answer');
    expect(html).toMatch(/<button[^>]*>Try again<\/button>/);
  });
});

describe('"Try again" after a failed server render', () => {
  it.each([
    ['a console page', ConsoleError],
    ["the console's frame or the sign-in page", RootError],
  ] as const)(
    'on %s reads the page again from the server, then redraws it (not the failed render again)',
    (_, boundary) => {
      tryAgainOf(boundary, () => done.push('reset'))();
      expect(done).toEqual(['refresh', 'reset']);
    },
  );
});
