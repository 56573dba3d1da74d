'use client';

import { Flex, Link } from '@radix-ui/themes';
import NextLink from 'next/link';
import { usePathname } from 'next/navigation';

const PAGES = [
  { href: '/', label: 'Overview' },
  { href: '/messages', label: 'Messages' },
  { href: '/keys', label: 'API keys' },
  { href: '/settings', label: 'Settings' },
];

export function NavLinks() {
  const pathname = usePathname();
  const current = (href: string) => (href === '/' ? pathname === '/' : pathname.startsWith(href));
  return (
    <Flex asChild gap="4" wrap="wrap" className="vigil-nav">
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
  );
}
