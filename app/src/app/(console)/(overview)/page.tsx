import { Box, Card, Code, Flex, Grid, Heading, Link, Progress, Text } from '@radix-ui/themes';
import type { Metadata } from 'next';
import NextLink from 'next/link';
import { CopyButton } from '@/components/copy-button';
import { LocalReceiverNote } from '@/components/local-receiver-note';
import { SectionCard } from '@/components/section-card';
import { UsageChart } from '@/components/usage-chart';
import { ProblemNotice } from '@/components/problem-notice';
import { QuotaNotice } from '@/components/quota-notice';
import { loadPage } from '@/lib/api';
import { consoleConfig } from '@/lib/config';
import { Timestamp } from '@/components/timestamp';
import {
  attemptOutcome,
  count,
  duration,
  everyDay,
  failureReasonText,
  isLocalApi,
  maskedUrl,
  percentile,
  quickstartCurl,
  targetText,
  utcDate,
} from '@/lib/format';
import type { Message } from '@/lib/types';
import { quotaUsedUp } from '@/lib/types';

export const metadata: Metadata = { title: 'Overview' };

/** How many recent deliveries the lateness figures are taken over. */
const RECENT = 100;
/** How many failed messages the overview lists. */
const RECENT_FAILURES = 5;

export default async function OverviewPage() {
  const loaded = await loadPage((vigil) =>
    Promise.all([
      vigil.usage({ from: utcDate(29), to: utcDate(0) }),
      // Your own messages, as the month's figures count them: not Vigil's callbacks and alerts.
      vigil.messages.listPage({ status: 'delivered', origin: ['message'], limit: RECENT }),
      vigil.keys.list(),
      vigil.messages.listPage({ status: 'failed', origin: ['message'], limit: RECENT_FAILURES }),
    ]),
  );
  if (loaded.problem) return <ProblemNotice heading="Overview" problem={loaded.problem} />;
  const [usage, delivered, keys, failed] = loaded.data;
  const lateness = delivered.items.flatMap((m) => (m.lastAttempt ? [m.lastAttempt.latenessMs] : []));
  const p50 = percentile(lateness, 50);
  const p99 = percentile(lateness, 99);
  const { monthToDate, plan } = usage;
  const used = Math.min(100, (monthToDate.scheduled / plan.monthlyMessages) * 100);
  // Used up: the bar is the notice's amber, not the blue of a month going well, and the quickstart says it is refused.
  const usedUp = quotaUsedUp(usage);
  const key = keys.at(-1);
  const { publicApiUrl } = consoleConfig();
  // Against a local stack, webhooks go to a receiver on this machine (LocalReceiverNote).
  const local = isLocalApi(publicApiUrl);
  const curl = quickstartCurl(publicApiUrl, key ? `${key.prefix}…` : 'vgl_…');

  return (
    <Flex direction="column" gap="5">
      <Heading as="h1" size="6">
        Overview
      </Heading>
      <QuotaNotice usage={usage} />
      <Grid columns={{ initial: '1', sm: '2', md: '4' }} gap="4">
        <Figure label="Scheduled this month" value={count(monthToDate.scheduled)} href="/messages">
          <Progress
            value={used}
            color={usedUp ? 'amber' : undefined}
            aria-label="Share of the monthly quota used"
            data-testid="quota-used"
            mt="2"
          />
          <Text size="1" color="gray">
            of {count(plan.monthlyMessages)} on the {plan.name} plan
          </Text>
        </Figure>
        <Figure
          label="Delivered this month"
          value={count(monthToDate.delivered)}
          href="/messages?status=delivered&origin=message"
        />
        <Figure
          label="Failed this month"
          value={count(monthToDate.failed)}
          href="/messages?status=failed&origin=message"
        />
        <Figure label="Lateness p50 / p99" value={p50 === undefined ? '—' : `${duration(p50)} / ${duration(p99 ?? 0)}`}>
          <Text size="1" color="gray">
            {lateness.length === 0
              ? 'No deliveries yet'
              : `over the last ${lateness.length} deliver${lateness.length === 1 ? 'y' : 'ies'}`}
          </Text>
        </Figure>
      </Grid>

      <RecentFailures messages={failed.items} />

      <SectionCard title="Last 30 days">
        <UsageChart
          days={everyDay(usage.from, usage.to, usage.days, (date) => ({
            date,
            scheduled: 0,
            delivered: 0,
            failed: 0,
            attempts: 0,
          }))}
        />
      </SectionCard>

      <SectionCard title="Quickstart" action={<CopyButton value={curl} label="Copy command" />}>
        <Text size="2" color="gray">
          Schedule a webhook 10 seconds from now. Put your full API key in place of{' '}
          <Code>{key ? `${key.prefix}…` : 'vgl_…'}</Code>
          {key ? (
            <> (your key “{key.name}”; its secret was shown once when it was made).</>
          ) : (
            <>
              {' '}
              —{' '}
              <Link asChild>
                <NextLink href="/keys">create a key</NextLink>
              </Link>{' '}
              first.
            </>
          )}
          {/* Run on a day the quota is used up, it would be refused: said here, not left to the terminal. */}
          {usedUp &&
            " Until this month's quota renews, Vigil refuses it (429 quota-exceeded), as it does every new message."}
        </Text>
        <pre className="vigil-pre" data-testid="quickstart">
          {curl}
        </pre>
        {local && (
          <LocalReceiverNote size="2">
            , then watch it arrive on the{' '}
            <Link asChild>
              <NextLink href="/messages">Messages</NextLink>
            </Link>{' '}
            page
          </LocalReceiverNote>
        )}
      </SectionCard>
    </Flex>
  );
}

