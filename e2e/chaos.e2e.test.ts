/**
 * The fault-injection suite's short profile (`npm run chaos` runs the same): the local stack with
 * its fault layer on, killed with SIGKILL twice and restarted, a seeded mixed workload to
 * misbehaving receivers, and every invariant checked at the end. A failure prints the seed:
 * `npm run chaos -- --seed <seed>` replays it.
 */
import { describe, expect, it } from 'vitest';
import { formatVerdict } from '../bench/chaos/invariants';
import { formatStats, runChaos, SHORT_PROFILE } from '../bench/chaos/runner';

const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));

describe('Vigil under faults, crashes and misbehaving receivers', () => {
  it(`keeps every invariant (seed ${seed})`, { timeout: 300_000 }, async () => {
    const lines: string[] = [];
    const report = await runChaos({ seed, ...SHORT_PROFILE, rates: '', log: (line) => lines.push(line) });
    const verdict = `${lines.join('\n')}\n${formatStats(report)}\n\n${formatVerdict(report.results)}`;
    process.stdout.write(`${verdict}\n`);
    expect(
      report.results.filter((r) => !r.ok).map((r) => r.name),
      verdict,
    ).toEqual([]);
  });
});
