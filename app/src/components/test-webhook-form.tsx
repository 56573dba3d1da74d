'use client';

import { Button, Callout, Flex, Link, TextField } from '@radix-ui/themes';
import NextLink from 'next/link';
import { useState, useTransition } from 'react';
import { sendTestWebhook } from '@/lib/actions';
import { ErrorCallout } from './notices';

export function TestWebhookForm() {
  const [url, setUrl] = useState('');
  const [sent, setSent] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [pending, startTransition] = useTransition();
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(async () => {
          const result = await sendTestWebhook(url.trim());
          if (result.ok) {
            setSent(result.data.id);
            setError(undefined);
          } else {
            setSent(undefined);
            setError(result.error);
          }
        });
      }}
    >
      <Flex direction="column" gap="3">
        <Flex gap="2" wrap="wrap">
          <TextField.Root
            type="url"
            required
            aria-label="Webhook URL"
            placeholder="https://example.com/webhooks/vigil"
            value={url}
            onChange={(event) => setUrl(event.target.value)}
            style={{ flex: '1 1 280px' }}
          />
          <Button type="submit" loading={pending}>
            Send now
          </Button>
        </Flex>
        {sent && (
          <Callout.Root color="grass" role="status">
            <Callout.Text>
              Sent.{' '}
              <Link asChild>
                <NextLink href={`/messages/${sent}`}>Follow it on its message page</NextLink>
              </Link>
              .
            </Callout.Text>
          </Callout.Root>
        )}
        <ErrorCallout error={error} />
      </Flex>
    </form>
  );
}
