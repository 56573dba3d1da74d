/** The outline a page shows while it loads. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PageSkeleton } from './page-skeleton';

describe('the outline of a page that loads', () => {
  it('is a status named Loading: its name on an element with a role (axe: aria-prohibited-attr, serious, on a bare div)', () => {
    const html = renderToStaticMarkup(createElement(PageSkeleton));
    const outer = /^<div [^>]*>/.exec(html)?.[0] ?? '';
    expect(outer).toContain('role="status"');
    expect(outer).toContain('aria-label="Loading"');
    expect(outer).toContain('aria-busy="true"');
  });
});
