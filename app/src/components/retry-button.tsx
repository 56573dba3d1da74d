'use client';

import { ReloadIcon } from '@radix-ui/react-icons';
import { Button } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import { useTransition } from 'react';

/**
 * Reads the page again from the server (after Vigil was busy or out of reach), saying so while it
 * does; or, given `onRetry`, reads again the part that failed.
 */
export function RetryButton({ onRetry }: { onRetry?: () => void }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  return (
    <Button
      variant="soft"
      color="gray"
      loading={pending}
      onClick={() => (onRetry ? onRetry() : startTransition(() => router.refresh()))}
    >
      <ReloadIcon /> Try again
    </Button>
  );
}
