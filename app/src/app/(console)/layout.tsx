import { Box, Flex, Heading, Separator, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import { redirect } from 'next/navigation';
import { getServerSession } from 'next-auth';
import type { ReactNode } from 'react';
import { NavLinks } from '@/components/nav-links';
import { SignOutButton } from '@/components/sign-out-button';
import { ThemeToggle } from '@/components/theme-toggle';
import { authOptions } from '@/lib/auth';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await getServerSession(authOptions());
  if (!session) redirect('/signin');
  return (
    <div className="vigil-shell">
      <Flex align="center" justify="between" gap="4" wrap="wrap" py="2">
        <Flex align="center" gap="5" wrap="wrap">
          <NextLink href="/" style={{ textDecoration: 'none', color: 'inherit' }}>
            <Heading size="5">Vigil</Heading>
          </NextLink>
          <NavLinks />
        </Flex>
        <Flex align="center" gap="3">
          <Text size="2" color="gray" className="vigil-hide-narrow" data-testid="signed-in-as">
            {session.user?.email}
          </Text>
          <ThemeToggle />
          <SignOutButton />
        </Flex>
      </Flex>
      <Separator size="4" my="3" />
      <Box asChild>
        <main>{children}</main>
      </Box>
    </div>
  );
}
