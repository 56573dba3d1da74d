/**
 * Ctrl-C (or SIGTERM) while `npm start` is starting, before its banner: the start stops what it has
 * started, gives the data dir back and says so in one line. It exited 130 without a word and left
 * `<dataDir>/vigil.pid` behind.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/free-port';
import { DATA_DIR_LOCK_FILE } from './data-dir-lock';

const root = join(__dirname, '..', '..', '..');
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

interface Starting {
  child: ChildProcess;
  dataDir: string;
  /** Its stdout and stderr so far. */
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * `npm start`'s own shell line (it execs the stack's node process), on a data dir and port of its
 * own; `line` changes it (a module of the test's own, say).
 */
const startStarting = async (line: (start: string) => string = (start) => start): Promise<Starting> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-interrupted-'));
  const child = spawn('sh', ['-c', line(scripts.start!)], {
    cwd: root,
    env: {
      ...process.env,
      PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`,
      VIGIL_PORT: String(await freePort()),
      VIGIL_DATA_DIR: dataDir,
      VIGIL_WEB: 'off',
      VIGIL_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const starting = { child, dataDir, output: () => output, exited };
  started.push(starting);
  return starting;
};

const started: Starting[] = [];

afterEach(async () => {
  for (const { child, dataDir, exited } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** Waits until `path` exists (the start has reached that step), polling every 10 ms. */
const appeared = async (path: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await sleep(10);
  }
};

describe('npm start signalled before the stack is up', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops the start on ${signal}, gives the data dir back and says it stopped before the stack was up`, async () => {
      // Arrange: a stack starting, its data dir taken (the first thing its start does).
      const stack = await startStarting();
      const lock = join(stack.dataDir, DATA_DIR_LOCK_FILE);
      await appeared(lock, 30_000);

      // Act
      stack.child.kill(signal);
      const code = await stack.exited;

      // Assess: one line said, a clean exit, the lock gone, no banner.
      expect(stack.output()).toContain(`${signal}: stopped before the Vigil local stack was up`);
      expect(stack.output()).not.toContain('Vigil local stack is running');
      expect(code).toBe(0);
      expect(existsSync(lock), 'the data dir is left locked').toBe(false);
    }, 60_000);
  }
});

describe('npm start signalled while node loads its modules', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`says on ${signal} as tsx starts loading that it stopped before the stack was up, where it ended without a word`, async () => {
      // Arrange: the signal sent in the first second of a start: a module of the test's own, loaded
      // just before tsx, signals its process (from a terminal, Ctrl-C then).
      const signalling = `--import 'data:text/javascript,process.kill(process.pid,"${signal}")' --import tsx `;
      const stack = await startStarting((start) => start.replace('--import tsx ', signalling));

      // Act
      const code = await stack.exited;

      // Assess: the same line as a signal later before the banner, a clean exit, nothing made in the data dir.
      expect(stack.output()).toBe(`\n${signal}: stopped before the Vigil local stack was up; nothing of it runs on.\n`);
      expect(code).toBe(0);
      expect(readdirSync(stack.dataDir)).toEqual([]);
    }, 60_000);
  }

  it('says so on a SIGINT that lands while main.ts loads its own modules, which the hand-over to main.ts must not lose', async () => {
    // Arrange: the signal sent as main.ts requires ./stack, while its modules load synchronously: node
    // hands it to a listener only after main.ts has begun (a listener removed then would drop it,
    // and the start went on to its banner).
    const hook = join(await mkdtemp(join(tmpdir(), 'vigil-interrupted-hook-')), 'signal-in-load.mjs');
    hooks.push(hook);
    await writeFile(
      hook,
      [
        "import Module from 'node:module';",
        'const load = Module._load;',
        'let sent = false;',
        'Module._load = function (request, ...rest) {',
        "  if (!sent && request === './stack') {",
        '    sent = true;',
        "    process.kill(process.pid, 'SIGINT');",
        '  }',
        '  return load.call(this, request, ...rest);',
        '};',
      ].join('\n'),
    );
    const stack = await startStarting((start) => start.replace('--import tsx ', `--import tsx --import ${hook} `));

    // Act
    const code = await Promise.race([stack.exited, sleep(30_000).then(() => 'still running')]);

    // Assess
    expect(code).toBe(0);
    expect(stack.output()).toContain('SIGINT: stopped before the Vigil local stack was up; nothing of it runs on.');
    expect(stack.output()).not.toContain('Vigil local stack is running');
    expect(existsSync(join(stack.dataDir, DATA_DIR_LOCK_FILE)), 'the data dir is left locked').toBe(false);
  }, 60_000);
});

const hooks: string[] = [];
afterEach(async () => {
  for (const hook of hooks.splice(0)) await rm(join(hook, '..'), { recursive: true, force: true });
});
