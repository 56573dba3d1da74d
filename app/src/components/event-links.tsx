import { DataList, Flex, Link, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import { maskedUrl } from '@/lib/format';
import type { Message } from '@/lib/types';
import { StatusBadge } from './status-badge';

const messageLink = (id: string, text: string) => (
  <Link asChild>
    <NextLink href={`/messages/${id}`}>{text}</NextLink>
  </Link>
);

/**
 * The message page's rows about event deliveries: a message's callback and the callback
 * deliveries made for its rounds, or, on a delivery Vigil made itself, what it is about.
 */
export function EventLinks({ message }: { message: Message }) {
  const { callback, callbacks = [], origin } = message;
  return (
    <>
      {callback && (
        <DataList.Item>
          <DataList.Label>Callback</DataList.Label>
          <DataList.Value data-testid="callback">
            <Flex direction="column" gap="1">
              <Text className="vigil-mono" style={{ overflowWrap: 'anywhere' }}>
                {maskedUrl(callback.url)}
              </Text>
              <Text size="1" color="gray">
                Called when a delivery (or redelivery) ends {callback.on.join(' or ')}, with a signed webhook of its
                own.
              </Text>
              {callbacks.map((ref) => (
                <Flex key={ref.id} gap="2" align="center" wrap="wrap" data-testid="callback-delivery">
                  {messageLink(
                    ref.id,
                    ref.round === 0 ? `Callback: ${ref.event}` : `Callback of redelivery ${ref.round}: ${ref.event}`,
                  )}
                  {ref.status && <StatusBadge status={ref.status} />}
                </Flex>
              ))}
            </Flex>
          </DataList.Value>
        </DataList.Item>
      )}
      {origin && (
        <DataList.Item>
          <DataList.Label>Sent by Vigil</DataList.Label>
          <DataList.Value data-testid="origin">
            {origin.kind === 'callback' ? (
              <Text>
                The callback of {messageLink(origin.messageId, origin.messageId)}: it ended {origin.event}
                {origin.round > 0 ? ` (redelivery ${origin.round})` : ''}. Not counted in your usage.
              </Text>
            ) : (
              <Text>
                {origin.event === 'notification.test' ? 'A test event' : `The event ${origin.event}`}
                {origin.messageId && (
                  <>
                    {' '}
                    of {messageLink(origin.messageId, origin.messageId)}
                    {origin.round ? ` (redelivery ${origin.round})` : ''}
                  </>
                )}{' '}
                for a notification endpoint (Settings). Not counted in your usage.
              </Text>
            )}
          </DataList.Value>
        </DataList.Item>
      )}
    </>
  );
}
