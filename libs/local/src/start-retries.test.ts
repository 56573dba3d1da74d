import type { StartUpRead, StartUpRun } from '@vigil/core';
import { describe, expect, it, vi } from 'vitest';
import { retriedAtStart } from './start-retries';
import { startUpSweep } from './start-up-sweep';

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

describe('the start-up sweep’s runs in the background, when one meets a passing fault', () => {
  /** Every line logged, as `level message`, with its fields. */
  const lines = () => {
    const all: Array<{ line: string; fields: Record<string, unknown> }> = [];
    const at =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        void all.push({ line: `${level} ${message}`, fields });
    return { all, log: { info: at('info'), warn: at('warn'), error: at('error') } };
  };
  const run = (requeued: number, done: boolean): StartUpRun => ({ requeued, storedEvents: 0, resumedJobs: 0, done });

  it('reads on from the start, leaving alone what the failed read handed on, until it has seen the whole near window', async () => {
    const { all, log } = lines();
    const reads: Array<Required<StartUpRead>> = [];
    const sweep = await startUpSweep({
      runs: async function* (read) {
        reads.push(read);
        if (!read.again) {
          read.handedOn.add('msg_handed_on');
          yield run(100, false); // before the stack serves
          yield run(100, false);
          throw new Error('ProvisionedThroughputExceededException: Rate exceeded (injected)');
        }
        yield run(50, true);
      },
      invocation: (_name, call) => call(),
      log,
      retries: quick,
    });
    await vi.waitFor(() => expect(sweep.goingOn).toBe(false));

    // One set of what was handed on, kept from the first read to the next; the jobs revived once.
    expect(reads.map((read) => read.again)).toEqual([false, true]);
    expect(reads[1]!.handedOn).toBe(reads[0]!.handedOn);
    // Emptied once the reads end: nothing left to leave alone, nothing kept for the stack's life.
    expect(sweep.handedOn.size).toBe(0);
    expect(all.map(({ line, fields }) => [line, fields.handedOn, fields.runs])).toEqual([
      ['info the start-up sweep goes on in the background, one run at a time', 100, 1],
      ['info the start-up sweep goes on', 200, 2],
      ['warn the start-up sweep failed; it reads on from the start', 200, 2],
      ['info the start-up sweep has seen the whole near window', 250, 3],
    ]);
  });

  it('leaves the rest to the periodic sweep once its tries are spent, and says so', async () => {
    const { all, log } = lines();
    const sweep = await startUpSweep({
      runs: async function* () {
        yield run(100, false);
        throw new Error('the store is gone (injected)');
      },
      invocation: (_name, call) => call(),
      log,
      retries: quick,
    });
    await vi.waitFor(() => expect(sweep.goingOn).toBe(false));
    expect(all.filter(({ line }) => line.startsWith('warn'))).toHaveLength(quick.tries - 1);
    expect(all.at(-1)).toMatchObject({ line: 'error the start-up sweep failed; the periodic sweep goes on' });
  });
});
