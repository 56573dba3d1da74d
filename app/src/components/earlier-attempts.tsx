'use client';

import { Flex } from '@radix-ui/themes';
import { type ReactNode, useId, useState } from 'react';
import { ShowAllToggle } from './show-all-toggle';

/**
 * A message's attempts before its latest few, folded behind one button: a message tried 100 times
 * lists the 50 kept, each a fifth of a screen, and its latest attempt, the one a person looks for
 * on a bad day, was some 7,000 pixels down the page. They are in the page all the same (found by
 * the browser's search once shown), in the order they were made.
 */
export function EarlierAttempts({
  from,
  to,
  children,
}: {
  /** The first and the last of them (attempt numbers). */
  from: number;
  to: number;
  children: ReactNode;
}) {
  const [shown, setShown] = useState(false);
  const id = useId();
  return (
    <Flex direction="column" gap="3" align="start">
      <ShowAllToggle
        expanded={shown}
        onToggle={setShown}
        controls={id}
        showAll={`Show the ${to - from + 1} earlier attempts (#${from} to #${to})`}
      />
      <div id={id} hidden={!shown} data-testid="earlier-attempts">
        {children}
      </div>
    </Flex>
  );
}
