'use client';

import { AlertDialog, Button, Flex } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import type { ComponentProps, ReactNode } from 'react';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/types';
import { ErrorCallout } from './notices';

/**
 * A button that asks first, then runs a server action; the action's error, if any, is shown in
 * the dialog in words. Used for everything that cannot be undone (revoke, cancel, rotate).
 */
export function ConfirmButton<T>({
  label,
  title,
  description,
  confirmLabel,
  action,
  onDone,
  color = 'red',
  variant = 'soft',
  size = '2',
}: {
  label: ReactNode;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  action: () => Promise<ActionResult<T>>;
  onDone?: (data: T) => void;
  color?: ComponentProps<typeof Button>['color'];
  variant?: ComponentProps<typeof Button>['variant'];
  size?: ComponentProps<typeof Button>['size'];
}) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [pending, startTransition] = useTransition();
  return (
    <AlertDialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setError(undefined);
      }}
    >
      <AlertDialog.Trigger>
        <Button color={color} variant={variant} size={size}>
          {label}
        </Button>
      </AlertDialog.Trigger>
      <AlertDialog.Content maxWidth="460px">
        <AlertDialog.Title>{title}</AlertDialog.Title>
        <AlertDialog.Description size="2">{description}</AlertDialog.Description>
        <ErrorCallout error={error} mt="3" />
        <Flex gap="3" mt="4" justify="end">
          <AlertDialog.Cancel>
            <Button variant="soft" color="gray">
              Keep it
            </Button>
          </AlertDialog.Cancel>
          <Button
            color={color}
            loading={pending}
            onClick={() =>
              startTransition(async () => {
                const result = await action();
                if (!result.ok) {
                  setError(result.error);
                  return;
                }
                setOpen(false);
                onDone?.(result.data);
                router.refresh();
              })
            }
          >
            {confirmLabel}
          </Button>
        </Flex>
      </AlertDialog.Content>
    </AlertDialog.Root>
  );
}
