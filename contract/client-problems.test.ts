/**
 * The client makes some problems itself (a request it refuses before sending, no answer in time):
 * one of a type the API answers too carries the API's title for it, so a caller who shows a
 * problem's title says one thing per type, whoever made the problem.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROBLEMS } from '@vigil/core';
import { describe, expect, it } from 'vitest';

const CLIENT_SOURCE = join(__dirname, '..', 'libs', 'client', 'src');

/** Every `type: '…', title: '…'` pair the client's own source writes, with the file it is in. */
const clientMadeProblems = () =>
  readdirSync(CLIENT_SOURCE, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.includes('generated'))
    .flatMap((path) =>
      [...readFileSync(join(CLIENT_SOURCE, path), 'utf8').matchAll(/type: '([a-z-]+)',\s*title: '([^']+)'/g)].map(
        ([, type, title]) => ({ path, type: type!, title: title! }),
      ),
    );

describe("the client's own problems", () => {
  it("carry the API's title for a type the API answers too", () => {
    const apiTitles = new Map(Object.values(PROBLEMS).map(({ slug, title }) => [slug as string, title as string]));
    const made = clientMadeProblems();

    expect(made.map(({ type }) => type)).toContain('timeout');
    const differing = made.filter(({ type, title }) => apiTitles.has(type) && apiTitles.get(type) !== title);
    expect(differing).toEqual([]);
  });
});
