'use client';

import { Button, Dialog, Flex } from '@radix-ui/themes';

/** A form dialog's buttons: one that closes it and changes nothing, then the form's submit. */
export function DialogFooter({
  submitLabel,
  pending,
  disabled,
  closeLabel = 'Close',
}: {
  submitLabel: string;
  /** While the submit runs: its button spins and takes no second click. */
  pending: boolean;
  disabled?: boolean;
  closeLabel?: string;
}) {
  return (
    <Flex gap="3" justify="end">
      <Dialog.Close>
        <Button variant="soft" color="gray" type="button">
          {closeLabel}
        </Button>
      </Dialog.Close>
      <Button type="submit" loading={pending} disabled={disabled}>
        {submitLabel}
      </Button>
    </Flex>
  );
}
