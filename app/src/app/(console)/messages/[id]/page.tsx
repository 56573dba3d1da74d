import { Badge, Box, Card, Code, DataList, Flex, Heading, Link, Text } from '@radix-ui/themes';
import type { Metadata } from 'next';
import { headers as requestHeaders } from 'next/headers';
import NextLink from 'next/link';
import { notFound } from 'next/navigation';
import { MESSAGE_ID_PATTERN } from '@vigil/core/ids';
import { AutoRefresh } from '@/components/auto-refresh';
import { ClampedText } from '@/components/clamped-text';
import { CollapsiblePre } from '@/components/collapsible-pre';
import { CopyButton } from '@/components/copy-button';
import { EarlierAttempts } from '@/components/earlier-attempts';
import { EventLinks } from '@/components/event-links';
import { HeaderTable } from '@/components/header-table';
import { MessageActions } from '@/components/message-actions';
import { CopyCurlButton, MessageBody, MessageBodyPart } from '@/components/message-body';
import { MessageOutcome } from '@/components/message-outcome';
import { SectionCard } from '@/components/section-card';
import { StatusBadge } from '@/components/status-badge';
import { OwnZoneTime, Timestamp } from '@/components/timestamp';
import { ProblemNotice } from '@/components/problem-notice';
import { loadPage } from '@/lib/api';
import { bodyInAnswer, isDocumentRequest } from '@/lib/message-body';
import { bodyDigest, KeptMessageParts, readMessageWithParts } from '@/lib/message-parts';
import { decodedPathSegment } from '@/lib/paths';
import {
  attemptOutcome,
  attemptRequestText,
  duration,
  latenessReasonText,
  maskedHeaderValue,
  maskedUrl,
  prettyBody,
  redeliveryStarts,
  sentBodyOf,
  webhookCurlHead,
} from '@/lib/format';
import type { Attempt } from '@/lib/types';
import { LIVE_STATUSES } from '@/lib/types';

export const metadata: Metadata = { title: 'Message' };

/** The attempts shown in full when a message has many; the earlier are folded, when that folds at least five. */
const LATEST_ATTEMPTS_SHOWN = 10;
const FOLDED_AT_LEAST = 5;

/** This server's attempts and bodies of messages on their way, read again only once their message changed. */
const keptParts = new KeptMessageParts();

// The body as it is sent, from its own route: the message's `body` read into values would show a
// name like "1" first, an escape as its character and a long number rounded. The page reads itself
// again every second while the message is on its way: the attempts and the body (up to 256 KiB) are
// read again only when the message answers otherwise than when they were read (message-parts.ts),
// and such a refresh's answer names the body by its digest without carrying it (message-body.ts).
const load = (id: string) =>
  loadPage(async (vigil) => {
    const { message, parts } = await readMessageWithParts(keptParts, id, {
      message: () => vigil.messages.get(id),
      parts: async () => {
        const [attempts, bodyText] = await Promise.all([vigil.messages.attempts(id), vigil.messages.body(id)]);
        return { attempts, bodyText };
      },
    });
    return [message, parts.attempts, parts.bodyText] as const;
  });

