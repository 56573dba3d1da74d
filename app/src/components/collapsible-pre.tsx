'use client';

import { Flex, Text } from '@radix-ui/themes';
import { useId, useState } from 'react';
import { COLLAPSED_LINES, firstLines } from '@/lib/format';
import { ShowAllToggle } from './show-all-toggle';

/**
 * A body as a mono block: over 20 lines it shows its first 20 and a "Show all" button, so a 140 KB
 * body does not make the page hundreds of thousands of pixels tall.
 */
export function CollapsiblePre({ text, testId }: { text: string; testId?: string }) {
  const [expanded, setExpanded] = useState(false);
  const id = useId();
  const { head, total } = firstLines(text);
  const long = total > COLLAPSED_LINES;
  return (
    <Flex direction="column" gap="2">
      <pre
        className="vigil-pre vigil-pre-bounded"
        id={id}
        tabIndex={0}
        data-testid={testId}
        data-collapsed={long && !expanded}
      >
        {long && !expanded ? head : text}
      </pre>
      {long && (
        <Flex align="center" gap="3">
          <ShowAllToggle
            expanded={expanded}
            onToggle={setExpanded}
            controls={id}
            showAll={`Show all ${total.toLocaleString('en-US')} lines`}
          />
          {!expanded && (
            <Text size="1" color="gray">
              {(total - COLLAPSED_LINES).toLocaleString('en-US')} more lines hidden
            </Text>
          )}
        </Flex>
      )}
    </Flex>
  );
}
