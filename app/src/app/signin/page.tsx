import { Box, Callout, Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { getServerSession } from 'next-auth';
import { SignInForm } from '@/components/sign-in-form';
import { authOptions } from '@/lib/auth';
import { consoleConfig } from '@/lib/config';
import { consoleSettings } from '@/lib/console-settings';
import { CALLBACK_URL_COOKIES, firstValue, signInReturnPath } from '@/lib/paths';
import { signInErrorWords } from '@/lib/sign-in-errors';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  // A parameter the URL gives twice comes as a list: the first is read (a list answered 500).
  const query = await searchParams;
  const error = firstValue(query.error);
  const from = firstValue(query.from);
  // Where the session ended, or the page a failed sign-in was to go to (next-auth's error redirect
  // drops it, its cookie keeps it): signing in again goes back there (a path of this app only).
  const jar = await cookies();
  const callbackUrl = CALLBACK_URL_COOKIES.map((name) => jar.get(name)?.value).find(Boolean);
  const returnTo = signInReturnPath({ error, from }, callbackUrl);
  const session = await getServerSession(await authOptions());
  if (session && error !== 'SessionExpired') redirect(returnTo);
  const dev = consoleConfig().devSignIn;
  const cognito = Boolean((await consoleSettings()).cognito);
  return (
    <Flex align="center" justify="center" minHeight="100vh" p="4">
      <Box width="100%" maxWidth="400px">
        <Flex direction="column" gap="1" mb="5" align="center">
          <Heading size="7">Vigil</Heading>
          <Text color="gray">Webhooks delivered at an exact moment.</Text>
        </Flex>
        <Card size="3">
          <Flex direction="column" gap="4">
            <Heading as="h2" size="4">
              Sign in
            </Heading>
            {error && (
              <Callout.Root color="red" role="alert">
                <Callout.Text>{signInErrorWords(error)}</Callout.Text>
              </Callout.Root>
            )}
            {!dev && !cognito && (
              <Callout.Root color="amber" highContrast>
                <Callout.Text>
                  No sign-in method is configured. Set the Cognito settings (COGNITO_CLIENT_ID, COGNITO_ISSUER) or run
                  the local stack, which turns on the development sign-in.
                </Callout.Text>
              </Callout.Root>
            )}
            <SignInForm
              dev={dev}
              cognito={cognito}
              returnTo={returnTo}
              failedWords={signInErrorWords('SignInFailed')}
            />
          </Flex>
        </Card>
      </Box>
    </Flex>
  );
}
