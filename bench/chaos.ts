/**
 * `npm run chaos`: the fault-injection suite (bench/chaos/runner.ts). The short profile by default
 * (about 2.5 minutes); `--minutes N` for a long run. Prints the seed (replay with `--seed N`), what
 * was injected and the invariants; exits 1 when one is broken.
 */
import { parseArgs } from 'node:util';
import { parseChaosSettings } from '@vigil/local/fault-proxy';
import { quietSdkNodeNotice } from '@vigil/local/sdk-notice';
import { formatVerdict } from './chaos/invariants';
import { formatStats, longProfile, runChaos, SHORT_PROFILE } from './chaos/runner';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    minutes: { type: 'string' },
    rate: { type: 'string' },
    kills: { type: 'string' },
    rates: { type: 'string' },
    'grace-s': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    [
      'npm run chaos -- [--seed N] [--minutes M] [--rate R] [--kills K] [--rates SPEC] [--grace-s S]',
      '  --seed N     replay a run (default: random, printed)',
      '  --minutes M  workload length (default: the short profile, 50 s of workload)',
      '  --rate R     new messages per second (default 2 short, 3 long)',
      '  --kills K    SIGKILLs of the stack during the workload (default 2 short, minutes/2 long)',
      '  --rates SPEC fault rates, e.g. throttle=0.03,5xx=0.02,timeout=0.005,reset=0.01,hold=3000',
      '  --grace-s S  how long after the last due time a message may still wait (default 60)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const number = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative number, got "${value}"\n`);
    process.exit(2);
  }
  return n;
};

if (values.rates !== undefined) {
  try {
    parseChaosSettings(`0:${values.rates}`);
  } catch (error) {
    process.stderr.write(`--rates: ${(error as Error).message.replace('VIGIL_CHAOS: ', '')}\n`);
    process.exit(2);
  }
}

const minutes = number('minutes', values.minutes);
const profile = minutes === undefined ? SHORT_PROFILE : longProfile(minutes);
const seed = number('seed', values.seed) ?? Math.floor(Math.random() * 1_000_000);

const main = async () => {
  quietSdkNodeNotice();
  const report = await runChaos({
    seed,
    workloadMs: profile.workloadMs,
    ratePerS: number('rate', values.rate) ?? profile.ratePerS,
    kills: number('kills', values.kills) ?? profile.kills,
    rates: values.rates ?? '',
    graceMs: (number('grace-s', values['grace-s']) ?? profile.graceMs / 1000) * 1000,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${formatStats(report)}\n\n${formatVerdict(report.results)}\n\n`);
  process.stdout.write(report.ok ? 'chaos: every invariant held\n' : `chaos: invariants broken (seed ${seed})\n`);
  process.exit(report.ok ? 0 : 1);
};

main().catch((error) => {
  process.stderr.write(
    `chaos: the run itself failed (seed ${seed}): ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(2);
});
