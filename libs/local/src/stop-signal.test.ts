import { describe, expect, it } from 'vitest';
import { SAME_SIGNAL_MS, onStopSignals, stopOnSignal } from './stop-signal';

const harness = () => {
  let now = 0;
  let finishStop!: () => void;
  const stopped = new Promise<void>((resolve) => (finishStop = resolve));
  const said: string[] = [];
  const exits: number[] = [];
  const onSignal = stopOnSignal({
    stop: () => stopped,
    drainMs: 45_000,
    write: (text) => said.push(text.trim()),
    exit: (code) => exits.push(code),
    now: () => now,
  });
  return { onSignal, said, exits, finishStop, advance: (ms: number) => (now += ms) };
};

describe('Ctrl-C of npm start', () => {
  it('stops letting the work under way finish, and takes the same Ctrl-C relayed by npm as one', async () => {
    const h = harness();
    const stopping = h.onSignal('SIGINT');
    h.advance(SAME_SIGNAL_MS - 1);
    await h.onSignal('SIGINT');
    expect(h.exits).toEqual([]);
    h.finishStop();
    await stopping;
    expect(h.said).toEqual([
      'SIGINT: stopping the Vigil local stack, letting the requests and deliveries under way finish (at most 45 s; SIGINT again stops it at once)...',
      'Stopped.',
    ]);
    expect(h.exits).toEqual([0]);
  });

  it('stops at once on a second Ctrl-C a moment later', async () => {
    const h = harness();
    void h.onSignal('SIGINT');
    h.advance(SAME_SIGNAL_MS + 500);
    await h.onSignal('SIGINT');
    expect(h.said.at(-1)).toBe('SIGINT again: stopped at once; what was under way is finished after a restart.');
    expect(h.exits).toEqual([130]);
  });
});

describe('Ctrl-C of npm start before its banner (the same rule, its own texts and stop)', () => {
  const harness = () => {
    let now = 0;
    const done: string[] = [];
    const onSignal = onStopSignals({
      stop: (signal) => void done.push(`stop ${signal}`),
      again: (signal) => `${signal} again: stopped at once, before the Vigil local stack was up.`,
      beforeExit: () => done.push('lock released'),
      write: (text) => done.push(text),
      exit: (code) => done.push(`exit ${code}`),
      now: () => now,
    });
    return { onSignal, done, advance: (ms: number) => (now += ms) };
  };

  it('begins the stop once for the same Ctrl-C relayed by npm, saying nothing and exiting not', async () => {
    const h = harness();
    await h.onSignal('SIGINT');
    h.advance(SAME_SIGNAL_MS - 1);
    await h.onSignal('SIGINT');
    expect(h.done).toEqual(['stop SIGINT']);
  });

  it('gives up what must not be left behind, says its own words and exits 130 on a second signal later', async () => {
    const h = harness();
    await h.onSignal('SIGTERM');
    h.advance(SAME_SIGNAL_MS);
    await h.onSignal('SIGTERM');
    expect(h.done).toEqual([
      'stop SIGTERM',
      'lock released',
      'SIGTERM again: stopped at once, before the Vigil local stack was up.',
      'exit 130',
    ]);
  });
});
