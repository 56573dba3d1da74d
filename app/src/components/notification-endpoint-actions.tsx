'use client';

import { Button, Flex, Link, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { removeNotificationEndpoint, testNotificationEndpoint } from '@/lib/actions';
import { useIdempotencyKey } from '@/lib/use-idempotency-key';
import { ConfirmButton } from './confirm-button';
import type { ActionFailure } from '@/lib/types';
import { ErrorCallout } from './notices';

/**
 * Send a test event to an endpoint, or remove it (asking first). The test's Idempotency-Key stays
 * until a test is sent: "Send test event" again after an answer that did not come in time sends the
 * same key, and the API answers with the test the first try sent instead of sending a second.
 */
export function NotificationEndpointActions({ id, url }: { id: string; url: string }) {
  const router = useRouter();
  const [sent, setSent] = useState<string | undefined>();
  const [error, setError] = useState<ActionFailure | undefined>();
  const [pending, startTransition] = useTransition();
  const [testKey, renewTestKey] = useIdempotencyKey('test-endpoint');
  return (
    <Flex direction="column" gap="2">
      <Flex gap="2" wrap="wrap">
        <Button
          size="1"
          variant="soft"
          loading={pending}
          onClick={() =>
            startTransition(async () => {
              const result = await testNotificationEndpoint(id, testKey);
              if (!result.ok) {
                setError(result);
                return;
              }
              renewTestKey();
              setError(undefined);
              setSent(result.data.id);
              router.refresh();
            })
          }
        >
          Send test event
        </Button>
        <ConfirmButton
          label="Remove"
          size="1"
          title="Remove this endpoint?"
          description={`${url} will receive no new events. Deliveries already on their way go on.`}
          confirmLabel="Remove endpoint"
          action={() => removeNotificationEndpoint(id)}
        />
      </Flex>
      {sent && (
        <Text size="2" role="status">
          Test event sent.{' '}
          <Link asChild>
            <NextLink href={`/messages/${sent}`}>Follow its delivery</NextLink>
          </Link>
          .
        </Text>
      )}
      <ErrorCallout error={error} />
    </Flex>
  );
}
