'use client';

import { Button, Callout, Flex, Heading } from '@radix-ui/themes';
import { useTryAgain } from '@/lib/use-try-again';

/**
 * The last resort for anything unexpected in a console page: say so, and offer to try again (the
 * page read again from the server: useTryAgain).
 */
export default function ConsoleError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const tryAgain = useTryAgain(reset);
  return (
    <Flex direction="column" gap="3" align="start">
      <Heading as="h1" size="6">
        Something went wrong
      </Heading>
      <Callout.Root color="red" role="alert">
        <Callout.Text>This page could not be loaded. Your data is safe; please try again in a moment.</Callout.Text>
      </Callout.Root>
      <Button onClick={tryAgain}>Try again</Button>
    </Flex>
  );
}
