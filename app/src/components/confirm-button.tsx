'use client';

import { AlertDialog, Button, Flex } from '@radix-ui/themes';
import type { ComponentProps, ReactNode } from 'react';
import type { ActionResult } from '@/lib/types';
import { useDialogAction } from '@/lib/use-dialog-action';
import { ErrorCallout } from './notices';

/**
 * A button that asks first, then runs a server action; the action's error, if any, is shown in
 * the dialog in words. Used for everything that cannot be undone (revoke, cancel, rotate, bulk
 * jobs). Once the action succeeds the page is read again, so it shows what the action changed.
 */
export function ConfirmButton<T>({
  label,
  title,
  description,
  confirmLabel,
  cancelLabel = 'Keep it',
  action,
  onOpen,
  onDone,
  color = 'red',
  variant = 'soft',
  size = '2',
}: {
  label: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  /** The button that closes the dialog and does nothing. */
  cancelLabel?: string;
  action: () => Promise<ActionResult<T>>;
  /** Each time the dialog opens (a bulk job takes a new idempotency key per confirmation). */
  onOpen?: () => void;
  onDone?: (data: T) => void;
  color?: ComponentProps<typeof Button>['color'];
  variant?: ComponentProps<typeof Button>['variant'];
  size?: ComponentProps<typeof Button>['size'];
}) {
  const dialog = useDialogAction({ onOpen, onDone });
  return (
    <AlertDialog.Root open={dialog.open} onOpenChange={dialog.onOpenChange}>
      <AlertDialog.Trigger>
        <Button color={color} variant={variant} size={size}>
          {label}
        </Button>
      </AlertDialog.Trigger>
      <AlertDialog.Content maxWidth="460px">
        <AlertDialog.Title className="vigil-wrap-anywhere">{title}</AlertDialog.Title>
        <AlertDialog.Description size="2">{description}</AlertDialog.Description>
        <ErrorCallout error={dialog.error} mt="3" />
        <Flex gap="3" mt="4" justify="end">
          <AlertDialog.Cancel>
            <Button variant="soft" color="gray">
              {dialog.untilRenewal ? 'Close' : cancelLabel}
            </Button>
          </AlertDialog.Cancel>
          {/* Refused for the month's quota, pressing it again would be refused again until it renews. */}
          {!dialog.untilRenewal && (
            <Button
              color={color}
              // White on the solid red is 3.9:1 (axe asks 4.5:1); the high-contrast red is deeper.
              highContrast={color === 'red'}
              loading={dialog.pending}
              onClick={() => dialog.run(action)}
            >
              {confirmLabel}
            </Button>
          )}
        </Flex>
      </AlertDialog.Content>
    </AlertDialog.Root>
  );
}
