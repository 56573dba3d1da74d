/**
 * `npm test` after the console's build: every vitest project, as two vitest processes at once
 * (test-runs.ts says which and why), their output passed through as it comes, and one summary
 * line at the end for both: `Summary: N passed, N failed, N skipped`. The exit code is the first
 * non-zero of the two. With arguments (`npm test -- libs/core`), one plain `vitest run` with them.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BACKGROUND_NICENESS, BACKGROUND_RUN, TIMED_RUN } from './test-runs';

const SUMMARY = /^Summary \(([^)]+)\): (\d+) passed, (\d+) failed, (\d+) skipped$/m;

interface Part {
  name: string;
  command: string[];
}

interface Ended {
  name: string;
  code: number;
  counts?: { passed: number; failed: number; skipped: number };
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

const run = (part: Part): Promise<Ended> =>
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
      const match = SUMMARY.exec(tail);
      resolve({
        name: part.name,
        code,
        counts: match ? { passed: Number(match[2]), failed: Number(match[3]), skipped: Number(match[4]) } : undefined,
      });
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
  const ended = await Promise.all(PARTS.map(run));
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const { counts } of ended) {
    total.passed += counts?.passed ?? 0;
    total.failed += counts?.failed ?? 0;
    total.skipped += counts?.skipped ?? 0;
  }
  const uncounted = ended.filter((part) => !part.counts);
  // A run that ended without its summary (it crashed, or was killed) fails the whole, counted or not.
  for (const part of uncounted) {
    process.stdout.write(`\nThe ${part.name} run ended (exit ${part.code}) without its summary line.\n`);
    total.failed += 1;
  }
  process.stdout.write(`\nSummary: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  return ended.find((part) => part.code !== 0)?.code ?? (total.failed > 0 ? 1 : 0);
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
