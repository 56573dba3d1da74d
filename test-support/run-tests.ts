/**
 * `npm test` after the console's build: every vitest project, as two vitest processes at once
 * (test-runs.ts says which and why), their output passed through as it comes, and one summary
 * line at the end for both: `Summary: N passed, N failed, N skipped`. The exit code is the first
 * non-zero of the two. With arguments (`npm test -- libs/core`), one plain `vitest run` with them.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { EndedRun } from './test-runs';
import { addUp, BACKGROUND_NICENESS, BACKGROUND_RUN, summaryOf, TIMED_RUN } from './test-runs';

interface Part {
  name: string;
  command: string[];
}

/** vitest's own entry, run by this Node (not through npx, which would stand between a signal and it). */
const VITEST = [process.execPath, join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs')];

const vitestRun = (projects: readonly string[]) => [
  ...VITEST,
  'run',
  ...projects.flatMap((project) => ['--project', project]),
];

const PARTS: Part[] = [
  { name: 'timed', command: vitestRun(TIMED_RUN) },
  { name: 'background', command: ['nice', '-n', String(BACKGROUND_NICENESS), ...vitestRun(BACKGROUND_RUN)] },
];

/** The one run `npm test -- <arguments>` makes. */
const PLAIN = 'vitest';

const children = new Set<ReturnType<typeof spawn>>();

const run = (part: Part): Promise<EndedRun> =>
  new Promise((resolve) => {
    const [command, ...args] = part.command as [string, ...string[]];
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Each of the two runs names its summary line (VIGIL_TEST_PART), which this one adds up; a plain run's stays plain.
      env: {
        ...process.env,
        // Colours as vitest gives a terminal, though its output comes through a pipe.
        ...(process.stdout.isTTY && { FORCE_COLOR: '1' }),
        ...(part.name !== PLAIN && { VIGIL_TEST_PART: part.name }),
      },
    });
    children.add(child);
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-65_536);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const ended = (code: number) => {
      children.delete(child);
      resolve({ name: part.name, code, counts: summaryOf(tail) });
    };
    child.on('error', (error) => {
      process.stderr.write(
        `npm test: could not start the ${part.name} run (${part.command.join(' ')}): ${error.message}\n`,
      );
      ended(1);
    });
    child.on('close', (code, signal) => ended(code ?? (signal ? 1 : 0)));
  });

const main = async (): Promise<number> => {
  const args = process.argv.slice(2);
  if (args.length > 0) {
    const ended = await run({ name: PLAIN, command: [...VITEST, 'run', ...args] });
    return ended.code;
  }
  const { text, code } = addUp(await Promise.all(PARTS.map(run)));
  process.stdout.write(text);
  return code;
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm test: ${String(error)}\n`);
    process.exit(1);
  },
);
