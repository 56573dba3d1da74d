'use client';

import { Button, Callout, Flex, Heading } from '@radix-ui/themes';
import { useTryAgain } from '@/lib/use-try-again';

/**
 * The last resort outside the console's pages (their own is (console)/error.tsx): the console's
 * frame or the sign-in page failing, its settings out of reach at a cold start, say. It says so and
 * offers to try again (the page read again from the server), never Next.js's own "Application error".
 */
export default function RootError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const tryAgain = useTryAgain(reset);
  return (
    <Flex direction="column" gap="3" align="center" justify="center" minHeight="80vh" p="4">
      <Heading as="h1" size="6">
        Something went wrong
      </Heading>
      <Callout.Root color="red" role="alert">
        <Callout.Text>
          The console could not load this page. Nothing you scheduled is lost: Vigil delivers it all the same. Try again
          in a moment.
        </Callout.Text>
      </Callout.Root>
      <Button onClick={tryAgain}>Try again</Button>
    </Flex>
  );
}
