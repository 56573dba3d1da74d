/**
 * A problem between the console and Vigil as a person reads it: what is wrong, what still works,
 * what to do. The API's own words are for programs ("try again after Retry-After", "a create
 * repeated with its Idempotency-Key…"): they name headers a person never sees. A problem that is
 * about the request itself (a field, a conflict, something not found) keeps the API's detail,
 * which already says what is wrong with it.
 */
import { PROBLEMS } from '@vigil/core/problems';
import type { Problem } from './types';

export interface ProblemWords {
  title: string;
  detail: string;
  /** Whether trying again is the thing to do (Vigil was busy, failing or out of reach). */
  retry: boolean;
}

/** Where the problem is told: a page that could not be loaded, or an action (a dialog's button) that could not be done. */
export type ProblemPlace = 'page' | 'action';

/** What a person keeps while Vigil is unwell: what they scheduled is neither lost nor stopped. */
const STILL_WORKS =
  'Nothing you scheduled is lost: Vigil keeps your messages and delivers them, late if it must, as soon as it can.';

/** The last part of a problem's type (`https://vigil.dev/problems/unavailable`: `unavailable`). */
const slugOf = (type: string): string => type.split('/').pop() ?? type;

export const problemWords = (problem: Problem, place: ProblemPlace = 'page'): ProblemWords => {
  const slug = slugOf(problem.type);
  const notDone = place === 'page' ? 'This page could not be loaded' : 'This could not be done just now';
  const reference = problem.requestId
    ? ` If it keeps happening, tell support the request id ${problem.requestId}.`
    : '';
  if (slug === 'unavailable' || (problem.status === 503 && slug !== 'api-unreachable')) {
    return {
      title: 'Vigil is having trouble right now',
      detail: `${notDone}: a service Vigil runs on is busy or failing. ${STILL_WORKS} Wait a few seconds, then try again.${reference}`,
      retry: true,
    };
  }
  // The month's allowance, not the rate: waiting seconds does not help. When it renews is the
  // problem's `renewsAt`, which the page says in the viewer's zone (RenewsAt).
  if (slug === 'quota-exceeded') {
    // API Gateway's request quota (deployed stacks only) refuses every request, reads too.
    if (problem.detail === PROBLEMS.requestQuotaExceeded.detail) {
      return {
        title: "This month's request quota is used up",
        detail:
          `${notDone}: your account has made as many API requests this month as its plan allows (every request counts: ` +
          'the console’s pages and your own API calls, reads too), so Vigil refuses them until the quota renews at the ' +
          'start of next month (UTC). What you scheduled is still delivered, on time.',
        retry: false,
      };
    }
    return {
      title: "This month's message quota is used up",
      detail:
        `${problem.detail} New messages and redeliveries are refused until it renews; the messages you scheduled ` +
        'before are still delivered.',
      retry: false,
    };
  }
  // Another 429 (`too-many-jobs`: as many bulk jobs running as may) says what to do in its own words.
  if (slug === 'rate-limited' || (problem.status === 429 && slug !== 'too-many-jobs')) {
    const wait =
      problem.retryAfter === undefined
        ? 'Wait a few seconds, then try again.'
        : `Try again in ${problem.retryAfter} second${problem.retryAfter === 1 ? '' : 's'}.`;
    return {
      title: "Your plan's request rate was reached",
      detail:
        `${notDone}${place === 'action' ? ', and nothing was changed' : ''}: your account is sending Vigil more ` +
        `requests a second than its plan allows (your own API calls count too). ${wait}`,
      retry: true,
    };
  }
  // The console's own words (lib/api.ts) already say it for a person: it may have been done, reload first.
  if (slug === 'api-timeout') return { title: problem.title, detail: problem.detail, retry: true };
  if (slug === 'timeout' || problem.status === 504) {
    return {
      title: 'Vigil did not answer in time',
      detail:
        place === 'page'
          ? `It may be busy. ${STILL_WORKS} Try again in a moment.`
          : 'It may be busy, and what you asked may have been done anyway: reload the page to see where things stand before you try again.',
      retry: true,
    };
  }
  if (slug === 'api-unreachable') {
    return {
      title: 'Vigil cannot be reached',
      detail: `${problem.detail} If it is only restarting, what you scheduled is kept and sent once it is back. Try again in a moment.`,
      retry: true,
    };
  }
  if (problem.status >= 500) {
    return {
      title: 'Something went wrong inside Vigil',
      detail: `${notDone}. Try again in a moment.${reference}`,
      retry: true,
    };
  }
  return { title: problem.title, detail: problem.detail, retry: false };
};

/** The longest a page that reads itself waits before reading itself again after a problem. */
export const READ_AGAIN_MAX_S = 60;
/** Its wait when the problem says none (a 503, no answer in time, the API out of reach). */
export const READ_AGAIN_DEFAULT_S = 5;

/**
 * After a problem trying again mends, how many seconds a page that reads itself while things move
 * (a message on its way) waits before it reads itself again: what `Retry-After` asked, from 1 s up
 * to a minute, else 5 s. Undefined where trying again would not mend it (the month's quota, a 403).
 */
export const readAgainAfterS = (problem: Problem): number | undefined => {
  if (!problemWords(problem).retry) return undefined;
  if (problem.retryAfter === undefined) return READ_AGAIN_DEFAULT_S;
  return Math.min(READ_AGAIN_MAX_S, Math.max(1, Math.ceil(problem.retryAfter)));
};
