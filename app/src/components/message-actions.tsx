'use client';

import { Button, Flex, Select } from '@radix-ui/themes';
import { allowedCommands } from '@vigil/core/lifecycle';
import { useState } from 'react';
import { cancelMessage, redeliverMessage, rescheduleMessage, retryMessage } from '@/lib/actions';
import { useDisplayZone } from '@/lib/display-zone';
import { browserTimeZone, isSameZone, wallTimeHasPassed, wallTimeIn, wallTimeNow } from '@/lib/format';
import type { MessageStatus } from '@/lib/types';
import { ConfirmButton } from './confirm-button';
import { DateTimeField } from './date-time-field';
import { KeyedConfirmButton } from './keyed-confirm-button';
import { FormDialog } from './form-dialog';
import { FieldLabel } from './field-label';

export function MessageActions({
  id,
  status,
  sendAt,
  timezone,
  heldByFlowControl = false,
}: {
  id: string;
  status: MessageStatus;
  sendAt: string;
  /** The zone the message was scheduled in, if it has one. */
  timezone?: string;
  /** Held back by its flow key (waiting for a free turn): cancellable, even while a worker holds it. */
  heldByFlowControl?: boolean;
}) {
  // What the API would accept, by the core's own rule (the buttons offer only those).
  const allowed = allowedCommands({ status, waitingForTurn: heldByFlowControl });
  return (
    <Flex gap="2" wrap="wrap">
      {allowed.includes('retry') && <RetryNowButton id={id} />}
      {allowed.includes('update') && <RescheduleDialog id={id} sendAt={sendAt} timezone={timezone} />}
      {allowed.includes('cancel') && (
        <ConfirmButton
          label="Cancel"
          title="Cancel this message?"
          description="It will not be delivered. A cancelled message cannot be scheduled again."
          confirmLabel="Cancel message"
          action={() => cancelMessage(id)}
        />
      )}
      {allowed.includes('redeliver') && <RedeliverButton id={id} />}
    </Flex>
  );
}

/** Retry now, keyed: a second confirmation makes the one attempt the first asked for, not another. */
function RetryNowButton({ id }: { id: string }) {
  return (
    <KeyedConfirmButton
      keyFor="retry-now"
      label="Retry now"
      color="indigo"
      title="Try this message again now?"
      description="Its next attempt is made now instead of at its scheduled retry time. It keeps its remaining attempts."
      confirmLabel="Retry now"
      action={(key) => retryMessage(id, key)}
    />
  );
}

/** Redeliver, keyed: a second confirmation answers with the round the first started, not a second. */
function RedeliverButton({ id }: { id: string }) {
  return (
    <KeyedConfirmButton
      keyFor="redeliver"
      label="Redeliver"
      color="indigo"
      title="Deliver this message again?"
      description="It is sent again now, with the same webhook-id, as a new round of attempts."
      confirmLabel="Redeliver now"
      action={(key) => redeliverMessage(id, key)}
    />
  );
}

/**
 * The zones the dialog offers: the message's own first, then the browser's, then UTC, each once
 * (a message in `US/Eastern` is not offered New York again as the browser's).
 */
const zoneChoices = (messageZone: string | undefined, browserZone: string) => {
  const choices: Array<{ zone: string; label: string }> = [];
  const add = (zone: string, label: string) => {
    if (!choices.some((c) => isSameZone(c.zone, zone))) choices.push({ zone, label });
  };
  if (messageZone) add(messageZone, `${messageZone} (the message's time zone)`);
  add(browserZone, `${browserZone} (your browser's time zone)`);
  add('UTC', 'UTC');
  return choices;
};

/**
 * Moves the message to a wall time in a named zone: the message's own zone if it has one, else the
 * browser's (or UTC). The wall time and the zone go to the API, which reads them by the documented
 * rules (a time skipped by a daylight-saving change moves forward by the gap, a repeated one is the
 * earlier); the message keeps the zone. Left as shown, the time is sent as the exact instant it was,
 * to the millisecond (a repeated hour's second instant included).
 */
function RescheduleDialog({ id, sendAt, timezone }: { id: string; sendAt: string; timezone?: string }) {
  const displayZone = useDisplayZone();
  const [choices, setChoices] = useState(() => zoneChoices(timezone, timezone ?? 'UTC'));
  const [zone, setZone] = useState(timezone ?? 'UTC');
  const [value, setValue] = useState(() => wallTimeIn(sendAt, timezone ?? 'UTC'));
  // The current time as the input shows it in `zone`: while the value is this, nothing was edited.
  const shown = wallTimeIn(sendAt, zone);
  // Now in `zone`, to the second: the picker offers nothing earlier, unless the message is overdue already.
  const earliest = wallTimeNow(zone);
  return (
    <FormDialog
      trigger={<Button variant="soft">Reschedule</Button>}
      title="Reschedule"
      description={
        <span data-testid="reschedule-zone">
          When should it be delivered? The time is read in {zone}, and the message keeps that time zone. A time skipped
          by a daylight-saving change moves forward by the gap; a time that happens twice is the earlier one.
        </span>
      }
      submitLabel="Reschedule"
      onOpen={() => {
        // The browser's zone is known only in the browser: looked up when the dialog opens. Without
        // a zone of its own, the message is read in the zone the console shows times in.
        const initial = timezone ?? displayZone ?? browserTimeZone();
        setChoices(zoneChoices(timezone, browserTimeZone()));
        setZone(initial);
        setValue(wallTimeIn(sendAt, initial));
      }}
      check={() => {
        if (!value) return 'Pick a date and time.';
        // Compared as instants (a repeated hour's wall times are not in order); an overdue message's own time stays allowed, untouched.
        if (value !== shown && wallTimeHasPassed(value, zone)) {
          return `That time has already passed in ${zone}: pick a time after ${wallTimeNow(zone).replace('T', ' ')}.`;
        }
        return undefined;
      }}
      // Untouched: the exact instant it had, not its wall time read again.
      action={() => rescheduleMessage(id, { sendAt: value === shown ? sendAt : value, timezone: zone })}
    >
      <FieldLabel htmlFor="time-zone">Time zone</FieldLabel>
      <Select.Root
        value={zone}
        onValueChange={(nextZone) => {
          // An unedited time stays the same instant, shown in the new zone; an edited one is kept as typed.
          if (value === shown) setValue(wallTimeIn(sendAt, nextZone));
          setZone(nextZone);
        }}
      >
        <Select.Trigger id="time-zone" aria-label="Time zone" />
        <Select.Content>
          {choices.map((choice) => (
            <Select.Item key={choice.zone} value={choice.zone}>
              {choice.label}
            </Select.Item>
          ))}
        </Select.Content>
      </Select.Root>
      <DateTimeField
        id="send-at"
        label="Send at"
        zone={zone}
        value={value}
        min={shown >= earliest ? earliest : undefined}
        onChange={setValue}
      />
    </FormDialog>
  );
}
