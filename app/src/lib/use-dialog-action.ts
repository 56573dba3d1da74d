'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionFailure, ActionResult } from './types';
import { waitsForRenewal } from './types';

/**
 * A dialog that runs a server action: open or closed, the error it shows in words, and `run`, which
 * runs the action; on success the dialog closes, `onDone` gets the action's data and the page is read
 * again, so it shows what the action changed. Opening it clears the last error and calls `onOpen`.
 */
export const useDialogAction = <T>({ onOpen, onDone }: { onOpen?: () => void; onDone?: (data: T) => void }) => {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | ActionFailure | undefined>();
  const [pending, startTransition] = useTransition();
  return {
    open,
    error,
    pending,
    /** Refused for the month's quota: confirming again cannot do it before the quota renews. */
    untilRenewal: waitsForRenewal(error),
    /** Says why nothing was sent (a check before the action). */
    refuse: setError,
    onOpenChange: (next: boolean) => {
      setOpen(next);
      setError(undefined);
      if (next) onOpen?.();
    },
    run: (action: () => Promise<ActionResult<T>>) =>
      startTransition(async () => {
        const result = await action();
        if (!result.ok) {
          setError(result);
          return;
        }
        setOpen(false);
        onDone?.(result.data);
        router.refresh();
      }),
  };
};
