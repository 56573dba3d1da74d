/**
 * `npm run bench:cold`: builds the Lambda bundles exactly as `serverless package` does (offline),
 * then for each function reports its zip size (goal <= 1 MB) and the time a fresh Node process
 * takes to load its handler module (median of 5): the part of a cold start the code controls.
 * Lambda gives a function CPU in proportion to its memory (1,769 MB is one vCPU), so where this
 * machine lets the bench cap a process's CPU (a cgroup it may write), it loads each module again
 * under its deployed memory's share of a core: what a cold start costs at that size.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ENGINE_SETTINGS } from '@vigil/core';
import { DELIVER, memorySizeOf } from '../infra/functions';

const RUNS = 5;
/** Loads at a function's share of a core take 3-8 times longer: fewer of them. */
const CAPPED_RUNS = 3;
/** Lambda's memory for one full vCPU: below it, a function gets memory / 1,769 of a core. */
const MB_PER_VCPU = 1_769;
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

/**
 * A cgroup (v1's cpu controller) whose CPU quota the bench sets, or undefined where this machine
 * has none it may write (then the capped column says so). Processes join it by writing their pid.
 */
const cpuCap = (() => {
  const dir = `/sys/fs/cgroup/cpu/vigil-bench-cold-${process.pid}`;
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
    // Gone at exit, however the bench ends (its processes have ended by then: spawnSync waits).
    process.once('exit', () => {
      try {
        rmdirSync(dir);
      } catch {
        // Still busy or already gone: the kernel keeps an empty cgroup harmlessly.
      }
    });
    return {
      set: (share: number) => writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(share * 100_000))),
      procs: join(dir, 'cgroup.procs'),
    };
  } catch {
    return undefined;
  }
})();

/** Milliseconds a fresh Node process takes to require `file`; inside the capped cgroup when `capped`. */
const loadMs = (file: string, capped: boolean): number => {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', NODE_ENV: 'production' as const };
  const run =
    capped && cpuCap
      ? spawnSync('sh', ['-c', `echo $$ > ${cpuCap.procs} && exec "$0" -e "$1"`, process.execPath, script], {
          encoding: 'utf8',
          env,
        })
      : spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
  return Number(run.stdout);
};

const rows: string[] = [];
let deliverCapped: number | undefined;
for (const zip of readdirSync(out)
  .filter((name) => name.endsWith('.zip'))
  .sort()) {
  const name = zip.replace(/\.zip$/, '');
  const dir = join(out, name);
  spawnSync('python3', ['-m', 'zipfile', '-e', join(out, zip), dir]);
  const file = handlerFile(dir);
  if (!file) continue;
  const times = Array.from({ length: RUNS }, () => loadMs(file, false));
  const memory = memorySizeOf(name);
  const share = Math.min(1, memory / MB_PER_VCPU);
  let capped = 'not measurable here';
  if (cpuCap) {
    cpuCap.set(share);
    const ms = median(Array.from({ length: CAPPED_RUNS }, () => loadMs(file, true)));
    if (name === DELIVER) deliverCapped = ms;
    capped = `${ms.toFixed(0)} ms`;
  }
  const kb = statSync(join(out, zip)).size / 1024;
  rows.push(
    `| ${name} | ${kb.toFixed(0)} KB | ${median(times).toFixed(0)} ms | ${memory} MB: ${(share * 100).toFixed(1)} % | ${capped} |`,
  );
}
rmSync(out, { recursive: true, force: true });

process.stdout.write(
  [
    `Lambda bundles (${new Date().toISOString()}, Node ${process.version}): zip size (goal <= 1 MB) and handler module load time, median of ${RUNS} fresh processes`,
    '',
    `| function | zip | load (a whole core) | memory: its share of a core | load at that share (median of ${CAPPED_RUNS}) |`,
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...(deliverCapped === undefined
      ? ["No CPU cgroup to write here (run as root on cgroup v1 to measure loads at each function's share of a core)."]
      : [
          `A cold deliver spends ${deliverCapped.toFixed(0)} ms loading its module at its share of a core, before its runtime's own start; ` +
            `a worker gets a ticket ${DEFAULT_ENGINE_SETTINGS.armLeadMs}-${DEFAULT_ENGINE_SETTINGS.armLeadMs + 1000} ms before it is due (VIGIL_ARM_LEAD_MS on AWS), ` +
            `so a cold deliver ${deliverCapped >= DEFAULT_ENGINE_SETTINGS.armLeadMs ? 'can be late' : 'fits in the lead'} if Lambda gives its init no more CPU than its memory's share.`,
        ]),
    '',
  ].join('\n'),
);
