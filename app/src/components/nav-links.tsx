'use client';

import { HamburgerMenuIcon } from '@radix-ui/react-icons';
import { Button, DropdownMenu, Flex, Link } from '@radix-ui/themes';
import NextLink from 'next/link';
import { usePathname } from 'next/navigation';

const PAGES = [
  { href: '/', label: 'Overview' },
  { href: '/messages', label: 'Messages' },
  { href: '/keys', label: 'API keys' },
  { href: '/settings', label: 'Settings' },
];

const useCurrent = () => {
  const pathname = usePathname();
  return (href: string) => (href === '/' ? pathname === '/' : pathname.startsWith(href));
};

/** The pages as links on a wide screen; on a phone (640 px or less) a "Menu" button instead, so the header keeps one row. */
export function NavLinks() {
  const current = useCurrent();
  return (
    <>
      <Flex asChild gap="4" wrap="wrap" className="vigil-nav vigil-hide-narrow">
        <nav aria-label="Main">
          {PAGES.map(({ href, label }) => (
            <Link key={href} asChild size="2" color="gray" highContrast={current(href)}>
              <NextLink href={href} aria-current={current(href) ? 'page' : undefined}>
                {label}
              </NextLink>
            </Link>
          ))}
        </nav>
      </Flex>
      <nav aria-label="Main (menu)" className="vigil-show-narrow">
        <DropdownMenu.Root>
          <DropdownMenu.Trigger>
            <Button variant="soft" color="gray" size="1">
              <HamburgerMenuIcon /> Menu
            </Button>
          </DropdownMenu.Trigger>
          <DropdownMenu.Content>
            {PAGES.map(({ href, label }) => (
              <DropdownMenu.Item key={href} asChild>
                <NextLink href={href} aria-current={current(href) ? 'page' : undefined}>
                  {label}
                </NextLink>
              </DropdownMenu.Item>
            ))}
          </DropdownMenu.Content>
        </DropdownMenu.Root>
      </nav>
    </>
  );
}
