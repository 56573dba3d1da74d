/**
 * The local stack's process environment: `npm start` runs the stack with glibc's malloc held to
 * two arenas and returning freed memory (LOCAL_PROCESS_ENV in config.ts) and the main thread's larger young generation
 * (STACK_NODE_FLAGS); the soak and the e2e suite start it the same way, so what the soak measures
 * is what `npm start` runs, and a value the caller set is kept.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_PROCESS_ENV, STACK_NODE_FLAGS } from './config';

const root = join(__dirname, '..', '..', '..');
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const ENTRY = /libs\/local\/src\/main\.ts$/;

/**
 * `npm start`'s own shell line with its program swapped: `node [--import early-stop.mjs] --import tsx
 * <flags> <entry>` → `replacement`.
 */
const startLine = (replacement: (flags: string) => string) =>
  scripts.start!.replace(
    /node (?:--import \.\/libs\/local\/src\/early-stop\.mjs )?--import tsx (.*?) ?libs\/local\/src\/main\.ts$/,
    (_line, flags: string) => replacement(flags),
  );

/** Runs `npm start`'s own shell line with its program swapped (startLine). */
const startLineWith = (replacement: (flags: string) => string, env: NodeJS.ProcessEnv) =>
  execFileSync('sh', ['-c', startLine(replacement)], {
    cwd: root,
    env: { ...env, PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${env.PATH}` },
    encoding: 'utf8',
  }).trim();

const MALLOC_SETTINGS = Object.keys(LOCAL_PROCESS_ENV);

/** What the process `npm start` starts sees of the malloc settings. */
const mallocSeenByStart = (env: NodeJS.ProcessEnv) =>
  JSON.parse(
    startLineWith(
      () =>
        `node -p 'JSON.stringify(Object.fromEntries(${JSON.stringify(MALLOC_SETTINGS)}.map((k) => [k, process.env[k]])))'`,
      env,
    ),
  ) as Record<string, string | undefined>;

describe('the local stack process environment', () => {
  it('caps glibc at two malloc arenas and has it map large blocks and trim its heaps', () => {
    expect(LOCAL_PROCESS_ENV).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '131072',
      MALLOC_TRIM_THRESHOLD_: '262144',
    });
    expect(scripts.start).toMatch(ENTRY);
  });

  it('is what npm start gives the stack, unless the caller chose its own value', () => {
    const callerEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of MALLOC_SETTINGS) delete callerEnv[name];
    expect(mallocSeenByStart(callerEnv)).toEqual(LOCAL_PROCESS_ENV);
    expect(mallocSeenByStart({ ...callerEnv, MALLOC_ARENA_MAX: '8', MALLOC_TRIM_THRESHOLD_: '0' })).toEqual({
      ...LOCAL_PROCESS_ENV,
      MALLOC_ARENA_MAX: '8',
      MALLOC_TRIM_THRESHOLD_: '0',
    });
  });

  it('starts the stack with its Node flags, in the process that runs it', () => {
    const execArgv = JSON.parse(
      startLineWith(
        (flags) => `node --import tsx ${flags} -e 'console.log(JSON.stringify(process.execArgv))'`,
        process.env,
      ),
    ) as string[];
    expect(execArgv).toEqual(expect.arrayContaining([...STACK_NODE_FLAGS]));
    // A Node process loading tsx: a second alone, more beside a busy test worker.
  }, 15_000);

  it('is the process npm started (exec), so a SIGTERM sent to it reaches the stack and stops it', async () => {
    // Through `sh -c` without exec the shell died of the signal and left the stack running, orphaned;
    // and tsx's CLI, relaying a Ctrl-C, killed a child that had not acknowledged it within 60 ms.
    const child = spawn(
      'sh',
      [
        '-c',
        startLine(
          (flags) =>
            `node --import tsx ${flags} -e "process.on('SIGTERM', () => { console.log('stopping'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000)"`,
        ),
      ],
      {
        cwd: root,
        env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Without exec the node process outlives its shell: its group ends here, not after the test run.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
    expect(out).toBe('up\nstopping\n');
    expect(code).toBe(0);
  }, 15_000);
});
