/**
 * The top of a failed (or retrying) message's page: why, before anything else, in words a person
 * reads without opening the attempts.
 */
import { Theme } from '@radix-ui/themes';
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Attempt } from '@/lib/types';
import { MessageOutcome } from './message-outcome';

/** What a person reads of it (inside the app's Theme, which times' tooltips need). */
const text = (element: ReactElement) =>
  renderToStaticMarkup(createElement(Theme, null, element))
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

const attempt = (fields: Partial<Attempt>): Attempt =>
  ({ n: 3, startedAt: '2026-12-06T21:37:41.000Z', durationMs: 4, latenessMs: 1, ...fields }) as Attempt;

describe("a message's outcome, first on its page", () => {
  it('says a failed message was not delivered, with the status and what the endpoint answered', () => {
    const said = text(
      createElement(MessageOutcome, {
        message: { status: 'failed', attempts: 3 },
        last: attempt({ statusCode: 500, responseSnippet: 'internal error:\n  database down' }),
      }),
    );
    expect(said).toContain('Not delivered: the endpoint answered HTTP 500.');
    expect(said).toContain('It answered: internal error: database down');
    expect(said).toContain('3 attempts made. Nothing more is sent unless you redeliver it');
  });

  it('says every attempt is listed below only while every attempt is kept: of 100, the latest 50', () => {
    const last = attempt({ n: 100, errorKind: 'connection-refused', error: 'connect ECONNREFUSED 127.0.0.1:1' });
    const all = text(createElement(MessageOutcome, { message: { status: 'failed', attempts: 50 }, last }));
    const some = text(
      createElement(MessageOutcome, { message: { status: 'failed', attempts: 100 }, last, omitted: 50 }),
    );
    expect(all).toContain(
      '50 attempts made. Nothing more is sent unless you redeliver it (once the endpoint works again). Every attempt is listed below.',
    );
    expect(some).toContain(
      '100 attempts made. Nothing more is sent unless you redeliver it (once the endpoint works again). The latest 50 are listed below; the earlier ones are no longer kept.',
    );
    expect(some).not.toContain('Every attempt');
  });

  it("says how a connection failed when there was no answer, with the sender's error", () => {
    const said = text(
      createElement(MessageOutcome, {
        message: { status: 'failed', attempts: 1 },
        last: attempt({ errorKind: 'connection-refused', error: 'connect ECONNREFUSED 127.0.0.1:9799' }),
      }),
    );
    expect(said).toContain('Not delivered: connection refused on its last attempt.');
    expect(said).toContain('connect ECONNREFUSED 127.0.0.1:9799');
    expect(said).toContain('1 attempt made.');
  });

  it("says Vigil's own reason when it stopped on its own, and the last attempt beside it", () => {
    const said = text(
      createElement(MessageOutcome, {
        message: {
          status: 'failed',
          attempts: 0,
          failureReason: {
            code: 'poison',
            detail: 'Taken for delivery 5 times without an attempt being recorded; not sent again.',
          },
        },
      }),
    );
    expect(said).toMatch(/stopped trying\.Taken for delivery 5 times/);
  });

  it("says how a retrying message's last try went and when the next is", () => {
    const said = text(
      createElement(MessageOutcome, {
        message: { status: 'retrying', attempts: 4, nextAttemptAt: '2026-12-06T21:38:38.767Z' },
        last: attempt({ statusCode: 503, responseSnippet: 'down for maintenance' }),
      }),
    );
    expect(said).toContain('The last attempt failed: HTTP 503.');
    expect(said).toContain('4 attempts made so far; the next is');
  });

  it('says nothing for a message that was delivered or is still on its way', () => {
    for (const status of ['delivered', 'scheduled', 'cancelled'] as const) {
      expect(renderToStaticMarkup(createElement(MessageOutcome, { message: { status, attempts: 1 } }))).toBe('');
    }
  });

  it('quotes a long answer on one line, cut at 200 characters', () => {
    const said = text(
      createElement(MessageOutcome, {
        message: { status: 'failed', attempts: 1 },
        last: attempt({ statusCode: 500, responseSnippet: `<html>${'x'.repeat(900)}</html>` }),
      }),
    );
    expect(said).toMatch(/It answered: <html>x{193}…/);
  });
});
