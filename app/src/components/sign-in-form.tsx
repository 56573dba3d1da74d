'use client';

import { Button, Flex, Separator, Text, TextField } from '@radix-ui/themes';
import { signIn } from 'next-auth/react';
import { useState } from 'react';
import { FieldLabel } from './field-label';

export function SignInForm({ dev, cognito, returnTo = '/' }: { dev: boolean; cognito: boolean; returnTo?: string }) {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <Flex direction="column" gap="4">
      {cognito && (
        <Button size="3" onClick={() => signIn('cognito', { callbackUrl: returnTo })}>
          Continue with your Vigil account
        </Button>
      )}
      {cognito && dev && <Separator size="4" />}
      {dev && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            setBusy(true);
            void signIn('dev', { email, callbackUrl: returnTo });
          }}
        >
          <Flex direction="column" gap="3">
            <FieldLabel htmlFor="email">Email</FieldLabel>
            <TextField.Root
              id="email"
              type="email"
              required
              autoFocus
              size="3"
              placeholder="you@example.com"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
            <Button size="3" type="submit" loading={busy}>
              Sign in
            </Button>
            <Text size="1" color="gray">
              Development sign-in: no password, local stack only. Your first sign-in makes your tenant.
            </Text>
          </Flex>
        </form>
      )}
    </Flex>
  );
}
