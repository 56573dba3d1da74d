'use client';

import { GlobeIcon } from '@radix-ui/react-icons';
import { Button, Tooltip } from '@radix-ui/themes';
import { useZoneChoice } from '@/lib/display-zone';
import { browserTimeZone } from '@/lib/format';

/** Switches every time in the console between the viewer's own zone and UTC; remembered per user. */
export function ZoneToggle() {
  const [choice, choose] = useZoneChoice();
  // Known only in the browser: a neutral button until then.
  const utc = choice === 'utc';
  const label =
    choice === undefined
      ? 'Time zone'
      : utc
        ? `Times in UTC: switch to your time zone (${browserTimeZone()})`
        : `Times in your time zone (${browserTimeZone()}): switch to UTC`;
  return (
    <Tooltip content={label}>
      <Button
        variant="ghost"
        color="gray"
        aria-label={label}
        aria-pressed={utc}
        data-testid="zone-toggle"
        onClick={() => choose(utc ? 'local' : 'utc')}
      >
        <GlobeIcon />
        {utc ? 'UTC' : 'Local'}
      </Button>
    </Tooltip>
  );
}
