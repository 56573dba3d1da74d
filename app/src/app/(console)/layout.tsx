import { Box, Flex, Separator, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import { redirect } from 'next/navigation';
import { getServerSession } from 'next-auth';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { NavigationPending } from '@/components/navigation-pending';
import { NavLinks } from '@/components/nav-links';
import { SignOutButton } from '@/components/sign-out-button';
import { ThemeToggle } from '@/components/theme-toggle';
import { ZoneToggle } from '@/components/zone-toggle';
import { authOptions } from '@/lib/auth';
import { DisplayZoneScope } from '@/lib/display-zone';
import { PAGE_PATH_HEADER, signInHref } from '@/lib/paths';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await getServerSession(await authOptions());
  // Signed out (or never in): sign in, then back to the page asked for.
  if (!session) redirect(signInHref((await headers()).get(PAGE_PATH_HEADER)));
  return (
    <DisplayZoneScope user={session.user?.email ?? ''}>
      <div className="vigil-shell">
        {/* The first thing a keyboard reaches: straight past the header to the page. */}
        <a href="#main" className="vigil-skip-link">
          Skip to main content
        </a>
        {/* One row at any width: on a phone the page links fold into a menu and the email is left out. */}
        <Flex asChild align="center" justify="between" gap="3" py="2">
          <header>
            <Flex align="center" gap="5" minWidth="0">
              {/* The product's name, not a heading: each page has its own single h1. */}
              <NextLink href="/" className="vigil-brand">
                Vigil
              </NextLink>
              <NavLinks />
            </Flex>
            <Flex align="center" gap="3">
              <Text size="2" color="gray" className="vigil-hide-narrow" data-testid="signed-in-as">
                {session.user?.email}
              </Text>
              <ZoneToggle />
              <ThemeToggle />
              <SignOutButton />
            </Flex>
          </header>
        </Flex>
        {/* No margin below: the row of NavigationPending is the room between the header and the page. */}
        <Separator size="4" mt="3" />
        <NavigationPending />
        <Box asChild>
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </Box>
      </div>
    </DisplayZoneScope>
  );
}
