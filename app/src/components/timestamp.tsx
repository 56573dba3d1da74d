'use client';

import { Text, Tooltip } from '@radix-ui/themes';
import { useDisplayZone } from '@/lib/display-zone';
import { absoluteTime, isSameZone, localTimeText, relativeTime, zonedTime } from '@/lib/format';
import { useNow } from '@/lib/use-now';

/**
 * A time as "in 5 seconds" / "3 minutes ago" and in the viewer's own zone (or UTC, as the
 * header's toggle chooses), named
 * (`2026-12-01 20:38:43 America/New_York (UTC-05:00)`), with the exact instant in UTC, to the
 * millisecond, on hover; kept current while on screen. Rendered on the server, where the viewer's
 * zone is not known, it shows the UTC time until the browser takes over.
 */
export function Timestamp({
  iso,
  exact = false,
  stacked = false,
  once,
}: {
  iso: string;
  exact?: boolean;
  stacked?: boolean;
  /** Said instead of "… ago" once the instant has passed (a next try that is due: "due now"). */
  once?: string;
}) {
  const now = useNow();
  const inBrowser = now !== undefined;
  const utc = absoluteTime(iso);
  const relative = !inBrowser ? utc : once !== undefined && Date.parse(iso) <= now ? once : relativeTime(iso, now);
  const zone = useDisplayZone() ?? 'UTC';
  const hover = zone === 'UTC' ? utc : `${zonedTime(iso, zone)}\n${utc}`;
  if (stacked) {
    // Both, one above the other (tables, where there is no hover on a phone).
    return (
      <time dateTime={iso} title={hover} style={{ display: 'flex', flexDirection: 'column' }}>
        <Text as="span">{relative}</Text>
        <Text as="span" size="1" color="gray" data-testid="zoned-time">
          {zonedTime(iso, zone, { ms: false })}
        </Text>
      </time>
    );
  }
  if (exact) {
    // In full: the viewer's zone to the millisecond, how far off, and UTC.
    return (
      <Text as="span" style={{ display: 'inline-flex', flexDirection: 'column' }}>
        <Text as="span">
          <time dateTime={iso} title={utc} data-testid="zoned-time">
            {zonedTime(iso, zone)}
          </time>{' '}
          <Text color="gray" size="1">
            ({relative})
          </Text>
        </Text>
        {zone !== 'UTC' && (
          <Text as="span" size="1" color="gray">
            {utc}
          </Text>
        )}
      </Text>
    );
  }
  return (
    <Tooltip content={hover}>
      <time dateTime={iso} title={hover}>
        {relative}
      </time>
    </Tooltip>
  );
}

/**
 * When a used-up monthly quota renews, as a sentence: in the viewer's zone (UTC while rendered on
 * the server, until the browser takes over) and how far off that is.
 */
export function RenewsAt({ iso }: { iso: string }) {
  const now = useNow();
  const zone = useDisplayZone() ?? 'UTC';
  return (
    <>
      It renews on{' '}
      <time dateTime={iso} title={absoluteTime(iso)} data-testid="renews-at">
        {zonedTime(iso, zone, { ms: false })}
      </time>
      {now !== undefined && ` (${relativeTime(iso, now)})`}.
    </>
  );
}

/**
 * Under a message's due time: the wall time it was scheduled at in its own zone. Where that zone is
 * the one the console shows times in (by any of its names: `US/Eastern` in a New York browser), the
 * line above says it already, to the character: said once.
 */
export function OwnZoneTime({ localSendAt, timezone }: { localSendAt: string; timezone: string }) {
  const zone = useDisplayZone();
  if (zone !== undefined && isSameZone(zone, timezone)) {
    return (
      <Text size="1" color="gray" data-testid="own-zone-shown">
        Its own zone, as it was scheduled.
      </Text>
    );
  }
  return (
    <Text size="1" color="gray" data-testid="local-send-at">
      {localTimeText(localSendAt, timezone)}
    </Text>
  );
}
