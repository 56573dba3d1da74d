import { Badge, Card, Code, Flex, Heading, Link, Table, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import { attemptOutcome, maskedUrl } from '@/lib/format';
import { notificationEventLabel } from '@/lib/notification-events';
import type { Message, NotificationEndpoint } from '@/lib/types';
import { NotificationEndpointActions } from './notification-endpoint-actions';
import { NotificationEndpointForm } from './notification-endpoint-form';
import { StatusBadge } from './status-badge';
import { Timestamp } from './timestamp';
import { SectionCard } from './section-card';

/** The most endpoints a tenant may have (the API's limit, said here so the form can say it too). */
const MAX_ENDPOINTS = 5;

/** What a delivery to an endpoint was about (its origin), in words. */
const deliveryEvent = (message: Message) =>
  message.origin?.kind === 'notification'
    ? message.origin.event === 'notification.test'
      ? 'Test event'
      : notificationEventLabel(message.origin.event)
    : 'Event';

function RecentDeliveries({ deliveries }: { deliveries: Message[] }) {
  if (deliveries.length === 0) {
    return (
      <Text size="2" color="gray">
        Nothing sent to it yet.
      </Text>
    );
  }
  return (
    <Table.Root size="1" variant="ghost" aria-label="Recent deliveries">
      <Table.Header>
        <Table.Row>
          <Table.ColumnHeaderCell>Event</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Attempts</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Sent</Table.ColumnHeaderCell>
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {deliveries.map((delivery) => (
          <Table.Row key={delivery.id} data-testid="endpoint-delivery">
            <Table.Cell>
              <Link asChild>
                <NextLink href={`/messages/${delivery.id}`}>{deliveryEvent(delivery)}</NextLink>
              </Link>
            </Table.Cell>
            <Table.Cell>
              <StatusBadge status={delivery.status} />
            </Table.Cell>
            <Table.Cell>
              {delivery.attempts}
              {/* How the last try went, in the words the Messages list uses: a refused connection too, not only a status. */}
              {delivery.lastAttempt && <Text color="gray"> · {attemptOutcome(delivery.lastAttempt)}</Text>}
            </Table.Cell>
            <Table.Cell>
              <Timestamp iso={delivery.createdAt} />
            </Table.Cell>
          </Table.Row>
        ))}
      </Table.Body>
    </Table.Root>
  );
}

/** Settings: the tenant's notification endpoints, each with its recent deliveries; add, test, remove. */
export function NotificationEndpointsCard({
  endpoints,
}: {
  endpoints: Array<{ endpoint: NotificationEndpoint; deliveries: Message[] }>;
}) {
  const full = endpoints.length >= MAX_ENDPOINTS;
  return (
    <SectionCard title="Notification endpoints">
      <Text size="2" color="gray">
        Vigil tells these URLs when a message fails and when an API key is created or revoked, with a signed webhook
        (verified with your signing secret, like every delivery) that is retried up to 5 times. At most {MAX_ENDPOINTS}.
      </Text>
      {endpoints.map(({ endpoint, deliveries }) => (
        <Card key={endpoint.id} variant="surface" data-testid="notification-endpoint">
          <Flex direction="column" gap="3">
            <Flex direction="column" gap="1">
              <Code variant="ghost" style={{ overflowWrap: 'anywhere' }}>
                {maskedUrl(endpoint.url)}
              </Code>
              {endpoint.description && (
                <Text size="2" color="gray" data-testid="endpoint-description">
                  {endpoint.description}
                </Text>
              )}
              <Flex gap="1" wrap="wrap">
                {endpoint.events.map((type) => (
                  <Badge key={type} color="gray" highContrast>
                    {notificationEventLabel(type)}
                  </Badge>
                ))}
              </Flex>
            </Flex>
            <NotificationEndpointActions id={endpoint.id} url={maskedUrl(endpoint.url)} />
            <Heading as="h3" size="2">
              Recent deliveries
            </Heading>
            <RecentDeliveries deliveries={deliveries} />
          </Flex>
        </Card>
      ))}
      {full ? (
        <Text size="2" color="gray">
          You have {MAX_ENDPOINTS} endpoints, the most there can be: remove one to add another.
        </Text>
      ) : null}
      <NotificationEndpointForm full={full} />
    </SectionCard>
  );
}
