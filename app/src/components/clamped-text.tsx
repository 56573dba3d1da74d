'use client';

import { Flex } from '@radix-ui/themes';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ShowAllToggle } from './show-all-toggle';

/**
 * Text that could take a screen of lines (a 2,000-character URL), shown in `lines` lines at most
 * with a button for the rest when it needs more; `title` gives all of it on hover meanwhile.
 */
export function ClampedText({
  children,
  title,
  lines = 3,
  testId,
  showAll = 'Show all of it',
}: {
  children: ReactNode;
  title: string;
  lines?: 2 | 3;
  testId?: string;
  /** The button's name while folded, where a page has several ('Show all of x-order'). */
  showAll?: string;
}) {
  const id = useId();
  const ref = useRef<HTMLSpanElement>(null);
  const [expanded, setExpanded] = useState(false);
  const [clipped, setClipped] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || expanded) return;
    // Whether the clamp hides anything, now and whenever the width changes (a phone turned).
    const measure = () => setClipped(element.scrollHeight > element.clientHeight + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [expanded]);
  return (
    <Flex direction="column" align="start" gap="1" minWidth="0">
      <span
        ref={ref}
        id={id}
        className={expanded ? 'vigil-clamp-none' : `vigil-clamp-${lines}`}
        title={title}
        data-testid={testId}
        data-clamped={!expanded && clipped}
      >
        {children}
      </span>
      {(clipped || expanded) && (
        <ShowAllToggle expanded={expanded} onToggle={setExpanded} controls={id} showAll={showAll} />
      )}
    </Flex>
  );
}
