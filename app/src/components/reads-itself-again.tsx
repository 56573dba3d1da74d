'use client';

import { useState } from 'react';
import { READ_AGAIN_MAX_S, readAgainWaitS } from '@/lib/problem-words';
import { AutoRefresh } from './auto-refresh';

const seconds = (n: number) => (n === 1 ? '1 second' : `${n} seconds`);

/**
 * On a page that reads itself, after a problem trying again mends: reads the page again after
 * `firstS`, then waits twice as long after each read refused again (5, 10, 20, 40 s, then a
 * minute), and says how long. Vigil failing for an hour is not asked 720 times by each open tab.
 * A good read draws the page instead of the notice, so the next problem starts from `firstS` again.
 */
export function ReadsItselfAgain({ firstS }: { firstS: number }) {
  // How many reads it has made since the problem was first shown: the notice stays mounted while
  // the reads are refused (the page's refresh draws the same notice in the same place).
  const [reads, setReads] = useState(0);
  const waitS = readAgainWaitS(firstS, reads);
  return (
    <>
      <AutoRefresh active everyMs={waitS * 1000} onRead={() => setReads((n) => n + 1)} />
      <span data-testid="reads-itself-again">
        {' '}
        {waitS < READ_AGAIN_MAX_S
          ? `This page tries again on its own after ${seconds(waitS)}, and waits longer each time it is refused (up to a minute).`
          : 'This page tries again on its own once a minute.'}
      </span>
    </>
  );
}
