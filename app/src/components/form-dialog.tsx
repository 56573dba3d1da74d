'use client';

import { Dialog, Flex } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import type { ActionResult } from '@/lib/types';
import { useDialogAction } from '@/lib/use-dialog-action';
import { DialogFooter } from './dialog-footer';
import { ErrorCallout } from './notices';

/**
 * A button that opens a form in a dialog (reschedule, redeliver failed since…): `check` refuses in
 * words beside the fields before anything is sent, then the server action runs; its error shows in
 * the dialog, and on success the dialog closes and the page is read again.
 */
export function FormDialog<T>({
  trigger,
  title,
  description,
  submitLabel,
  check,
  action,
  onOpen,
  onDone,
  children,
}: {
  /** The button that opens the dialog. */
  trigger: ReactNode;
  title: string;
  description: ReactNode;
  submitLabel: string;
  /** What is wrong with the fields, in words, or undefined to go on. */
  check?: () => string | undefined;
  action: () => Promise<ActionResult<T>>;
  /** Each time the dialog opens: fill the fields afresh. */
  onOpen?: () => void;
  onDone?: (data: T) => void;
  /** The fields. */
  children: ReactNode;
}) {
  const dialog = useDialogAction({ onOpen, onDone });
  return (
    <Dialog.Root open={dialog.open} onOpenChange={dialog.onOpenChange}>
      <Dialog.Trigger>{trigger}</Dialog.Trigger>
      <Dialog.Content maxWidth="460px">
        <Dialog.Title>{title}</Dialog.Title>
        <form
          // Checked here, to say it in words beside the fields rather than in the browser's bubble.
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            const refused = check?.();
            if (refused) dialog.refuse(refused);
            else dialog.run(action);
          }}
        >
          <Flex direction="column" gap="3">
            <Dialog.Description size="2" color="gray">
              {description}
            </Dialog.Description>
            {children}
            <ErrorCallout error={dialog.error} />
            <DialogFooter submitLabel={submitLabel} pending={dialog.pending} />
          </Flex>
        </form>
      </Dialog.Content>
    </Dialog.Root>
  );
}
