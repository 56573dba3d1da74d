import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Callout, Flex } from '@radix-ui/themes';
import { attemptOutcome, attemptRequestText, failureReasonText } from '@/lib/format';
import type { Attempt, FailureReason, MessageStatus } from '@/lib/types';
import { Timestamp } from './timestamp';

/** How much of an endpoint's answer the notice quotes (the attempt below has it all). */
const QUOTED = 200;

/** An endpoint's answer on one line, cut to QUOTED characters: `internal error: database down`. */
export const quotedAnswer = (snippet: string): string => {
  const line = snippet.replace(/\s+/g, ' ').trim();
  return line.length > QUOTED ? `${line.slice(0, QUOTED - 1)}…` : line;
};

/**
 * The bad news of a message, first on its page: why a failed message failed (Vigil's reason, or how
 * its last attempt went: the status and what the endpoint answered, or the connection's error), and
 * how a retrying message's last try went and when the next is; where that attempt went, when the
 * message was changed since to another address or method. Nothing for any other message.
 */
export function MessageOutcome({
  message,
  last,
  omitted = 0,
}: {
  message: {
    status: MessageStatus;
    attempts: number;
    failureReason?: FailureReason;
    nextAttemptAt?: string;
  };
  /** Its latest attempt, if it made one. */
  last?: Attempt;
  /** Its earliest attempts no longer kept (the attempt list's `omitted`): not listed below. */
  omitted?: number;
}) {
  const { status, failureReason } = message;
  if (status !== 'failed' && status !== 'retrying') return null;
  const failed = status === 'failed';
  const reason = failureReason ? failureReasonText(failureReason) : undefined;
  const headline = reason
    ? reason.title
    : !last
      ? 'Not delivered: no attempt was made'
      : failed
        ? last.statusCode === undefined
          ? `Not delivered: ${attemptOutcome(last)} on its last attempt`
          : `Not delivered: the endpoint answered ${attemptOutcome(last)}`
        : `The last attempt failed: ${attemptOutcome(last)}`;
  const answer = last?.responseSnippet ? quotedAnswer(last.responseSnippet) : undefined;
  // An attempt sent before a change of the message's address or method failed elsewhere than its target now.
  const sentTo = last && attemptRequestText(last)?.sentTo;
  const tries = `${message.attempts} ${message.attempts === 1 ? 'attempt' : 'attempts'}`;
  return (
    <Callout.Root color={failed ? 'red' : 'amber'} highContrast={!failed} role="alert" data-testid="message-outcome">
      <Callout.Icon>
        <ExclamationTriangleIcon />
      </Callout.Icon>
      <Flex direction="column" gap="1">
        <Callout.Text weight="bold">{headline}.</Callout.Text>
        {reason && (
          <Callout.Text>
            {reason.detail}
            {last && ` Its last attempt: ${attemptOutcome(last)}.`}
          </Callout.Text>
        )}
        {sentTo && (
          <Callout.Text size="2" data-testid="message-outcome-sent-to">
            It was sent to <span className="vigil-mono-text">{sentTo}</span>, before the message was changed: its target
            below is where it goes now.
          </Callout.Text>
        )}
        {answer && (
          <Callout.Text size="2">
            It answered: <span className="vigil-mono-text">{answer}</span>
          </Callout.Text>
        )}
        {last?.error && last.statusCode === undefined && (
          <Callout.Text size="2" className="vigil-mono-text">
            {last.error}
          </Callout.Text>
        )}
        <Callout.Text size="2">
          {failed ? (
            <>{tries} made. Nothing more is sent unless you redeliver it (once the endpoint works again).</>
          ) : (
            <>
              {tries} made so far;{' '}
              {message.nextAttemptAt ? (
                <>
                  the next is <Timestamp iso={message.nextAttemptAt} once="due now" />.
                </>
              ) : (
                'the next is on its way.'
              )}
            </>
          )}{' '}
          {omitted > 0
            ? `The latest ${message.attempts - omitted} are listed below; the earlier ones are no longer kept.`
            : 'Every attempt is listed below.'}
        </Callout.Text>
      </Flex>
    </Callout.Root>
  );
}