export default async function MessagePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // Anything that cannot be a message id (`%ff`, a typo'd path) is a plain 404, not a crash or an API call.
  const messageId = decodedPathSegment(id);
  if (messageId === undefined || !MESSAGE_ID_PATTERN.test(messageId)) notFound();
  const loaded = await load(messageId);
  if (loaded.problem?.status === 404) notFound();
  // Refused or unanswered (a 429 over the rate, Vigil busy): it goes on reading itself once that has passed.
  if (loaded.problem) return <ProblemNotice heading="Message" problem={loaded.problem} readsItself />;
  const [message, { items: attempts, omitted = 0 }, bodyText] = loaded.data;
  const live = LIVE_STATUSES.includes(message.status);
  // The generated type is a union with the schema's `oneOf` alternatives, which say nothing more.
  const flow = message.flowControl as { key: string; parallelism?: number; ratePerSecond?: number } | undefined;
  const headers = Object.entries(message.headers);
  const sentBody = sentBodyOf(message, bodyText);
  // A refresh (Next.js's router reading the page again) of a message on its way: the browser holds its body.
  const documentLoad = isDocumentRequest((await requestHeaders()).get('accept'));
  const shownBody = sentBody && {
    digest: bodyDigest(sentBody.text),
    ...(bodyInAnswer({ documentLoad, live }) && { text: sentBody.text }),
  };
  const redeliveries = redeliveryStarts(attempts, message.maxAttempts, omitted);
  // The latest attempt whose request the message still describes (its headers derived, nothing of it
  // changed since): the curl command sends what it sent. One sent before a change is never offered so.
  const lastSent = attempts.findLast((a) => a.sentHeaders !== undefined && a.differs === undefined);
  const curlHead = webhookCurlHead({ ...message, bodyKind: sentBody?.kind }, lastSent?.sentHeaders);
  // Where the latest attempt went when a change of the message's address or method since makes it
  // not the target shown: said beside the target, as the attempt list says it of the attempt.
  const lastAttempt = attempts.at(-1);
  const lastSentTo = lastAttempt && attemptRequestText(lastAttempt)?.sentTo;
  // Many attempts (a message redelivered again and again): the latest in full, the earlier folded.
  const folded =
    attempts.length >= LATEST_ATTEMPTS_SHOWN + FOLDED_AT_LEAST ? attempts.length - LATEST_ATTEMPTS_SHOWN : 0;
  const earlier = attempts.slice(0, folded);
  const latest = attempts.slice(folded);
  const deliveredAfter =
    message.deliveredAt === undefined ? undefined : Date.parse(message.deliveredAt) - Date.parse(message.sendAt);

  return (
    <Flex direction="column" gap="4">
      <AutoRefresh active={live} everyMs={1000} />
      <Link asChild size="2" color="gray">
        <NextLink href="/messages">← Messages</NextLink>
      </Link>
      <Flex justify="between" align="start" gap="3" wrap="wrap">
        <Flex direction="column" gap="1">
          <Flex align="center" gap="3">
            <Heading as="h1" size="6">
              Message
            </Heading>
            <StatusBadge status={message.status} />
          </Flex>
          <Flex align="center" gap="2" wrap="wrap">
            <Text size="2" color="gray" className="vigil-mono" data-testid="message-id">
              {message.id}
            </Text>
            <CopyButton value={message.id} label="Copy ID" />
          </Flex>
        </Flex>
        <MessageActions
          id={message.id}
          status={message.status}
          sendAt={message.sendAt}
          timezone={message.timezone}
          heldByFlowControl={message.heldByFlowControlSince !== undefined}
        />
      </Flex>

      {/* The bad news first: why it failed, or how its last try went, above everything else about it. */}
      <MessageOutcome message={message} last={attempts.at(-1)} omitted={omitted} />

      <Card size="2">
        <DataList.Root orientation={{ initial: 'vertical', sm: 'horizontal' }}>
          <DataList.Item>
            <DataList.Label>Target</DataList.Label>
            <DataList.Value>
              {/* Three lines at most (a 2,000-character URL took sixteen): the rest on hover or on demand. */}
              <Flex direction="column" gap="1">
                <ClampedText title={`${message.method} ${maskedUrl(message.url)}`} testId="target">
                  <Badge color="gray" mr="2">
                    {message.method}
                  </Badge>
                  <span className="vigil-mono">{maskedUrl(message.url)}</span>
                </ClampedText>
                {lastAttempt && lastSentTo && (
                  <Text as="div" size="1" color="gray" data-testid="last-attempt-sent-to">
                    Its last attempt (#{lastAttempt.n}) went to <span className="vigil-mono">{lastSentTo}</span>, before
                    the message was changed; attempts from now on go to the target above.
                  </Text>
                )}
              </Flex>
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Due</DataList.Label>
            <DataList.Value>
              <Flex direction="column">
                <Timestamp iso={message.sendAt} exact />
                {message.timezone && message.localSendAt && (
                  <OwnZoneTime localSendAt={message.localSendAt} timezone={message.timezone} />
                )}
              </Flex>
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Delivered</DataList.Label>
            <DataList.Value data-testid="delivered-at">
              {message.deliveredAt ? (
                <Flex direction="column">
                  <Timestamp iso={message.deliveredAt} exact />
                  <Text size="1" color="gray">
                    {redeliveries.size > 0
                      ? `on a redelivery, ${duration(Math.max(0, deliveredAfter ?? 0))} after it was first due`
                      : `${duration(Math.max(0, deliveredAfter ?? 0))} after it was due`}
                  </Text>
                </Flex>
              ) : (
                <Text color="gray">
                  {message.status === 'failed'
                    ? 'No: it failed (redeliver it to try again)'
                    : message.status === 'cancelled'
                      ? 'No: it was cancelled'
                      : 'Not yet'}
                </Text>
              )}
            </DataList.Value>
          </DataList.Item>
          {message.nextAttemptAt && (
            <DataList.Item>
              <DataList.Label>Next attempt</DataList.Label>
              <DataList.Value>
                <Timestamp iso={message.nextAttemptAt} exact />
              </DataList.Value>
            </DataList.Item>
          )}
          <DataList.Item>
            <DataList.Label>Attempts</DataList.Label>
            <DataList.Value>
              <Flex direction="column">
                <Text as="div" data-testid="attempts-summary">
                  {message.attempts === 1 ? '1 attempt' : `${message.attempts} attempts`}{' '}
                  {live ? 'made so far.' : 'made.'}
                </Text>
                <Text as="div" size="1" color="gray">
                  {message.maxAttempts === 1
                    ? 'Each delivery (and each redelivery) is tried once, without retries'
                    : `Each delivery (and each redelivery) is tried up to ${message.maxAttempts} times: the first try and up to ${message.maxAttempts - 1} ${message.maxAttempts === 2 ? 'retry' : 'retries'}`}
                  ; Vigil waits up to {duration(message.timeoutMs)} for an answer each time.
                </Text>
              </Flex>
            </DataList.Value>
          </DataList.Item>
          {flow && (
            <DataList.Item>
              <DataList.Label>Flow control</DataList.Label>
              <DataList.Value data-testid="flow-control">
                <Text>
                  Key <Code variant="ghost">{flow.key}</Code>:{' '}
                  {[
                    flow.parallelism !== undefined && `at most ${flow.parallelism} at once`,
                    flow.ratePerSecond !== undefined && `at most ${flow.ratePerSecond} a second`,
                  ]
                    .filter(Boolean)
                    .join(', ')}{' '}
                  to its destination; a message waits for a free turn.
                </Text>
                {message.heldByFlowControlSince && (
                  <Text as="p" size="1" color="gray" data-testid="held-by-flow-control">
                    Waiting for a free turn since it was due, <Timestamp iso={message.heldByFlowControlSince} />; it can
                    still be cancelled.
                  </Text>
                )}
              </DataList.Value>
            </DataList.Item>
          )}
          <DataList.Item>
            <DataList.Label>Created</DataList.Label>
            <DataList.Value>
              <Timestamp iso={message.createdAt} exact />
            </DataList.Value>
          </DataList.Item>
          {message.expiresAt && (
            <DataList.Item>
              <DataList.Label>Kept until</DataList.Label>
              <DataList.Value data-testid="expires-at">
                <Flex direction="column">
                  <Timestamp iso={message.expiresAt} exact />
                  <Text size="1" color="gray">
                    Then it and its attempts are deleted (your plan&apos;s retention).
                  </Text>
                </Flex>
              </DataList.Value>
            </DataList.Item>
          )}
          {message.labels.length > 0 && (
            <DataList.Item>
              <DataList.Label>Labels</DataList.Label>
              <DataList.Value>
                <Flex gap="2" wrap="wrap" data-testid="labels">
                  {message.labels.map((label) => (
                    <Link key={label} asChild size="2">
                      <NextLink href={`/messages?label=${encodeURIComponent(label)}`}>
                        <Badge color="gray" variant="surface" className="vigil-tag">
                          {label}
                        </Badge>
                      </NextLink>
                    </Link>
                  ))}
                </Flex>
              </DataList.Value>
            </DataList.Item>
          )}
          {Object.keys(message.metadata).length > 0 && (
            <DataList.Item>
              <DataList.Label>Metadata</DataList.Label>
              <DataList.Value>
                <Flex gap="2" wrap="wrap">
                  {Object.entries(message.metadata).map(([k, v]) => (
                    <Badge key={k} color="gray" variant="surface" className="vigil-tag">
                      {k}: {v}
                    </Badge>
                  ))}
                </Flex>
              </DataList.Value>
            </DataList.Item>
          )}
          <EventLinks message={message} />
        </DataList.Root>
      </Card>

      {/* The body, sent to the browser once per change of it (message-body.ts): the card's curl and body part. */}
      <MessageBody id={message.id} digest={shownBody?.digest} text={shownBody?.text}>
        <SectionCard title="Request" action={<CopyCurlButton head={curlHead} />}>
          <Text size="1" color="gray" data-testid="curl-note">
            {lastSent
              ? `The curl command sends the request of attempt #${lastSent.n} again: the same method, address, headers and body, `
              : 'The curl command sends the request Vigil will send: the same method, address, headers and body, '}
            without the two signature headers (webhook-timestamp and webhook-signature): only Vigil can sign, so a
            receiver that checks signatures will refuse the copy. Header values that look like secrets, and a password
            or a query value named like one (token, key, signature…) in the address, stay masked: put the real ones in.
          </Text>
          <Text size="2" weight="medium">
            Its own headers
          </Text>
          {headers.length === 0 ? (
            <Text size="2" color="gray">
              None. Vigil adds its own to every attempt (the webhook signature, the attempt number...): each attempt
              below lists every header it sent.
            </Text>
          ) : (
            // Each header in three lines at most, the rest on demand: a value may be up to 16 KiB, where
            // one of 4,000 characters took some 2,000 px of a phone before the body and the attempts.
            <div className="vigil-pre" data-testid="headers">
              {headers.map(([name, value]) => (
                <ClampedText
                  key={name}
                  title={`${name}: ${maskedHeaderValue(name, value)}`}
                  testId={`header-${name}`}
                  showAll={`Show all of ${name}`}
                >
                  {`${name}: ${maskedHeaderValue(name, value)}`}
                </ClampedText>
              ))}
            </div>
          )}
          <MessageBodyPart />
        </SectionCard>
      </MessageBody>

      <SectionCard title="Attempts">
        {attempts.length === 0 ? (
          <Text size="2" color="gray">
            {live ? 'No attempt yet: it will be sent when it is due.' : 'No attempts were made.'}
          </Text>
        ) : (
          <>
            {omitted > 0 && (
              <Text size="2" color="gray" data-testid="attempts-omitted">
                {omitted} earlier {omitted === 1 ? 'attempt is' : 'attempts are'} no longer kept (the latest 50 are).
              </Text>
            )}
            {earlier.length > 0 && (
              <EarlierAttempts from={earlier[0]!.n} to={earlier.at(-1)!.n}>
                <ol className="vigil-timeline">
                  {earlier.map((a) => (
                    <AttemptItem key={a.n} attempt={a} redelivery={redeliveries.has(a.n)} />
                  ))}
                </ol>
              </EarlierAttempts>
            )}
            <ol className="vigil-timeline" data-testid="attempts">
              {latest.map((a) => (
                <AttemptItem key={a.n} attempt={a} redelivery={redeliveries.has(a.n)} />
              ))}
            </ol>
          </>
        )}
      </SectionCard>
    </Flex>
  );
}

