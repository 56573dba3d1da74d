'use client';

import { Flex, Text } from '@radix-ui/themes';
import { useId, useState } from 'react';
import { COLLAPSED_LINES, firstLines } from '@/lib/format';
import { ShowAllToggle } from './show-all-toggle';

/**
 * A body as a mono block: over 20 lines, or 4,000 characters (a 256 KiB body on one line), it
 * shows that much and a "Show all" button saying how much is hidden, so a 140 KB body does not make
 * the page hundreds of thousands of pixels tall, nor a one-line one fill a box with no sign of more.
 * Shown all, a large one scrolls inside its box, and says so.
 */
export function CollapsiblePre({ text, testId }: { text: string; testId?: string }) {
  const [expanded, setExpanded] = useState(false);
  const id = useId();
  const { head, total, chars, folded, cutInLine } = firstLines(text);
  // Said in lines where whole lines are left out, else in characters.
  const byLines = !cutInLine;
  const many = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
  return (
    <Flex direction="column" gap="2">
      <pre
        className="vigil-pre vigil-pre-bounded"
        id={id}
        tabIndex={0}
        data-testid={testId}
        data-collapsed={folded && !expanded}
      >
        {folded && !expanded ? head : text}
      </pre>
      {folded && (
        <Flex align="center" gap="3" wrap="wrap">
          <ShowAllToggle
            expanded={expanded}
            onToggle={setExpanded}
            controls={id}
            showAll={byLines ? `Show all ${many(total, 'line')}` : `Show all ${many(chars, 'character')}`}
          />
          <Text size="1" color="gray" data-testid={testId && `${testId}-fold`}>
            {expanded
              ? 'All of it is shown: the box scrolls.'
              : byLines
                ? `${many(total - COLLAPSED_LINES, 'more line')} hidden`
                : `${many(chars - head.length, 'more character')} hidden (the first ${head.length.toLocaleString('en-US')} are shown)`}
          </Text>
        </Flex>
      )}
    </Flex>
  );
}
