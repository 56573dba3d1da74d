'use client';

import { Button } from '@radix-ui/themes';
import { signOut } from 'next-auth/react';

export function SignOutButton() {
  return (
    <Button variant="soft" color="gray" size="1" onClick={() => signOut({ callbackUrl: '/signin' })}>
      Sign out
    </Button>
  );
}
