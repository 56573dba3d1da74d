import { Button, Card, Flex, Heading, Link, Table, Text, VisuallyHidden } from '@radix-ui/themes';
import type { Metadata } from 'next';
import NextLink from 'next/link';
import { redirect } from 'next/navigation';
import { AutoRefresh } from '@/components/auto-refresh';
import { BulkSelection, BulkToolbar, SelectRowBox } from '@/components/bulk-actions';
import { MessageSearch } from '@/components/message-search';
import { EmptyState } from '@/components/notices';
import { StatusBadge } from '@/components/status-badge';
import { StatusFilter } from '@/components/status-filter';
import { Timestamp } from '@/components/timestamp';
import { ProblemNotice } from '@/components/problem-notice';
import { loadPage } from '@/lib/api';
import { attemptOutcome, duration, failureReasonText, localTimeText, targetText } from '@/lib/format';
import type { Message, MessageStatus } from '@/lib/types';
import { LIVE_STATUSES, MESSAGE_STATUSES } from '@/lib/types';

export const metadata: Metadata = { title: 'Messages' };

const PAGE_SIZE = 25;

export default async function MessagesPage({
  searchParams,
}: {
  searchParams: Promise<{ status?: string; cursor?: string; id?: string }>;
}) {
  const params = await searchParams;
  const id = params.id?.trim();
  if (id) redirect(`/messages/${encodeURIComponent(id)}`);
  const status = MESSAGE_STATUSES.includes(params.status as MessageStatus)
    ? (params.status as MessageStatus)
    : undefined;
  const query = { limit: PAGE_SIZE, status, cursor: params.cursor || undefined };
  const loaded = await loadPage((vigil) => vigil.messages.listPage(query));
  if (loaded.problem) return <ProblemNotice heading="Messages" problem={loaded.problem} />;
  const page = loaded.data;
  const live = page.items.some((m) => LIVE_STATUSES.includes(m.status));
  const pageLink = (cursor?: string) => {
    const next = new URLSearchParams();
    if (status) next.set('status', status);
    if (cursor) next.set('cursor', cursor);
    return `/messages${next.size ? `?${next}` : ''}`;
  };

  return (
    <Flex direction="column" gap="4">
      <AutoRefresh active={live} />
      <Heading as="h1" size="6">
        Messages
      </Heading>
      <Flex gap="3" wrap="wrap" justify="between">
        <StatusFilter value={status} />
        <MessageSearch />
      </Flex>
      <BulkSelection pageIds={page.items.map((m) => m.id)}>
        <BulkToolbar />
        <Card size="1">
          {page.items.length === 0 ? (
            <EmptyState
              title={status ? `No ${status} messages` : 'No messages yet'}
              hint={
                status
                  ? 'Pick another status to see more.'
                  : 'Schedule one with the quickstart command on the overview page, or send a test webhook from Settings.'
              }
            />
          ) : (
            <div className="vigil-table-scroll vigil-cards">
              <Table.Root>
                <Table.Header>
                  <Table.Row>
                    <Table.ColumnHeaderCell className="vigil-select-cell">
                      <VisuallyHidden>Select</VisuallyHidden>
                    </Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Target</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Send at</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Attempts</Table.ColumnHeaderCell>
                    <Table.ColumnHeaderCell>Lateness</Table.ColumnHeaderCell>
                  </Table.Row>
                </Table.Header>
                <Table.Body>
                  {page.items.map((m) => (
                    <Table.Row key={m.id} data-testid={`message-${m.id}`} align="center">
                      <Table.Cell className="vigil-select-cell">
                        <SelectRowBox id={m.id} label={`${targetText(m)} (${m.id})`} />
                      </Table.Cell>
                      <Table.Cell data-label="Status">
                        <StatusBadge status={m.status} />
                      </Table.Cell>
                      <Table.RowHeaderCell data-label="Target">
                        <Flex direction="column">
                          <Link asChild weight="medium">
                            <NextLink href={`/messages/${m.id}`}>{targetText(m)}</NextLink>
                          </Link>
                          <Text size="1" color="gray" className="vigil-mono">
                            {m.id}
                          </Text>
                        </Flex>
                      </Table.RowHeaderCell>
                      <Table.Cell data-label="Send at">
                        <Timestamp iso={m.sendAt} stacked />
                        {m.timezone && m.localSendAt && (
                          <Text as="div" size="1" color="gray">
                            {localTimeText(m.localSendAt, m.timezone)}
                          </Text>
                        )}
                      </Table.Cell>
                      <Table.Cell data-label="Attempts">
                        <Flex direction="column">
                          <Text>
                            {m.attempts}
                            {m.lastAttempt && <Text color="gray"> · {attemptOutcome(m.lastAttempt)}</Text>}
                          </Text>
                          <AttemptProgress message={m} />
                        </Flex>
                      </Table.Cell>
                      <Table.Cell data-label="Lateness">
                        {m.lastAttempt ? duration(m.lastAttempt.latenessMs) : <Text color="gray">—</Text>}
                      </Table.Cell>
                    </Table.Row>
                  ))}
                </Table.Body>
              </Table.Root>
            </div>
          )}
        </Card>
      </BulkSelection>
      <Flex gap="3" justify="end">
        {params.cursor && (
          <Button asChild variant="soft" color="gray">
            <NextLink href={pageLink()}>First page</NextLink>
          </Button>
        )}
        {page.nextCursor && (
          <Button asChild variant="soft">
            <NextLink href={pageLink(page.nextCursor)}>Next page</NextLink>
          </Button>
        )}
      </Flex>
      {live && (
        <Text size="1" color="gray" align="right">
          Updating every few seconds while messages are on their way.
        </Text>
      )}
    </Flex>
  );
}

/**
 * What comes next for a message, or how it ended, under its attempts: when the next try is, why
 * Vigil stopped on its own, or when it was last tried.
 */
function AttemptProgress({ message }: { message: Message }) {
  const live = LIVE_STATUSES.includes(message.status);
  if (live && message.nextAttemptAt && message.attempts > 0) {
    return (
      <Text size="1" color="gray" data-testid="next-try">
        next try <Timestamp iso={message.nextAttemptAt} />
      </Text>
    );
  }
  if (message.failureReason) {
    return (
      <Text size="1" color="red">
        {failureReasonText(message.failureReason).title}
      </Text>
    );
  }
  if (!live && message.lastAttempt) {
    return (
      <Text size="1" color="gray" data-testid="last-tried">
        last tried <Timestamp iso={message.lastAttempt.startedAt} />
      </Text>
    );
  }
  return null;
}
