'use client';

import { Button, Dialog, Flex, Select, Text, TextField } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { cancelMessage, redeliverMessage, rescheduleMessage, retryMessage } from '@/lib/actions';
import { useDisplayZone } from '@/lib/display-zone';
import { browserTimeZone, wallTimeIn } from '@/lib/format';
import type { MessageStatus } from '@/lib/types';
import { PENDING_STATUSES } from '@/lib/types';
import { ConfirmButton } from './confirm-button';
import { ErrorCallout } from './notices';

export function MessageActions({
  id,
  status,
  sendAt,
  timezone,
}: {
  id: string;
  status: MessageStatus;
  sendAt: string;
  /** The zone the message was scheduled in, if it has one. */
  timezone?: string;
}) {
  const pending = PENDING_STATUSES.includes(status);
  const final = status === 'delivered' || status === 'failed';
  return (
    <Flex gap="2" wrap="wrap">
      {status === 'retrying' && (
        <ConfirmButton
          label="Retry now"
          color="indigo"
          title="Try this message again now?"
          description="Its next attempt is made now instead of at its scheduled retry time. It keeps its remaining attempts."
          confirmLabel="Retry now"
          action={() => retryMessage(id)}
        />
      )}
      {pending && <RescheduleDialog id={id} sendAt={sendAt} timezone={timezone} />}
      {pending && (
        <ConfirmButton
          label="Cancel"
          title="Cancel this message?"
          description="It will not be delivered. A cancelled message cannot be scheduled again."
          confirmLabel="Cancel message"
          action={() => cancelMessage(id)}
        />
      )}
      {final && (
        <ConfirmButton
          label="Redeliver"
          color="indigo"
          title="Deliver this message again?"
          description="It is sent again now, with the same webhook-id, as a new round of attempts."
          confirmLabel="Redeliver now"
          action={() => redeliverMessage(id)}
        />
      )}
    </Flex>
  );
}

/** The zones the dialog offers: the message's own first, then the browser's, then UTC. */
const zoneChoices = (messageZone: string | undefined, browserZone: string) => {
  const choices: Array<{ zone: string; label: string }> = [];
  const add = (zone: string, label: string) => {
    if (!choices.some((c) => c.zone === zone)) choices.push({ zone, label });
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
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const displayZone = useDisplayZone();
  const [choices, setChoices] = useState(() => zoneChoices(timezone, timezone ?? 'UTC'));
  const [zone, setZone] = useState(timezone ?? 'UTC');
  const [value, setValue] = useState(() => wallTimeIn(sendAt, timezone ?? 'UTC'));
  const [error, setError] = useState<string | undefined>();
  const [busy, startTransition] = useTransition();
  // The current time as the input shows it in `zone`: while the value is this, nothing was edited.
  const shown = wallTimeIn(sendAt, zone);
  // Now, as a wall time in `zone` to the second: the picker offers nothing earlier. (Wall times in one
  // zone compare as strings; an overdue message's own time stays allowed, untouched.)
  const earliest = open ? wallTimeIn(new Date().toISOString(), zone).slice(0, 19) : undefined;
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setError(undefined);
        if (next) {
          // The browser's zone is known only in the browser: looked up when the dialog opens. Without
          // a zone of its own, the message is read in the zone the console shows times in.
          const initial = timezone ?? displayZone ?? browserTimeZone();
          setChoices(zoneChoices(timezone, browserTimeZone()));
          setZone(initial);
          setValue(wallTimeIn(sendAt, initial));
        }
      }}
    >
      <Dialog.Trigger>
        <Button variant="soft">Reschedule</Button>
      </Dialog.Trigger>
      <Dialog.Content maxWidth="460px">
        <Dialog.Title>Reschedule</Dialog.Title>
        <form
          // Checked here, to say it in words beside the field rather than in the browser's bubble.
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            if (!value) {
              setError('Pick a date and time.');
              return;
            }
            const now = wallTimeIn(new Date().toISOString(), zone);
            if (value !== shown && value < now) {
              setError(
                `That time has already passed in ${zone}: pick a time after ${now.replace('T', ' ').slice(0, 19)}.`,
              );
              return;
            }
            // Untouched: the exact instant it had, not its wall time read again.
            const next = value === shown ? sendAt : value;
            startTransition(async () => {
              const result = await rescheduleMessage(id, { sendAt: next, timezone: zone });
              if (!result.ok) {
                setError(result.error);
                return;
              }
              setOpen(false);
              router.refresh();
            });
          }}
        >
          <Flex direction="column" gap="3">
            <Dialog.Description size="2" color="gray" data-testid="reschedule-zone">
              When should it be delivered? The time is read in {zone}, and the message keeps that time zone. A time
              skipped by a daylight-saving change moves forward by the gap; a time that happens twice is the earlier
              one.
            </Dialog.Description>
            <label htmlFor="time-zone">
              <Text size="2" weight="medium">
                Time zone
              </Text>
            </label>
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
            <label htmlFor="send-at">
              <Text size="2" weight="medium">
                Send at ({zone})
              </Text>
            </label>
            <TextField.Root
              id="send-at"
              type="datetime-local"
              // Milliseconds only when the time has them (a step of 1 s would refuse them).
              step={value.includes('.') ? '0.001' : '1'}
              value={value}
              min={earliest !== undefined && shown >= earliest ? earliest : undefined}
              onChange={(event) => setValue(event.target.value)}
              required
            />
            <ErrorCallout error={error} />
            <Flex gap="3" justify="end">
              <Dialog.Close>
                <Button variant="soft" color="gray" type="button">
                  Close
                </Button>
              </Dialog.Close>
              <Button type="submit" loading={busy}>
                Reschedule
              </Button>
            </Flex>
          </Flex>
        </form>
      </Dialog.Content>
    </Dialog.Root>
  );
}
