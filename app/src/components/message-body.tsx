'use client';

import { Badge, Flex, Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { bodyNote, curlWithBody, prettyBody } from '@/lib/format';
import type { BodyAnswer, BodyHolding, BodyShown, HeldBody } from '@/lib/message-body';
import {
  bodyNeedsRead,
  bodyRoutePath,
  bodyShown,
  HeldBodies,
  readBodyAnswer,
  unreachableBodyProblem,
} from '@/lib/message-body';
import { CollapsiblePre } from './collapsible-pre';
import { CopyButton } from './copy-button';
import { ProblemNotice } from './problem-notice';

/** The bodies this tab holds: read and written in the browser only (the server renders with the page's own text). */
const heldBodies = new HeldBodies();

interface MessageBodyState {
  shown: BodyShown;
  /** The indented view and the note under it, made once per text. */
  view?: { pretty: string; json: boolean; note: string };
  retry: () => void;
}

const MessageBodyContext = createContext<MessageBodyState | undefined>(undefined);

const useMessageBody = (): MessageBodyState => {
  const state = useContext(MessageBodyContext);
  if (state === undefined) throw new Error('A message body part is used outside MessageBody.');
  return state;
};

/**
 * The message's body for the parts of the page that show or copy it (message-body.ts): the text the
 * page's answer carries, or the one this tab holds for `digest`, or read once from the console's
 * body route; or no body. Around the page's Request card, whose curl button and body part read it.
 */
export function MessageBody({
  id,
  digest,
  text,
  children,
}: {
  id: string;
  /** The body's digest (none: the message has no body). */
  digest?: string;
  /** The body as sent, when the page's answer carries it (its first paint, a message not on its way). */
  text?: string;
  children: ReactNode;
}) {
  const [holding, setHolding] = useState<BodyHolding>(() =>
    text === undefined || digest === undefined ? {} : { body: { id, digest, text } },
  );
  // What this tab holds for the digest (never on the server, which has the page's text when it renders this).
  const cached =
    text !== undefined || digest === undefined || typeof window === 'undefined'
      ? undefined
      : heldBodies.get(id, digest);
  const page = { id, digest, ...(text !== undefined && { text }) };
  const current: HeldBody | undefined =
    digest === undefined ? undefined : text === undefined ? cached : { id, digest, text };

  // The body shown now is the one held: the next refresh's answer names it without carrying it, and
  // a changed body is read while this one stays shown (state adjusted while rendering, as React advises).
  if (current !== undefined && !(holding.body?.id === id && holding.body.digest === digest && !holding.failed)) {
    setHolding({ body: current });
  }
  // This tab holds it for a later read of the page (back to it after a navigation).
  useEffect(() => {
    if (current !== undefined) heldBodies.put(current);
    // `current` is made anew each render; what it holds is its id, digest and text.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, digest, text, cached]);

  const needsRead = bodyNeedsRead(page, holding, cached);
  useEffect(() => {
    if (!needsRead) return;
    const abort = new AbortController();
    const settle = (answer: BodyAnswer) => {
      if (abort.signal.aborted) return;
      if (answer.kind === 'body') {
        heldBodies.put(answer.body);
        setHolding({ body: answer.body, ...(digest !== undefined && { readFor: digest }) });
      } else {
        setHolding((was) => ({
          ...(was.body?.id === id && { body: was.body }),
          ...(digest !== undefined && { readFor: digest }),
          failed: answer,
        }));
      }
    };
    fetch(bodyRoutePath(id), { redirect: 'manual', cache: 'no-store', signal: abort.signal })
      .then((response) => readBodyAnswer(id, response))
      .then(settle, () => settle({ kind: 'problem', problem: unreachableBodyProblem() }));
    return () => abort.abort();
  }, [needsRead, id, digest]);

  const shown = bodyShown(page, holding, cached);
  const shownText = shown.kind === 'body' ? shown.text : undefined;
  const view = useMemo(() => {
    if (shownText === undefined) return undefined;
    const pretty = prettyBody(shownText);
    return { pretty: pretty.text, json: pretty.json, note: bodyNote(shownText, pretty.json) };
  }, [shownText]);
  const retry = useCallback(() => setHolding((was) => ({ ...(was.body && { body: was.body }) })), []);
  const reading = shown.kind === 'reading' || (shown.kind === 'body' && shown.reading);
  const problem = shown.kind === 'problem' ? shown.problem : undefined;
  const value = useMemo(
    () => ({ shown, view, retry }),
    // `shown` is made anew each render: what it says is its kind, text, whether it is being read and its problem.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [shown.kind, shownText, reading, problem, view, retry],
  );
  return <MessageBodyContext.Provider value={value}>{children}</MessageBodyContext.Provider>;
}

/** "Copy as curl": the command's head the server wrote (its secrets masked) with the body this tab holds. */
export function CopyCurlButton({ head }: { head: string }) {
  const { shown } = useMessageBody();
  if (shown.kind === 'body') return <CopyButton value={curlWithBody(head, shown.text)} label="Copy as curl" />;
  if (shown.kind === 'none') return <CopyButton value={head} label="Copy as curl" />;
  return <CopyButton value="" label="Copy as curl" disabled />;
}

/** The body as it is sent: indented for reading when it is JSON, "Copy body" exactly as sent, and its size. */
export function MessageBodyPart() {
  const { shown, view, retry } = useMessageBody();
  const reading = shown.kind === 'reading' || (shown.kind === 'body' && shown.reading);
  return (
    <>
      <Flex justify="between" align="center" gap="2">
        <Text size="2" weight="medium">
          Body {view?.json && <Badge color="gray">JSON</Badge>}
        </Text>
        {shown.kind === 'body' ? (
          <CopyButton value={shown.text} label="Copy body" />
        ) : (
          shown.kind === 'reading' && <CopyButton value="" label="Copy body" disabled />
        )}
      </Flex>
      {shown.kind === 'problem' && <ProblemNotice problem={shown.problem} onRetry={retry} />}
      {shown.kind === 'none' && (
        <Text size="2" color="gray">
          No body.
        </Text>
      )}
      {shown.kind === 'reading' && (
        <Text size="2" color="gray" aria-busy="true" data-testid="body-reading">
          Reading the body…
        </Text>
      )}
      {shown.kind === 'body' && view && (
        <>
          <CollapsiblePre text={view.pretty} testId="body" />
          <Text size="1" color="gray" data-testid="body-note" aria-busy={reading}>
            {reading && 'The body has changed since: reading it. '}
            {view.note}
          </Text>
        </>
      )}
    </>
  );
}
