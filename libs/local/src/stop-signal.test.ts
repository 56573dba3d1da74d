import { describe, expect, it } from 'vitest';
import { SAME_SIGNAL_MS, stopOnSignal } from './stop-signal';

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