/** A figure on a card; with `href`, the card leads to the messages it counts. */
function Figure({
  label,
  value,
  href,
  children,
}: {
  label: string;
  value: string;
  href?: string;
  children?: React.ReactNode;
}) {
  return (
    <Card size="2">
      <Box>
        <Text as="p" size="2" color="gray">
          {href ? (
            <Link asChild color="gray" underline="hover">
              <NextLink href={href}>{label}</NextLink>
            </Link>
          ) : (
            label
          )}
        </Text>
        <Text as="p" size="6" weight="bold">
          {value}
        </Text>
        {children}
      </Box>
    </Card>
  );
}

/** The latest failed messages, each with why it failed, linking to its page; nothing when none failed. */
function RecentFailures({ messages }: { messages: Message[] }) {
  if (messages.length === 0) return null;
  return (
    <SectionCard
      title="Recent failures"
      testId="recent-failures"
      action={
        <Link asChild size="2">
          <NextLink href="/messages?status=failed&origin=message">All failed messages</NextLink>
        </Link>
      }
    >
      <Flex asChild direction="column" gap="2">
        <ul className="vigil-plain-list">
          {messages.map((m) => (
            <li key={m.id}>
              <Flex direction="column">
                <Link asChild weight="medium">
                  {/* Two lines at most (a 2,000-character URL took sixteen): all of it on hover and on its page. */}
                  <NextLink
                    href={`/messages/${m.id}`}
                    className="vigil-clamp-2"
                    title={`${m.method} ${maskedUrl(m.url)}`}
                  >
                    {targetText(m)}
                  </NextLink>
                </Link>
                <Text size="1" color="gray">
                  {m.failureReason
                    ? failureReasonText(m.failureReason).title
                    : m.lastAttempt
                      ? `${m.attempts} attempt${m.attempts === 1 ? '' : 's'}, the last: ${attemptOutcome(m.lastAttempt)}`
                      : 'No attempt was made'}
                  {m.lastAttempt && (
                    <>
                      {' · '}
                      <Timestamp iso={m.lastAttempt.startedAt} />
                    </>
                  )}
                </Text>
              </Flex>
            </li>
          ))}
        </ul>
      </Flex>
    </SectionCard>
  );
}
