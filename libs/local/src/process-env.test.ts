/**
 * The local stack's process environment: `npm start` runs the stack with glibc's malloc held to
 * two arenas (LOCAL_PROCESS_ENV in config.ts; the soak and the e2e suite start it the same way), so
 * what the soak measures is what `npm start` runs, and a value the caller set is kept.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_PROCESS_ENV } from './config';

const root = join(__dirname, '..', '..', '..');
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** What the process `npm start` starts sees as MALLOC_ARENA_MAX, through the script's own shell line. */
const arenasSeenByStart = (env: NodeJS.ProcessEnv) =>
  execFileSync('sh', ['-c', scripts.start!.replace(/tsx \S+$/, 'node -p process.env.MALLOC_ARENA_MAX')], {
    cwd: root,
    env,
    encoding: 'utf8',
  }).trim();

describe('the local stack process environment', () => {
  it('caps glibc at two malloc arenas', () => {
    expect(LOCAL_PROCESS_ENV).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(scripts.start).toMatch(/ tsx libs\/local\/src\/main\.ts$/);
  });

  it('is what npm start gives the stack, unless the caller chose its own value', () => {
    const { MALLOC_ARENA_MAX: _unset, ...callerEnv } = process.env;
    expect(arenasSeenByStart(callerEnv)).toBe(LOCAL_PROCESS_ENV.MALLOC_ARENA_MAX);
    expect(arenasSeenByStart({ ...callerEnv, MALLOC_ARENA_MAX: '8' })).toBe('8');
  });
});
