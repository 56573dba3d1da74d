'use client';

import { Button, Checkbox, Flex, Text, TextField } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { addNotificationEndpoint } from '@/lib/actions';
import { NOTIFICATION_EVENTS } from '@/lib/notification-events';
import type { ActionFailure, NotificationEventType } from '@/lib/types';
import { useIdempotencyKey } from '@/lib/use-idempotency-key';
import { ErrorCallout } from './notices';

/**
 * Adds an endpoint. Its Idempotency-Key stays while the URL and events do, until one is added: "Add
 * endpoint" again after an answer that did not come in time sends the same key, and the API answers
 * with the endpoint the first try added; an edit, or an endpoint added, starts a new key. Once
 * the endpoint that key added was removed, the API adds it no more with that key: the form says so
 * and starts a new key, so the next click adds it anew.
 */
export function NotificationEndpointForm({ full }: { full: boolean }) {
  const router = useRouter();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<NotificationEventType[]>(NOTIFICATION_EVENTS.map((e) => e.type));
  const [error, setError] = useState<string | ActionFailure | undefined>();
  const [pending, startTransition] = useTransition();
  const [key, renewKey] = useIdempotencyKey('add-endpoint');
  return (
    <form
      aria-label="Add a notification endpoint"
      onSubmit={(event) => {
        event.preventDefault();
        if (events.length === 0) {
          setError('Choose at least one event to send to this endpoint.');
          return;
        }
        startTransition(async () => {
          const result = await addNotificationEndpoint(url.trim(), events, key);
          if (!result.ok) {
            setError(result);
            return;
          }
          renewKey();
          if ('keySpent' in result.data) {
            setError(result.data.keySpent);
            return;
          }
          setUrl('');
          setError(undefined);
          router.refresh();
        });
      }}
    >
      <Flex direction="column" gap="3">
        <Flex gap="2" wrap="wrap">
          <TextField.Root
            type="url"
            required
            aria-label="Endpoint URL"
            placeholder="https://example.com/webhooks/vigil-events"
            value={url}
            onChange={(event) => {
              setUrl(event.target.value);
              renewKey();
            }}
            style={{ flex: '1 1 280px' }}
            disabled={full}
          />
          <Button type="submit" loading={pending} disabled={full}>
            Add endpoint
          </Button>
        </Flex>
        <Flex gap="4" wrap="wrap" role="group" aria-label="Events to send">
          {NOTIFICATION_EVENTS.map(({ type, label }) => (
            <Text as="label" size="2" key={type}>
              <Flex gap="2" align="center">
                <Checkbox
                  checked={events.includes(type)}
                  disabled={full}
                  onCheckedChange={(checked) => {
                    setEvents((current) =>
                      checked === true ? [...current, type] : current.filter((chosen) => chosen !== type),
                    );
                    renewKey();
                  }}
                />
                {label}
              </Flex>
            </Text>
          ))}
        </Flex>
        <ErrorCallout error={error} />
      </Flex>
    </form>
  );
}
