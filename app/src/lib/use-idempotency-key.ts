'use client';

import { useState } from 'react';
import { newIdempotencyKey } from './idempotency-keys';

/**
 * The Idempotency-Key of the action a form or dialog is asking for, and `renew` to start a new one:
 * kept across re-renders, so every try of the same action (a second click after a late answer)
 * sends it; renewed when a new action begins (the dialog opens again, the form is edited or done).
 */
export const useIdempotencyKey = (action: string): [key: string, renew: () => void] => {
  const [key, setKey] = useState(() => newIdempotencyKey(action));
  return [key, () => setKey(newIdempotencyKey(action))];
};
