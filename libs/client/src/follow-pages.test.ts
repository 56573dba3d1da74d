import { describe, expect, it } from 'vitest';
import { VigilError } from './errors';
import type { ListedPage } from './follow-pages';
import { followPages } from './follow-pages';

/** Every item a listing gave until it ended, and how it ended (undefined: without error). */
const listAll = async <T>(pages: AsyncGenerator<T>) => {
  const items: T[] = [];
  try {
    for await (const item of pages) items.push(item);
    return { items, failure: undefined };
  } catch (error) {
    return { items, failure: error };
  }
};

describe('following pages', () => {
  it('stops with a VigilError after as many new empty pages in a row as it allows, rather than follow them without end', async () => {
    // Prepare: a broken server answering empty pages, each with a new cursor (it ends after 20, so that a follower without the bound ends too).
    const asked: (string | undefined)[] = [];
    const readPage = async (cursor: string | undefined): Promise<ListedPage<string>> => {
      asked.push(cursor);
      return { items: [], nextCursor: asked.length < 20 ? `c${asked.length}` : null };
    };

    // Act
    const { items, failure } = await listAll(followPages('GET /v1/messages', readPage, undefined, 5));

    // Assess: five pages read, then an error saying why the listing stopped.
    expect(items).toEqual([]);
    expect(asked).toEqual([undefined, 'c1', 'c2', 'c3', 'c4']);
    expect(failure).toBeInstanceOf(VigilError);
    expect((failure as VigilError).is('invalid-response')).toBe(true);
    expect((failure as VigilError).title).toBe('The answer is not from the Vigil API');
    expect((failure as VigilError).message).toBe(
      'GET /v1/messages answered 5 empty pages in a row, each with a new nextCursor: more than the Vigil API answers for any listing, so the listing stopped there.',
    );
  });

  it('follows empty pages for as long as a page with items comes between them, as a filter few messages match answers', async () => {
    // Prepare: four empty pages, one with an item, four empty, one with an item, the end (at most 5 empty in a row).
    const answers = ['', '', '', '', 'm1', '', '', '', '', 'm2'];
    const readPage = async (cursor: string | undefined): Promise<ListedPage<string>> => {
      const at = cursor === undefined ? 0 : Number(cursor);
      return { items: answers[at] ? [answers[at]] : [], nextCursor: at + 1 < answers.length ? String(at + 1) : null };
    };

    // Act
    const { items, failure } = await listAll(followPages('GET /v1/messages', readPage, undefined, 5));

    // Assess
    expect(failure).toBeUndefined();
    expect(items).toEqual(['m1', 'm2']);
  });

  it('stops at a cursor answered again however long the cycle, keeping only the last cursors', async () => {
    // Prepare: cursors so long that only a few are kept, in a cycle of 40 pages with an item each.
    const cursor = (n: number) => `${n}:${'x'.repeat(20_000)}`;
    let requests = 0;
    const readPage = async (at: string | undefined): Promise<ListedPage<number>> => {
      requests++;
      // After 1,000 pages it ends, so that a follower that never finds the cycle ends too.
      if (requests > 1_000) return { items: [], nextCursor: null };
      const n = at === undefined ? 0 : Number(at.split(':')[0]);
      return { items: [n], nextCursor: cursor(n === 40 ? 1 : n + 1) };
    };

    // Act
    const { items, failure } = await listAll(followPages('GET /v1/messages', readPage, undefined));

    // Assess: found within a few rounds of the cycle (Brent's checkpoint), named by the cursor's first 40 characters.
    expect(failure).toBeInstanceOf(VigilError);
    expect((failure as VigilError).message).toMatch(
      /^GET \/v1\/messages answered a nextCursor it had answered before \(\d+:x+…\): following it would list the same pages without end, so the listing stopped there\.$/,
    );
    expect(items.length).toBeLessThan(40 * 4);
  });
});
