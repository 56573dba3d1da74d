'use client';

import { Button, Callout, Flex, Separator, Text, TextField } from '@radix-ui/themes';
import { signIn } from 'next-auth/react';
import { useState } from 'react';
import { FieldLabel } from './field-label';

/**
 * The sign-in buttons. next-auth's `signIn()` goes where the auth route answers (the sign-in page,
 * saying why, for a sign-in that failed); when the route does not answer that way (a 500's HTML
 * page, the network gone) it throws, and the form says so in `failedWords` (the sign-in page's
 * words, sign-in-errors.ts) and can be used again, not left spinning.
 */
export function SignInForm({
  dev,
  cognito,
  returnTo = '/',
  failedWords,
}: {
  dev: boolean;
  cognito: boolean;
  returnTo?: string;
  failedWords: string;
}) {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState<'cognito' | 'dev'>();
  const [failed, setFailed] = useState(false);
  const start = (provider: 'cognito' | 'dev', fields: Record<string, string>) => {
    setBusy(provider);
    setFailed(false);
    signIn(provider, { ...fields, callbackUrl: returnTo }).catch(() => {
      setBusy(undefined);
      setFailed(true);
    });
  };
  return (
    <Flex direction="column" gap="4">
      {failed && (
        <Callout.Root color="red" role="alert" data-testid="sign-in-failed">
          <Callout.Text>{failedWords}</Callout.Text>
        </Callout.Root>
      )}
      {cognito && (
        <Button size="3" loading={busy === 'cognito'} onClick={() => start('cognito', {})}>
          Continue with your Vigil account
        </Button>
      )}
      {cognito && dev && <Separator size="4" />}
      {dev && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            start('dev', { email });
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
            <Button size="3" type="submit" loading={busy === 'dev'}>
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
