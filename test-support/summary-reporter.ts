/**
 * Ends every run with one plain line, `Summary: N passed, N failed, N skipped`, for CI to read.
 * A test file that could not be collected (it failed to import, say) has no tests to count: it
 * counts as one failed, so the line never says "0 failed" for a run that failed. In CI a skipped test fails the run (a tier that could not run must not pass quietly): the
 * skipped tests are listed and the exit code is 1.
 */
import type { Reporter, TestModule } from 'vitest/node';
import { inCi } from './ci';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const skipped: string[] = [];
    const uncollected: string[] = [];
    for (const module of testModules) {
      if (module.errors().length > 0) {
        counts.failed += 1;
        uncollected.push(module.moduleId.replace(`${process.cwd()}/`, ''));
      }
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else {
          counts.skipped += 1;
          skipped.push(`${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`);
        }
      }
    }
    if (uncollected.length > 0) {
      process.stdout.write(
        `\nThese test files could not be collected:\n${uncollected.map((s) => `  ${s}`).join('\n')}\n`,
      );
    }
    // One of npm test's two runs (test-support/run-tests.ts) names itself; the runner adds them up.
    const part = process.env.VIGIL_TEST_PART ? ` (${process.env.VIGIL_TEST_PART})` : '';
    process.stdout.write(
      `\nSummary${part}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
    if (inCi() && skipped.length > 0) {
      process.stdout.write(`CI runs every test, and these were skipped:\n${skipped.map((s) => `  ${s}`).join('\n')}\n`);
      process.exitCode = 1;
    }
  }
}
