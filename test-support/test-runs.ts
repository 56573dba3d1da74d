/**
 * How `npm test` runs the vitest projects (vitest.config.ts): in two vitest processes at once.
 *
 * - The timed run, at normal priority: the unit tests, then the integration tests that time
 *   deliveries (one file at a time), then the README's walk-through ("delivered on time"), then
 *   the tests that mostly wait with next to no CPU (they need only time, which this run has spare
 *   at its end). The timed files mostly wait (one keeps about a fifth of the two cores busy), which is
 *   why they once ran alone: the machine idled through them.
 * - The background run, at the lowest priority (`nice -n 19`, which its workers, stacks and browser
 *   inherit): the integration tests that measure nothing in time, then those that wait on a stack
 *   beside the untimed e2e tests. It takes the cores the timed run leaves idle; the kernel gives a
 *   timed test's thread the core as soon as it wakes (a niced thread's share beside it is about 1.5%),
 *   so its lateness is measured as on a quiet machine.
 *
 * A project in neither run would never run under `npm test`: vitest.config.ts refuses to load then.
 */
export const TIMED_RUN = ['unit', 'unit-isolated', 'integration-timed', 'e2e-timed', 'integration-idle'] as const;
export const BACKGROUND_RUN = ['integration', 'integration-waiting', 'e2e'] as const;

/** The niceness the background run gets: the lowest priority, so it only takes what is idle. */
export const BACKGROUND_NICENESS = 19;

/** A run's counts, as its summary line says them. */
export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** How one of the runs ended: its exit code, and its counts when its summary line was found. */
export interface EndedRun {
  name: string;
  code: number;
  counts?: RunCounts;
}

const PART_SUMMARY = /^Summary \([^)]+\): (\d+) passed, (\d+) failed, (\d+) skipped$/m;

/** The counts a run's output ends with (`Summary (timed): 3 passed, 0 failed, 0 skipped`), if it does. */
export const summaryOf = (output: string): RunCounts | undefined => {
  const match = PART_SUMMARY.exec(output);
  return match ? { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3]) } : undefined;
};

/**
 * The runs added up: what to print (a note for each run that ended without its summary, which then
 * counts as one failed, crashed or killed, and the one `Summary:` line) and the exit code, the first
 * run's that is not 0, or 1 when a test failed.
 */
export const addUp = (ended: readonly EndedRun[]): { text: string; code: number } => {
  const total: RunCounts = { passed: 0, failed: 0, skipped: 0 };
  let text = '';
  for (const { name, code, counts } of ended) {
    if (counts === undefined) {
      text += `\nThe ${name} run ended (exit ${code}) without its summary line.\n`;
      total.failed += 1;
      continue;
    }
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  text += `\nSummary: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`;
  return { text, code: ended.find((run) => run.code !== 0)?.code ?? (total.failed > 0 ? 1 : 0) };
};
