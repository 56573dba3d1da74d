'use client';

import { Text, Tooltip } from '@radix-ui/themes';
import { absoluteTime, relativeTime } from '@/lib/format';
import { useNow } from '@/lib/use-now';

/**
 * A time as "in 5 seconds" / "3 minutes ago", with the exact instant beside it or on hover, kept
 * current while on screen.
 */
export function Timestamp({
  iso,
  exact = false,
  stacked = false,
}: {
  iso: string;
  exact?: boolean;
  stacked?: boolean;
}) {
  const now = useNow();
  // Rendered on the server without a clock of the browser's: the exact time until the browser takes over.
  const relative = now === undefined ? absoluteTime(iso) : relativeTime(iso, now);
  if (stacked) {
    // Both, one above the other (tables, where there is no hover on a phone).
    return (
      <time dateTime={iso} style={{ display: 'flex', flexDirection: 'column' }}>
        <Text as="span">{relative}</Text>
        <Text as="span" size="1" color="gray">
          {absoluteTime(iso)}
        </Text>
      </time>
    );
  }
  if (exact) {
    return (
      <Text as="span">
        <time dateTime={iso}>{absoluteTime(iso)}</time>{' '}
        <Text color="gray" size="1">
          ({relative})
        </Text>
      </Text>
    );
  }
  return (
    <Tooltip content={absoluteTime(iso)}>
      <time dateTime={iso} title={absoluteTime(iso)}>
        {relative}
      </time>
    </Tooltip>
  );
}
