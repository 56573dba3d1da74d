import { Badge, Button, Card, Flex, Heading, Link, Table, Text, VisuallyHidden } from '@radix-ui/themes';
import type { Metadata } from 'next';
import NextLink from 'next/link';
import { MESSAGE_ID_PATTERN } from '@vigil/core/ids';
import { redirect } from 'next/navigation';
import { AutoRefresh } from '@/components/auto-refresh';
import { BulkSelection, BulkToolbar, SelectRowBox } from '@/components/bulk-actions';
import { MessageFilters } from '@/components/message-filters';
import { EmptyState } from '@/components/notices';
import { StatusBadge } from '@/components/status-badge';
import { Timestamp } from '@/components/timestamp';
import { ProblemNotice } from '@/components/problem-notice';
import { loadPage } from '@/lib/api';
import { attemptOutcome, duration, failureReasonText, localTimeText, targetText } from '@/lib/format';
import { isFiltered, listQueryOf, searchHref, searchOf } from '@/lib/message-search';
import type { Message } from '@/lib/types';
import { LIVE_STATUSES } from '@/lib/types';

export const metadata: Metadata = { title: 'Messages' };

const PAGE_SIZE = 25;

export default async function MessagesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // A whole message id (the search this page had before its filters, kept in links): straight to its page.
  const id = typeof params.id === 'string' ? params.id.trim() : '';
  if (MESSAGE_ID_PATTERN.test(id)) redirect(`/messages/${encodeURIComponent(id)}`);
  const search = searchOf(id ? { ...params, idContains: id } : params);
  const filtered = isFiltered(search);
  const cursor = typeof params.cursor === 'string' && params.cursor !== '' ? params.cursor : undefined;
  const loaded = await loadPage((vigil) =>
    vigil.messages.listPage({ ...listQueryOf(search), limit: PAGE_SIZE, ...(cursor && { cursor }) }),
  );
  const filters = <MessageFilters value={search} />;
  const heading = (
    <Heading as="h1" size="6">
      Messages
    </Heading>
  );
  if (loaded.problem) {
    // The page's h1 first, as when the list is there: then the filters, then what went wrong.
    return (
      <Flex direction="column" gap="4">
        {heading}
        {filters}
        <ProblemNotice problem={loaded.problem} />
      </Flex>
    );
  }
  const page = loaded.data;
  const live = page.items.some((m) => LIVE_STATUSES.includes(m.status));

  return (
    <Flex direction="column" gap="4">
      <AutoRefresh active={live} />
      {heading}
      {filters}
      <BulkSelection pageIds={page.items.map((m) => m.id)}>
        <BulkToolbar />
        <Card size="1">
          {page.items.length === 0 ? (
            <EmptyState
              title={filtered ? 'No messages match these filters' : 'No messages yet'}
              hint={
                filtered
                  ? page.nextCursor
                    ? 'None on this page: the next page looks further back.'
                    : 'Change or clear the filters to see more.'
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
                            {/* A long path without break points wraps anywhere rather than push the columns out. */}
                            <NextLink href={`/messages/${m.id}`} style={{ overflowWrap: 'anywhere' }}>
                              {targetText(m)}
                            </NextLink>
                          </Link>
                          <Text size="1" color="gray" className="vigil-mono">
                            {m.id}
                          </Text>
                          {m.origin && (
                            <Text size="1" color="gray" data-testid="made-by-vigil">
                              Sent by Vigil:{' '}
                              {m.origin.kind === 'callback'
                                ? `the callback of ${m.origin.messageId}`
                                : m.origin.event === 'notification.test'
                                  ? 'a test event'
                                  : 'an alert for a notification endpoint'}
                            </Text>
                          )}
                          {m.labels.length > 0 && (
                            <Flex gap="1" wrap="wrap" mt="1" data-testid="labels">
                              {m.labels.map((label) => (
                                <Badge key={label} color="gray" variant="surface" size="1" className="vigil-tag">
                                  {label}
                                </Badge>
                              ))}
                            </Flex>
                          )}
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
      <Flex gap="3" justify="end" wrap="wrap" asChild>
        <nav aria-label="Pages">
          {cursor && (
            <Button asChild variant="soft" color="gray">
              <NextLink href={searchHref(search)}>First page</NextLink>
            </Button>
          )}
          {page.previousCursor && (
            <Button asChild variant="soft">
              <NextLink href={searchHref(search, page.previousCursor)}>Previous page</NextLink>
            </Button>
          )}
          {page.nextCursor && (
            <Button asChild variant="soft">
              <NextLink href={searchHref(search, page.nextCursor)}>Next page</NextLink>
            </Button>
          )}
        </nav>
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
    // Past its time, it is being tried (or about to be): "next try 4 seconds ago" read as done.
    return (
      <Text size="1" color="gray" data-testid="next-try">
        next try <Timestamp iso={message.nextAttemptAt} once="due now" />
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
