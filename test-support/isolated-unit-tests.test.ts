import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ISOLATED_UNIT } from './isolated-unit-tests';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * What a unit test does that can outlive its file when the worker's modules are shared: a module
 * replaced, the environment or a global stubbed, a spy or fake timers left in place.
 */
const LEAKS =
  /\bvi\.(mock|doMock|unmock|stubEnv|stubGlobal|resetModules|spyOn|useFakeTimers)\(|\bprocess\.env(\.\w+|\[[^\]]+\])\s*=[^=]/;

const unitTests = () =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.test.ts'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path !== '' && !/\.(int|e2e)\.test\.ts$/.test(path));

describe('unit tests that share their worker’s modules', () => {
  it('leave nothing behind: a file that mocks a module or stubs the environment runs isolated', () => {
    const leaking = unitTests().filter((path) => LEAKS.test(readFileSync(`${root}/${path}`, 'utf8')));

    expect(leaking.sort()).toEqual([...ISOLATED_UNIT].sort());
  });
});
