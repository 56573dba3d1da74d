import { describe, expect, it } from 'vitest';
import { readFinalStates, UNANSWERED_READ_PASSES } from './final-states';
import type { FinalView } from './invariants';

/** A clock that moves only when the reader sleeps. */
const clock = (deadline: number) => {
  let now = 0;
  return { deadline, now: () => now, sleep: async (ms: number) => void (now += ms), pauseMs: 2_000 };
};

describe('readFinalStates', () => {
  it('reads until every message is final, before the deadline', async () => {
    const answers = new Map<string, FinalView[]>([
      [
        'a',
        [
          { status: 'queued', attempts: 0 },
          { status: 'delivered', attempts: 1 },
        ],
      ],
      ['b', [{ status: 'failed', attempts: 3 }]],
    ]);
    const { finals } = await readFinalStates(['a', 'b'], {
      ...clock(60_000),
      read: async (id) => answers.get(id)!.shift()!,
    });
    expect(finals.get('a')?.status).toBe('delivered');
    expect(finals.get('b')?.status).toBe('failed');
  });

  it('asks again, past the deadline, for a message whose read got no answer', async () => {
    // The first pass starts after the deadline (the workload's last creates ran long) and the
    // API answers that one read with a 5xx: the message is still read, on the next pass.
    let reads = 0;
    const { finals, unanswered } = await readFinalStates(['late'], {
      ...clock(-1),
      read: async () => (++reads === 1 ? '503 service-unavailable' : { status: 'delivered', attempts: 1 }),
    });
    expect(finals.get('late')).toEqual({ status: 'delivered', attempts: 1 });
    expect(unanswered.size).toBe(0);
  });

  it('stops past the deadline once every open message answered, and keeps what it saw', async () => {
    let reads = 0;
    const { finals } = await readFinalStates(['stuck'], {
      ...clock(5_000),
      read: async () => {
        reads += 1;
        return { status: 'delivering', attempts: 0 };
      },
    });
    expect(finals.get('stuck')?.status).toBe('delivering');
    // Passes at 0, 2 and 4 s, then one past the deadline: answered, so no more.
    expect(reads).toBe(4);
  });

  it('gives up on a message the API never answers after a bounded number of passes, keeping its last answer', async () => {
    let reads = 0;
    const { finals, unanswered } = await readFinalStates(['gone'], {
      ...clock(-1),
      read: async () => {
        reads += 1;
        return reads === 1 ? '503 service-unavailable' : '429 too-many-requests';
      },
    });
    expect(finals.has('gone')).toBe(false);
    // What the API said the last time: the run prints it beside the broken invariant.
    expect(unanswered.get('gone')).toBe('429 too-many-requests');
    expect(reads).toBe(UNANSWERED_READ_PASSES);
  });
});
