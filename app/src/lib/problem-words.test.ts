/**
 * A problem between the console and Vigil, told to a person: what is wrong, what still works and
 * what to do, without the API's words for programs (Retry-After, Idempotency-Key).
 */
import { describe, expect, it } from 'vitest';
import { QuotaExceededError } from '@vigil/core';
import { methodNotAllowed, PROBLEMS, problemType } from '@vigil/core/problems';
import { problemWords } from './problem-words';

/** The API's 503 when a service it depends on was throttled or failing (functions/api/http.ts). */
const UNAVAILABLE = {
  type: 'https://vigil.dev/problems/unavailable',
  title: 'Service unavailable',
  status: 503,
  detail:
    'A service Vigil depends on was unavailable (throttled or failing); try again after Retry-After. A create repeated with its Idempotency-Key is never made twice.',
};

describe('a problem told in plain words', () => {
  it('says a 503 as Vigil having trouble, what still works and to wait and try again, without header names', () => {
    const words = problemWords(UNAVAILABLE, 'page');
    expect(words.title).toBe('Vigil is having trouble right now');
    expect(words.detail).toContain('This page could not be loaded');
    expect(words.detail).toContain('Nothing you scheduled is lost');
    expect(words.detail).toContain('Wait a few seconds, then try again.');
    expect(words.retry).toBe(true);
    expect(`${words.title} ${words.detail}`).not.toMatch(/Retry-After|Idempotency-Key|throttled|Service unavailable/);
  });

  it("says the gateway's own 503 (the credential could not be checked) the same way", () => {
    const words = problemWords({
      ...UNAVAILABLE,
      detail: 'The credential could not be checked just now; try again after Retry-After.',
    });
    expect(words.title).toBe('Vigil is having trouble right now');
    expect(words.detail).not.toContain('Retry-After');
  });

  it('says an action that met a 503 could not be done just now, and names the request id when there is one', () => {
    const words = problemWords({ ...UNAVAILABLE, requestId: 'req_123' }, 'action');
    expect(words.detail).toMatch(/^This could not be done just now/);
    expect(words.detail).toContain('request id req_123');
  });

  it("says a rate limit as the plan's rate reached, and to wait a few seconds when the API named no wait", () => {
    const words = problemWords({
      type: 'https://vigil.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: "The request rate is above the plan's limit; retry shortly.",
    });
    expect(words).toMatchObject({ title: "Your plan's request rate was reached", retry: true });
    expect(words.detail).toContain('more requests a second than its plan allows');
    expect(words.detail).toContain('Wait a few seconds, then try again.');
  });

  it('says when to try again a rate-limited request, from its Retry-After, and that an action was not done', () => {
    const limited = {
      type: 'https://vigil.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Your plan allows 10 requests per second (bursts of 20); retry after 3 s.',
      retryAfter: 3,
    };
    expect(problemWords(limited, 'page').detail).toMatch(
      /^This page could not be loaded: .* Try again in 3 seconds\.$/,
    );
    expect(problemWords(limited, 'action').detail).toMatch(
      /^This could not be done just now, and nothing was changed: .* Try again in 3 seconds\.$/,
    );
    expect(problemWords({ ...limited, retryAfter: 1 }).detail).toContain('Try again in 1 second.');
  });

  it('keeps the own words of a 429 for too many bulk jobs, which is no rate', () => {
    const jobs = {
      type: 'https://vigil.dev/problems/too-many-jobs',
      title: 'Too many bulk jobs running',
      status: 429,
      detail: '3 bulk jobs are running already, the most at once; start this one when one of them has ended.',
      retryAfter: 5,
    };
    expect(problemWords(jobs, 'action')).toEqual({ title: jobs.title, detail: jobs.detail, retry: false });
  });

  it('says a used-up monthly message quota as that, not as too many requests to wait out: that nothing was sent, what still goes, and how to send more', () => {
    const words = problemWords(
      {
        type: 'https://vigil.dev/problems/quota-exceeded',
        title: 'Monthly quota exceeded',
        status: 429,
        // The API's own words (libs/core usage.ts), so that the console keeps up with them.
        detail: QuotaExceededError.monthly(1000, 1000, 1, Date.UTC(2026, 11, 8)).message,
        renewsAt: '2027-01-01T00:00:00.000Z',
      },
      'action',
    );
    // Said once, in words (the API's "quota of 1000 … renews on the 1st (UTC)" is for programs; the
    // page says when it renews beside, in the viewer's zone).
    expect(words).toEqual({
      title: "This month's message quota is used up",
      detail:
        'Nothing was sent: your account has scheduled as many messages this month as its plan allows. New messages and redeliveries are refused until the quota renews; the messages you scheduled before are still delivered. To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan.',
      retry: false,
    });
  });

  it('keeps how many are left when a request asked for more messages than the month has left, not that the quota is used up', () => {
    // The API's own words (libs/core usage.ts), so that the console keeps up with them.
    const detail = QuotaExceededError.monthly(1000, 998, 5, Date.UTC(2026, 11, 8)).message;
    expect(detail).toMatch(/^This request makes 5 messages, and 2 of this month's quota of 1000 are left/);
    const words = problemWords(
      { type: 'https://vigil.dev/problems/quota-exceeded', title: 'Monthly quota exceeded', status: 429, detail },
      'action',
    );
    expect(words).toEqual({
      title: "Not enough of this month's message quota is left",
      detail: `${detail} To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan.`,
      retry: false,
    });
  });

  it("says API Gateway's used-up request quota as every request refused until the month renews, reads too", () => {
    const words = problemWords({
      type: 'https://vigil.dev/problems/quota-exceeded',
      title: 'Monthly quota exceeded',
      status: 429,
      detail: "This month's request quota of the plan is used up.",
    });
    expect(words.title).toBe("This month's request quota is used up");
    expect(words.detail).toMatch(
      /^This page could not be loaded: your account has made as many API requests this month/,
    );
    expect(words.detail).toContain('until the quota renews at the start of next month (UTC)');
    expect(words.detail).toContain('What you scheduled is still delivered, on time.');
    expect(words.retry).toBe(false);
  });

  it("says the gateway's timeout as no answer in time, and that an action may have been done", () => {
    const timeout = {
      type: 'https://vigil.dev/problems/timeout',
      title: 'Request timed out',
      status: 504,
      detail:
        'Vigil did not answer within 29 s and may have applied the request; repeat it (a create with the same Idempotency-Key returns the message it made).',
    };
    expect(problemWords(timeout, 'page').title).toBe('Vigil did not answer in time');
    expect(problemWords(timeout, 'action').detail).toContain('may have been done anyway: reload the page');
    expect(problemWords(timeout, 'action').detail).not.toContain('Idempotency-Key');
  });

  it("keeps the detail of a problem about the request itself, in the console's words, and offers no retry", () => {
    const conflict = {
      type: 'https://vigil.dev/problems/state-conflict',
      title: 'The request conflicts with the current state',
      status: 409,
      detail: 'Message msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M is delivered and can no longer be cancelled.',
    };
    expect(problemWords(conflict, 'action')).toEqual({
      title: 'It has changed since this page was loaded',
      detail:
        'This was not done: Message msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M is delivered and can no longer be cancelled. Reload the page to see where things stand now.',
      retry: false,
    });
  });
});

describe('every refusal an action can meet, in plain words', () => {
  const refusal = (status: number, slug: string, title: string, detail: string, more: object = {}) => ({
    type: `https://vigil.dev/problems/${slug}`,
    title,
    status,
    detail,
    ...more,
  });
  /** What the API (or its gateway, or a proxy before it) answers, and what a person must read in the dialog. */
  const cases = [
    [
      refusal(403, 'forbidden', 'Forbidden', 'This API key may not make this request.'),
      /Signing in again will not change that/,
    ],
    [refusal(404, 'not-found', 'Not found', 'No such message.'), /No such message\. It may have been removed since/],
    [
      refusal(
        404,
        'no-such-route',
        'No such route',
        'This method and path are not a Vigil API route (see the API reference, openapi.yaml).',
      ),
      /the wrong API address/,
    ],
    [
      refusal(
        409,
        'state-conflict',
        'The request conflicts with the current state',
        'Others changed what this request changes while it ran.',
      ),
      /Others changed .* Reload the page/,
    ],
    [
      refusal(
        409,
        'state-conflict',
        'The request conflicts with the current state',
        PROBLEMS.idempotentResultsRemoved.detail,
      ),
      /An earlier click did this, and what it made has been removed since/,
    ],
    [
      refusal(409, 'key-limit', 'Too many API keys', 'This tenant has as many API keys as it may.'),
      /revoke a key nobody uses/,
    ],
    [
      refusal(
        409,
        'idempotency-key-in-use',
        'A request with this Idempotency-Key is in progress',
        PROBLEMS.idempotencyKeyInUse.detail,
      ),
      /an earlier click of the same button is still under way/,
    ],
    // Neither the API nor its gateway answers a 410 or a 412 (a proxy before it might): what it said, after ours.
    [
      refusal(410, 'gone', 'Gone', 'It is gone.'),
      /^Vigil refused this\. This was not done: It is gone\. Reload the page/,
    ],
    [
      refusal(412, 'precondition-failed', 'Precondition Failed', 'It changed.'),
      /^Vigil refused this\. This was not done: It changed\. Reload the page/,
    ],
    [
      refusal(413, 'payload-too-large', 'The payload is too large', 'The request body is larger than 6 MiB.'),
      /larger than 6 MiB\. Make it smaller/,
    ],
    [
      refusal(422, 'validation-failed', 'The request is not valid', 'The request is not valid.', {
        errors: [{ path: 'sendAt', message: 'must be at most 365 days ahead' }],
      }),
      /nothing was changed: sendAt: must be at most 365 days ahead\. Change it, then try again\.$/,
    ],
    [
      refusal(
        422,
        'idempotency-key-reused',
        'The Idempotency-Key was used for a different request',
        PROBLEMS.idempotencyKeyReused.detail,
      ),
      /so Vigil did nothing/,
    ],
    [
      refusal(429, 'rate-limited', 'Too many requests', 'retry after 2 s.', { retryAfter: 2 }),
      /Try again in 2 seconds/,
    ],
    [
      refusal(503, 'unavailable', 'Service unavailable', PROBLEMS.dependencyUnavailable.detail),
      /Wait a few seconds, then try again/,
    ],
  ] as const;

  it.each(cases)(
    "says a %o as what happened and what to do, never in the API's title or its words for programs",
    (problem, says) => {
      const { title, detail } = problemWords(problem, 'action');
      expect(`${title}. ${detail}`).toMatch(says);
      expect(title).not.toBe(problem.title);
      expect(`${title}. ${detail}`).not.toMatch(
        /Idempotency-Key|Retry-After|^Forbidden|Not found\.|Precondition|Gone\./,
      );
      expect(detail).toMatch(
        /^(This was not done|This could not be done just now|An earlier click|The console sent it)/,
      );
    },
  );

  it('says a refusal on a page as the page not loaded', () => {
    expect(problemWords(refusal(403, 'forbidden', 'Forbidden', 'Not yours.'), 'page').detail).toMatch(
      /^This page could not be loaded: Vigil does not let your account make this request/,
    );
  });
});

describe('every problem the API and its gateway answer, in words of its own', () => {
  /** The catch-all's title: for a refusal no Vigil answer has (a proxy's), told with what it said. */
  const CATCH_ALL = 'Vigil refused this';
  // Every answer of the API, of API Gateway (infra/api.ts GATEWAY_PROBLEMS) and of the local gateway
  // takes its words from PROBLEMS, and a 405 from methodNotAllowed. A 401 never reaches these words:
  // the console signs in again (lib/api.ts).
  const answers = [
    ...Object.entries(PROBLEMS).filter(([name]) => name !== 'unauthorized'),
    ['methodNotAllowed', methodNotAllowed('PUT', 'GET, DELETE')],
  ] as const;

  it.each(answers)("says %s in words of its own, never the catch-all nor the API's title", (_, kind) => {
    const problem = { type: problemType(kind), title: kind.title, status: kind.status, detail: kind.detail };
    for (const place of ['page', 'action'] as const) {
      const { title, detail } = problemWords(problem, place);
      expect(title).not.toBe(CATCH_ALL);
      // Too many bulk jobs already says what to do in its own words (kept, as tested above).
      if (kind !== PROBLEMS.tooManyJobs) expect(title).not.toBe(kind.title);
      expect(`${title}. ${detail}`).not.toMatch(/Retry-After|Idempotency-Key|openapi\.yaml|KiB/);
    }
  });

  it("says the local gateway's 408 as a request that came in too slowly and did nothing, not as Vigil slow to answer", () => {
    const late = PROBLEMS.requestArrivalTimeout;
    const words = problemWords(
      { type: problemType(late), title: late.title, status: 408, detail: late.detail },
      'action',
    );
    expect(words).toEqual({
      title: 'The request did not reach Vigil in time',
      detail:
        'This could not be done just now: the connection to Vigil was too slow, so Vigil did nothing with it. Try again in a moment.',
      retry: true,
    });
  });
});