function AttemptItem({ attempt, redelivery }: { attempt: Attempt; redelivery: boolean }) {
  const ok = attempt.statusCode !== undefined && attempt.statusCode >= 200 && attempt.statusCode < 300;
  const color = ok ? 'var(--grass-9)' : attempt.statusCode === undefined ? 'var(--red-9)' : 'var(--amber-9)';
  const response = attempt.responseHeaders ? Object.keys(attempt.responseHeaders).length : 0;
  const request = attemptRequestText(attempt);
  return (
    <li style={{ ['--timeline-dot' as string]: color }} data-testid={`attempt-${attempt.n}`}>
      <Flex direction="column" gap="1">
        {redelivery && (
          <Text size="1" weight="bold" color="indigo" data-testid={`redelivery-${attempt.n}`}>
            Redelivered: a new round of tries began here
          </Text>
        )}
        <Flex gap="2" align="center" wrap="wrap">
          <Text weight="bold">#{attempt.n}</Text>
          <Badge
            color={ok ? 'grass' : attempt.statusCode === undefined ? 'red' : 'amber'}
            data-testid={`outcome-${attempt.n}`}
          >
            {attemptOutcome(attempt)}
          </Badge>
          <Text size="2" color="gray">
            sent {duration(attempt.latenessMs)} after it was due
            {attempt.latenessReason && `, ${latenessReasonText(attempt.latenessReason)}`} ·{' '}
            {attempt.statusCode === undefined ? 'gave up after' : 'answered in'} {duration(attempt.durationMs)}
          </Text>
        </Flex>
        <Text size="1" color="gray">
          <Timestamp iso={attempt.startedAt} exact />
        </Text>
        {request && (
          <Flex direction="column" data-testid={`attempt-request-${attempt.n}`}>
            {request.sentTo && (
              <ClampedText title={`Sent to ${request.sentTo}`} testId={`attempt-url-${attempt.n}`}>
                <Text size="2">
                  Sent to <span className="vigil-mono">{request.sentTo}</span>
                </Text>
              </ClampedText>
            )}
            <Text size="1" color="gray">
              {request.note}
            </Text>
          </Flex>
        )}
        {attempt.retryAfterMs !== undefined && (
          <Text size="2" color="gray">
            The endpoint asked Vigil to wait {duration(attempt.retryAfterMs)} before trying again (its Retry-After
            header).
          </Text>
        )}
        {attempt.error && (
          <Text size="2" color="red">
            {attempt.error}
          </Text>
        )}
        {attempt.responseSnippet && (
          <Box>
            <Text size="1" color="gray">
              Response body{attempt.responseSnippet.length >= 1000 && ' (its first KiB)'}
            </Text>
            <CollapsiblePre text={prettyBody(attempt.responseSnippet).text} testId={`response-${attempt.n}`} />
          </Box>
        )}
        {attempt.responseHeaders && (
          <details className="vigil-details" data-testid={`response-headers-${attempt.n}`}>
            <summary>
              Response headers ({response}
              {attempt.responseHeadersOmitted ? `; ${attempt.responseHeadersOmitted} more not kept` : ''})
            </summary>
            <HeaderTable headers={attempt.responseHeaders} label={`Response headers of attempt ${attempt.n}`} />
          </details>
        )}
        {attempt.sentHeaders && (
          <details className="vigil-details" data-testid={`sent-headers-${attempt.n}`}>
            <summary>Headers Vigil sent ({Object.keys(attempt.sentHeaders).length})</summary>
            <HeaderTable
              headers={attempt.sentHeaders}
              label={`Headers Vigil sent in attempt ${attempt.n}`}
              maskedBefore={['webhook-signature']}
            />
            <Text as="p" size="1" color="gray" mt="1">
              Exactly as the endpoint received them. The signature shows only its first characters; host and connection
              were added by Vigil&apos;s HTTP client.
            </Text>
          </details>
        )}
      </Flex>
    </li>
  );
}
