import { Code, Link, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import type { ReactNode } from 'react';
import { LOCAL_RECEIVER_COMMAND } from '@/lib/format';

/**
 * Against a local stack, where the quickstart's webhook goes: a receiver on this machine, started as
 * README's walk-through starts it, with the tenant's signing secret in its environment (npm does not
 * print it) so that it verifies each webhook's signature. `children` goes on after it.
 */
export function LocalReceiverNote({ size, children }: { size: '1' | '2'; children?: ReactNode }) {
  return (
    <Text size={size} color="gray" data-testid="local-receiver">
      It goes to a receiver on your machine: start one with <Code>{LOCAL_RECEIVER_COMMAND}</Code> in the Vigil folder,
      with your signing secret (
      <Link asChild>
        <NextLink href="/settings">Settings</NextLink>
      </Link>
      ) in place of <Code>whsec_…</Code>, so that it verifies each webhook&apos;s signature{children}.
    </Text>
  );
}
