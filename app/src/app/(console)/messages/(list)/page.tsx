import { Badge, Button, Card, Flex, Heading, Link, Table, Text, VisuallyHidden } from '@radix-ui/themes';
import type { Metadata } from 'next';
import NextLink from 'next/link';
import { MESSAGE_ID_PATTERN } from '@vigil/core/ids';
import { redirect } from 'next/navigation';
import { AutoRefresh } from '@/components/auto-refresh';
import { BulkSelection, BulkToolbar, SelectRowBox } from '@/components/bulk-actions';
import { MessageFilters } from '@/components/message-filters';
import { EmptyState } from '@/components/notices';
import { FailingTargets } from '@/components/failing-targets';
import { StatusBadge } from '@/components/status-badge';
import { Timestamp } from '@/components/timestamp';
import { ProblemNotice } from '@/components/problem-notice';
import { loadPage } from '@/lib/api';
import {
  attemptOutcome,
  count,
  duration,
  failureReasonText,
  lastAttemptChangeText,
  localTimeText,
  maskedUrl,
  targetText,
} from '@/lib/format';
import { failingTargets, foldingLeftPageShort, type ListRow, listRows, pageMakeup, targetHost } from '@/lib/list-rows';
import {
  filtersRefused,
  isFiltered,
  listQueryOf,
  type MessageSearch,
  searchHref,
  searchOf,
} from '@/lib/message-search';
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
        <ProblemNotice problem={filtersRefused(loaded.problem)} readsItself />
      </Flex>
    );
  }
  const page = loaded.data;
  const live = page.items.some((m) => LIVE_STATUSES.includes(m.status));
  // Vigil's own deliveries to one endpoint in one state as one row, unless those are what was asked for.
  const foldVigil = search.origin.length === 0 || search.origin.includes('message');
  const rows: ListRow[] = foldVigil
    ? listRows(page.items)
    : page.items.map((message) => ({ kind: 'message', message }));

  return (
    <Flex direction="column" gap="4">
      <AutoRefresh active={live} />
      {heading}
      {filters}
      <FailingTargets
        targets={failingTargets(page.items)}
        counted={page.items.length}
        morePages={Boolean(page.nextCursor)}
      />
      <FoldedNote rows={rows} search={search} morePages={Boolean(page.nextCursor)} />
      <BulkSelection
        pageIds={page.items.map((m) => m.id)}
        foldedIds={rows.flatMap((row) => (row.kind === 'vigil' ? row.messages.map((m) => m.id) : []))}
      >
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
                  {rows.map((row) =>
                    row.kind === 'message' ? (
                      <MessageRow key={row.message.id} message={row.message} />
                    ) : (
                      <VigilRow key={row.messages[0]!.id} row={row} />
                    ),
                  )}
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
 * When Vigil's own deliveries, folded, leave the page few of your messages (25 listed, 20 of them
 * alerts in one row) and later pages hold more: it says so, with a link to your messages alone.
 */
function FoldedNote({ rows, search, morePages }: { rows: ListRow[]; search: MessageSearch; morePages: boolean }) {
  const makeup = pageMakeup(rows);
  if (!foldingLeftPageShort(makeup, PAGE_SIZE, morePages)) return null;
  const { own, folded, foldedRows } = makeup;
  return (
    <Text as="p" size="2" color="gray" data-testid="folded-note">
      {count(folded)} of this page&apos;s {count(own + folded)} messages are Vigil&apos;s own deliveries, shown as{' '}
      {foldedRows === 1 ? 'one row' : `${count(foldedRows)} rows`}, so it lists {count(own)} of yours.{' '}
      <Link asChild>
        <NextLink href={searchHref({ ...search, origin: ['message'] })}>Show only your messages</NextLink>
      </Link>
    </Text>
  );
}

/** One message: its status, where it goes, when, and how its attempts went. */
function MessageRow({ message: m }: { message: Message }) {
  const changedSince = m.lastAttempt && lastAttemptChangeText(m.lastAttempt);
  return (
    <Table.Row data-testid={`message-${m.id}`} align="center">
      <Table.Cell className="vigil-select-cell">
        <SelectRowBox ids={[m.id]} label={`${targetText(m)} (${m.id})`} />
      </Table.Cell>
      <Table.Cell data-label="Status">
        <StatusBadge status={m.status} />
      </Table.Cell>
      <Table.RowHeaderCell data-label="Target">
        <Flex direction="column">
          <Link asChild weight="medium">
            {/* Two lines at most (a 2,000-character URL took twenty): all of it on hover and on its page. */}
            <NextLink href={`/messages/${m.id}`} className="vigil-clamp-2" title={`${m.method} ${maskedUrl(m.url)}`}>
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
          {changedSince && (
            <Text size="1" color="amber" data-testid="last-attempt-changed">
              {changedSince}
            </Text>
          )}
          <AttemptProgress message={m} />
        </Flex>
      </Table.Cell>
      <Table.Cell data-label="Lateness">
        {m.lastAttempt ? duration(m.lastAttempt.latenessMs) : <Text color="gray">—</Text>}
      </Table.Cell>
    </Table.Row>
  );
}

/**
 * Vigil's own deliveries to one endpoint in one state (twenty alerts retrying to a notification
 * endpoint that is down), as one row: how many, where, the latest's time and last attempt, and a
 * link to them one by one.
 */
function VigilRow({ row }: { row: Extract<ListRow, { kind: 'vigil' }> }) {
  const latest = row.messages[0]!;
  const { urlPrefix } = targetHost(latest.url);
  const href = searchHref({
    ...searchOf({}),
    status: [row.status],
    origin: [latest.origin?.kind === 'callback' ? 'callback' : 'notification'],
    // The URL up to its query (which may hold a token): never credentials in the address bar.
    ...(urlPrefix && { urlPrefix: latest.url.split(/[?#]/)[0] }),
  });
  const what = `${row.messages.length} ${row.what}`;
  return (
    <Table.Row data-testid="vigil-row" align="center">
      <Table.Cell className="vigil-select-cell">
        <SelectRowBox ids={row.messages.map((m) => m.id)} label={`the ${what} to ${targetText(latest)}`} />
      </Table.Cell>
      <Table.Cell data-label="Status">
        <StatusBadge status={row.status} />
      </Table.Cell>
      <Table.RowHeaderCell data-label="Target">
        <Flex direction="column">
          <Link asChild weight="medium">
            <NextLink href={href} className="vigil-clamp-2" title={`${latest.method} ${maskedUrl(latest.url)}`}>
              {what} to {targetText(latest)}
            </NextLink>
          </Link>
          <Text size="1" color="gray" data-testid="made-by-vigil">
            Sent by Vigil
            {row.what === 'callbacks'
              ? ': callbacks of your messages'
              : row.what === 'alerts'
                ? ' for a notification endpoint'
                : ': test events for a notification endpoint'}
            , shown as one row (the link lists them one by one)
          </Text>
        </Flex>
      </Table.RowHeaderCell>
      <Table.Cell data-label="Send at">
        <Text as="div" size="1" color="gray">
          the latest
        </Text>
        <Timestamp iso={latest.sendAt} stacked />
      </Table.Cell>
      <Table.Cell data-label="Attempts">
        <Flex direction="column">
          <Text>
            {latest.attempts}
            {latest.lastAttempt && <Text color="gray"> · {attemptOutcome(latest.lastAttempt)}</Text>}
          </Text>
          <AttemptProgress message={latest} />
        </Flex>
      </Table.Cell>
      <Table.Cell data-label="Lateness">
        <Text color="gray">—</Text>
      </Table.Cell>
    </Table.Row>
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
