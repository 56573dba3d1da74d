'use client';

import { Button, Callout, Flex, Heading } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import { startTransition } from 'react';

/**
 * The last resort for anything unexpected in a console page: say so, and offer to try again. Trying
 * again reads the page again from the server and then draws it (Next.js's way for a server
 * component's failure): `reset()` alone drew the failed render's result again, the same error.
 */
export default function ConsoleError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  return (
    <Flex direction="column" gap="3" align="start">
      <Heading as="h1" size="6">
        Something went wrong
      </Heading>
      <Callout.Root color="red" role="alert">
        <Callout.Text>This page could not be loaded. Your data is safe; please try again in a moment.</Callout.Text>
      </Callout.Root>
      <Button
        onClick={() =>
          startTransition(() => {
            router.refresh();
            reset();
          })
        }
      >
        Try again
      </Button>
    </Flex>
  );
}
