'use client';

import { Button, Dialog, Flex, Text, TextField } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { cancelMessage, redeliverMessage, rescheduleMessage } from '@/lib/actions';
import type { MessageStatus } from '@/lib/types';
import { PENDING_STATUSES } from '@/lib/types';
import { ConfirmButton } from './confirm-button';
import { ErrorCallout } from './notices';

/** `2026-11-23T22:41:07.123Z` → the value a datetime-local input shows, in the browser's zone. */
const toLocalInput = (iso: string): string => {
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
};

export function MessageActions({ id, status, sendAt }: { id: string; status: MessageStatus; sendAt: string }) {
  const pending = PENDING_STATUSES.includes(status);
  const final = status === 'delivered' || status === 'failed';
  return (
    <Flex gap="2" wrap="wrap">
      {pending && <RescheduleDialog id={id} sendAt={sendAt} />}
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

function RescheduleDialog({ id, sendAt }: { id: string; sendAt: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState(() => toLocalInput(sendAt));
  const [error, setError] = useState<string | undefined>();
  const [busy, startTransition] = useTransition();
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setError(undefined);
        if (next) setValue(toLocalInput(sendAt));
      }}
    >
      <Dialog.Trigger>
        <Button variant="soft">Reschedule</Button>
      </Dialog.Trigger>
      <Dialog.Content maxWidth="420px">
        <Dialog.Title>Reschedule</Dialog.Title>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const date = new Date(value);
            if (Number.isNaN(date.getTime())) {
              setError('Pick a date and time.');
              return;
            }
            startTransition(async () => {
              const result = await rescheduleMessage(id, date.toISOString());
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
            <Dialog.Description size="2" color="gray">
              When should it be delivered? The time is in your browser&apos;s time zone.
            </Dialog.Description>
            <label htmlFor="send-at">
              <Text size="2" weight="medium">
                Send at
              </Text>
            </label>
            <TextField.Root
              id="send-at"
              type="datetime-local"
              step="1"
              value={value}
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
