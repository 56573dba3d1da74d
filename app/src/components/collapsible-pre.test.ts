/** A long body shown in part, with a sign of how much more there is. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CollapsiblePre } from './collapsible-pre';

const text = (html: string) => html.replace(/<[^>]+>/g, '');

describe('a body shown in part', () => {
  it('shows the start of a 256 KiB body on one line, and a button saying how many characters there are', () => {
    const body = 'x'.repeat(256 * 1024);
    const html = renderToStaticMarkup(createElement(CollapsiblePre, { text: body, testId: 'body' }));
    expect(html).toContain(`>${'x'.repeat(4000)}</pre>`);
    expect(html).not.toContain('x'.repeat(4001));
    expect(text(html)).toContain('Show all 262,144 characters');
    expect(text(html)).toContain('258,144 more characters hidden (the first 4,000 are shown)');
  });

  it('counts in lines what it leaves out of a body of many short lines, and shows a short one whole', () => {
    const many = Array.from({ length: 45 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(text(renderToStaticMarkup(createElement(CollapsiblePre, { text: many })))).toContain(
      'Show all 45 lines25 more lines hidden',
    );
    const short = renderToStaticMarkup(createElement(CollapsiblePre, { text: '{"a": 1}' }));
    expect(short).not.toContain('Show all');
  });
});
