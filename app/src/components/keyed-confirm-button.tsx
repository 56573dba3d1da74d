'use client';

import type { ComponentProps } from 'react';
import { useState } from 'react';
import { newIdempotencyKey } from '@/lib/idempotency-keys';
import type { ActionResult } from '@/lib/types';
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
  /** The action the key is named after (newIdempotencyKey). */
  keyFor: string;
  action: (idempotencyKey: string) => Promise<ActionResult<T>>;
}) {
  const [key, setKey] = useState(() => newIdempotencyKey(keyFor));
  return <ConfirmButton {...shown} action={() => action(key)} onOpen={() => setKey(newIdempotencyKey(keyFor))} />;
}
