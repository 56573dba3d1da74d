'use client';

import { Button, Callout, Flex, Link, Text, TextArea, TextField } from '@radix-ui/themes';
import NextLink from 'next/link';
import { useState, useTransition } from 'react';
import { sendTestWebhook } from '@/lib/actions';
import { checkPayload, DEFAULT_TEST_PAYLOAD } from '@/lib/format';
import { useIdempotencyKey } from '@/lib/use-idempotency-key';
import type { ActionFailure } from '@/lib/types';
import { ErrorCallout } from './notices';
import { FieldLabel } from './field-label';

/**
 * Sends a webhook due now to a URL, with a JSON payload the user may edit (checked before it is sent).
 * Its Idempotency-Key stays while the URL and payload do, until one is sent: "Send now" again after
 * an answer that did not come in time sends the same key, and the API answers with the message the
 * first try made instead of making a second; an edit, or a test sent, starts a new key.
 */
export function TestWebhookForm() {
  const [url, setUrl] = useState('');
  const [payload, setPayload] = useState(DEFAULT_TEST_PAYLOAD);
  const [key, renewKey] = useIdempotencyKey('test-webhook');
  const [payloadError, setPayloadError] = useState<string | undefined>();
  const [sent, setSent] = useState<string | undefined>();
  const [error, setError] = useState<ActionFailure | undefined>();
  const [pending, startTransition] = useTransition();
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        const checked = checkPayload(payload);
        setPayloadError(checked.ok ? undefined : checked.error);
        if (!checked.ok) return;
        startTransition(async () => {
          const result = await sendTestWebhook(url.trim(), payload, key);
          if (result.ok) {
            renewKey();
            setSent(result.data.id);
            setError(undefined);
          } else {
            setSent(undefined);
            setError(result);
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
            onChange={(event) => {
              setUrl(event.target.value);
              renewKey();
            }}
            style={{ flex: '1 1 280px' }}
          />
          <Button type="submit" loading={pending}>
            Send now
          </Button>
        </Flex>
        <Flex direction="column" gap="1">
          <FieldLabel htmlFor="test-payload">Payload (JSON)</FieldLabel>
          <TextArea
            id="test-payload"
            className="vigil-mono"
            rows={6}
            value={payload}
            onChange={(event) => {
              setPayload(event.target.value);
              setPayloadError(undefined);
              renewKey();
            }}
            aria-invalid={payloadError !== undefined}
            aria-describedby={payloadError ? 'test-payload-error' : undefined}
          />
          {payloadError && (
            <Text id="test-payload-error" size="2" color="red" role="alert">
              {payloadError}
            </Text>
          )}
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
