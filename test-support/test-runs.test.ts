import { describe, expect, it } from 'vitest';
import { addUp, summaryOf } from './test-runs';

describe("npm test's two runs, added up", () => {
  it("reads a run's counts from the summary line its output ends with", () => {
    const output =
      'lines\n\nSummary (timed): 1186 passed, 2 failed, 0 skipped\nCI runs every test, and these were skipped:\n';

    expect(summaryOf(output)).toEqual({ passed: 1186, failed: 2, skipped: 0 });
    expect(summaryOf('Summary: 3 passed, 0 failed, 0 skipped\n')).toBeUndefined();
  });

  it('prints one summary for both and passes only when both passed', () => {
    const both = addUp([
      { name: 'timed', code: 0, counts: { passed: 1186, failed: 0, skipped: 0 } },
      { name: 'background', code: 0, counts: { passed: 633, failed: 0, skipped: 0 } },
    ]);

    expect(both).toEqual({ text: '\nSummary: 1819 passed, 0 failed, 0 skipped\n', code: 0 });
    expect(
      addUp([
        { name: 'timed', code: 0, counts: { passed: 5, failed: 0, skipped: 0 } },
        { name: 'background', code: 1, counts: { passed: 4, failed: 1, skipped: 0 } },
      ]).code,
    ).toBe(1);
  });

  it('fails the whole when a run ended without its summary (crashed or killed), saying which', () => {
    const ended = addUp([
      { name: 'timed', code: 0, counts: { passed: 5, failed: 0, skipped: 0 } },
      { name: 'background', code: 137 },
    ]);

    expect(ended.text).toBe(
      '\nThe background run ended (exit 137) without its summary line.\n\nSummary: 5 passed, 1 failed, 0 skipped\n',
    );
    expect(ended.code).toBe(137);
    expect(addUp([{ name: 'timed', code: 0 }]).code).toBe(1);
  });
});
