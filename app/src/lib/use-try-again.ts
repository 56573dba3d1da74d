'use client';

import { useRouter } from 'next/navigation';
import { startTransition } from 'react';

/**
 * An error boundary's "Try again": read the page again from the server, then draw it (Next.js's way
 * for a server component's failure). `reset()` alone draws the failed render's result again, the
 * same error.
 */
export const useTryAgain = (reset: () => void): (() => void) => {
  const router = useRouter();
  return () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
};
