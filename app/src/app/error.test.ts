/** A failure outside the console's pages (its frame, the sign-in page) is said in words, with a way to try again. */
import { Theme } from '@radix-ui/themes';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';

vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh: () => {} }) }));

const { default: RootError } = await import('./error');

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
