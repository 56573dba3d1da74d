'use client';

import type { ComponentProps } from 'react';
import type { ActionResult } from '@/lib/types';
import { useIdempotencyKey } from '@/lib/use-idempotency-key';
import { ConfirmButton } from './confirm-button';

/**
 * A confirmation whose action takes an Idempotency-Key made each time the dialog opens: confirming
 * again after an answer that did not come in time (the dialog stays open, saying so) sends the same
 * key, and the API answers with what the first try did instead of doing it a second time.
 */
export function KeyedConfirmButton<T>({
  keyFor,
  action,
  ...shown
}: Omit<ComponentProps<typeof ConfirmButton<T>>, 'action' | 'onOpen'> & {
  /** The action the key is named after (useIdempotencyKey). */
  keyFor: string;
  action: (idempotencyKey: string) => Promise<ActionResult<T>>;
}) {
  const [key, renewKey] = useIdempotencyKey(keyFor);
  return <ConfirmButton {...shown} action={() => action(key)} onOpen={renewKey} />;
}
