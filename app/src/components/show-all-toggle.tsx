'use client';

import { Button } from '@radix-ui/themes';

/**
 * The button under text shown in part (a clamped URL, a long body): `showAll` while folded
 * ('Show all of it', 'Show all 140 lines'), 'Show less' while open, and it tells a screen reader
 * which element it opens (`controls`) and whether that is open.
 */
export function ShowAllToggle({
  expanded,
  onToggle,
  controls,
  showAll,
}: {
  expanded: boolean;
  onToggle: (expanded: boolean) => void;
  controls: string;
  showAll: string;
}) {
  return (
    <Button
      variant="ghost"
      size="1"
      aria-expanded={expanded}
      aria-controls={controls}
      onClick={() => onToggle(!expanded)}
    >
      {expanded ? 'Show less' : showAll}
    </Button>
  );
}
