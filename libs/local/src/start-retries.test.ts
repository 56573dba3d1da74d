import { describe, expect, it } from 'vitest';
import { retriedAtStart } from './start-retries';

const quick = { tries: 4, firstPauseMs: 1, maxPauseMs: 2 };

const logged = () => {
  const warnings: Array<Record<string, unknown>> = [];
  return {
    warnings,
    log: {
      info: () => {},
      warn: (_: string, f?: Record<string, unknown>) => void warnings.push(f ?? {}),
      error: () => {},
    },
  };
};

describe('a start-up step that meets a passing fault', () => {
  it('is tried again until it succeeds, each failure logged with its pause', async () => {
    const { warnings, log } = logged();
    let calls = 0;
    const result = await retriedAtStart(
      'sweep',
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('ProvisionedThroughputExceededException: Rate exceeded (injected)');
        return 'swept';
      },
      log,
      quick,
    );
    expect(result).toBe('swept');
    expect(calls).toBe(3);
    expect(warnings.map((w) => [w.attempt, w.pauseMs])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('gives up after its tries with the last error', async () => {
    const { warnings, log } = logged();
    let calls = 0;
    const failing = retriedAtStart(
      'sweep',
      async () => {
        calls += 1;
        throw new Error(`fault ${calls}`);
      },
      log,
      quick,
    );
    await expect(failing).rejects.toThrow('fault 4');
    expect(calls).toBe(4);
    expect(warnings).toHaveLength(3);
  });
});
