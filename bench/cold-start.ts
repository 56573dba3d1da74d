/**
 * `npm run bench:cold`: builds the Lambda bundles exactly as `serverless package` does (offline),
 * then for each function reports its zip size (goal <= 1 MB) and the time a fresh Node process
 * takes to load its handler module (median of 5): the part of a cold start the code controls.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = 5;
const out = mkdtempSync(join(tmpdir(), 'vigil-cold-'));

const build = spawnSync('npm', ['run', 'package', '--', '--stage', 'bench', '--package', out], {
  encoding: 'utf8',
  env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' },
});
if (build.status !== 0) {
  process.stderr.write(`serverless package failed:\n${build.stdout}${build.stderr}\n`);
  process.exit(1);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Finds the one .js handler file esbuild wrote into an unpacked function zip. */
const handlerFile = (dir: string): string | undefined => {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) return join(entry.parentPath, entry.name);
  }
  return undefined;
};

const rows: string[] = [];
for (const zip of readdirSync(out)
  .filter((name) => name.endsWith('.zip'))
  .sort()) {
  const name = zip.replace(/\.zip$/, '');
  const dir = join(out, name);
  spawnSync('python3', ['-m', 'zipfile', '-e', join(out, zip), dir]);
  const file = handlerFile(dir);
  if (!file) continue;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', NODE_ENV: 'production' } },
    );
    times.push(Number(run.stdout));
  }
  const kb = statSync(join(out, zip)).size / 1024;
  rows.push(`| ${name} | ${kb.toFixed(0)} KB | ${median(times).toFixed(0)} ms |`);
}
rmSync(out, { recursive: true, force: true });

process.stdout.write(
  [
    `Lambda bundles (${new Date().toISOString()}, Node ${process.version}): zip size (goal <= 1 MB) and handler module load time, median of ${RUNS} fresh processes`,
    '',
    '| function | zip | load |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
