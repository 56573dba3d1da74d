/**
 * A listing followed page after page (`messages.list()`), stopped when what answers cannot be the
 * Vigil API: a cursor answered again would list the same pages without end, and so would new empty
 * pages without end. What it keeps to tell is bounded, however long the listing.
 */
import type { VigilError } from './errors.ts';
import { notFromTheApi } from './errors.ts';

/**
 * Empty pages in a row after which a listing stops. The API answers an empty page with a cursor
 * only once it has read its budget (LIST_SCAN_BUDGET, 1,000 stored messages) without a match, at
 * least a sixth of it from the status it reads slowest (a filter lists six at most). Its largest
 * tenant (pro: a million a month, waiting up to a year and kept a month finished, each round with
 * its callback and an event to each of 5 endpoints) holds at most about 92 million, so about
 * 560,000 empty pages in a row (92,000 without a status filter; contract/client-bounds.test.ts):
 * a server past a million is not the API.
 */
export const MAX_EMPTY_PAGES_IN_A_ROW = 1_000_000;

/** The most characters of recent cursors kept to find one answered again (a real one is under 100). */
const REMEMBERED_CURSOR_CHARS = 64 * 1024;

/** A page: its items and where the next starts (none: the listing ends). */
export interface ListedPage<T> {
  items: T[];
  nextCursor?: string | null | undefined;
}

/** What answered the listing `route` is not the Vigil API: `why`, so the listing stopped. */
const notTheApi = (route: string, why: string): VigilError =>
  notFromTheApi(200, `${route} answered ${why}, so the listing stopped there.`);

const shown = (cursor: string) => `${cursor.slice(0, 40)}${cursor.length > 40 ? '…' : ''}`;

/**
 * The items of `readPage(cursor)` from `start` on, page after page while a page has a next cursor.
 * Throws a VigilError `invalid-response` at a cursor answered before (the last ones, up to
 * REMEMBERED_CURSOR_CHARS of them, and one checkpoint moved on at pages 1, 2, 4, 8…, which finds a
 * cycle of any length: Brent's) or after `emptyPagesAtMost` empty pages in a row.
 */
export async function* followPages<T>(
  route: string,
  readPage: (cursor: string | undefined) => Promise<ListedPage<T>>,
  start: string | undefined,
  emptyPagesAtMost = MAX_EMPTY_PAGES_IN_A_ROW,
): AsyncGenerator<T, void, undefined> {
  const recent = new Set<string>();
  let recentChars = 0;
  let checkpoint: string | undefined;
  let pages = 0;
  let emptyInARow = 0;
  const remember = (cursor: string) => {
    recent.add(cursor);
    recentChars += cursor.length;
    for (const oldest of recent) {
      if (recentChars <= REMEMBERED_CURSOR_CHARS || recent.size === 1) break;
      recent.delete(oldest);
      recentChars -= oldest.length;
    }
    pages++;
    if ((pages & (pages - 1)) === 0) checkpoint = cursor;
  };
  let cursor = start;
  for (;;) {
    if (cursor !== undefined) remember(cursor);
    const page = await readPage(cursor);
    yield* page.items;
    emptyInARow = page.items.length === 0 ? emptyInARow + 1 : 0;
    cursor = page.nextCursor ?? undefined;
    if (cursor === undefined) return;
    if (recent.has(cursor) || cursor === checkpoint) {
      throw notTheApi(
        route,
        `a nextCursor it had answered before (${shown(cursor)}): following it would list the same pages without end`,
      );
    }
    if (emptyInARow >= emptyPagesAtMost) {
      throw notTheApi(
        route,
        `${emptyPagesAtMost.toLocaleString('en-US')} empty pages in a row, each with a new nextCursor: more than the Vigil API answers for any listing`,
      );
    }
  }
}
