/**
 * A problem between the console and Vigil as a person reads it: what is wrong, what still works,
 * what to do. The API's own words are for programs ("try again after Retry-After", "a create
 * repeated with its Idempotency-Key…"): they name headers a person never sees. A problem that is
 * about the request itself (a field, a conflict, something not found) keeps the API's detail,
 * which already says what is wrong with it.
 */
import { PROBLEMS } from '@vigil/core/problems';
import { FILTERS_REFUSED } from './message-search';
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

/**
 * The month's message quota used up, in the same words wherever the console tells it (a refused
 * action, a stopped bulk job, the overview's and settings' notice): what was not done, what still
 * goes, and what to do about it this month (when it renews is said beside, in the viewer's zone:
 * RenewsAt).
 */
export const QUOTA_USED_UP = {
  nothingSent: 'Nothing was sent: your account has scheduled as many messages this month as its plan allows.',
  /** A bulk redeliver stopped at the quota: some may have gone before it. */
  bulkStopped:
    "This month's message quota is used up, so the rest were not redelivered: your account has scheduled as many messages this month as its plan allows.",
  stillGoes:
    'New messages and redeliveries are refused until the quota renews; the messages you scheduled before are still delivered.',
  more: 'To send more this month, ask whoever runs Vigil for your team to move your account to a larger plan.',
} as const;

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
    // The API's detail is for programs ("quota of 10000 … it renews on the 1st (UTC)", which the page
    // says again beside, in the viewer's zone): told in our words, unless it says how many are left (a
    // request for more than is), which a person needs (libs/core usage.ts QuotaExceededError.monthly's
    // words: problem-words.test reads them from there).
    if (problem.detail.startsWith('This request makes ')) {
      return {
        title: "Not enough of this month's message quota is left",
        detail: `${problem.detail} ${QUOTA_USED_UP.more}`,
        retry: false,
      };
    }
    return {
      title: "This month's message quota is used up",
      detail: `${QUOTA_USED_UP.nothingSent} ${QUOTA_USED_UP.stillGoes} ${QUOTA_USED_UP.more}`,
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
  // The local gateway's 408: the request itself came in too slowly, so Vigil did nothing with it.
  if (problem.status === 408) {
    return {
      title: 'The request did not reach Vigil in time',
      detail: `${notDone}: the connection to Vigil was too slow, so Vigil did nothing with it. Try again in a moment.`,
      retry: true,
    };
  }
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
  return refusalWords(problem, slug, place, notDone, reference);
};

/** After a refusal that what the page shows may be behind: look before doing it again. */
const RELOAD = 'Reload the page to see where things stand now.';

/** `detail` as the end of a sentence of ours: with its full stop, or nothing. */
const said = (detail: string | undefined): string => {
  const text = detail?.trim();
  if (!text) return '';
  return /[.!?]$/.test(text) ? ` ${text}` : ` ${text}.`;
};

/**
 * A refusal of the request itself (a 4xx other than a limit of the plan), in the console's words:
 * what happened and what to do. The API's title is for programs ("Forbidden", "Not found"); its
 * detail, where it says what is wrong with this request (a message that is delivered, a field), is
 * kept, and where it names what a person never sees (an Idempotency-Key) it is said another way.
 */
const refusalWords = (
  problem: Problem,
  slug: string,
  place: ProblemPlace,
  notDone: string,
  reference: string,
): ProblemWords => {
  const refused = place === 'page' ? notDone : 'This was not done';
  const words = (title: string, detail: string, retry = false): ProblemWords => ({ title, detail, retry });
  // Their own words already say what to do: too many bulk jobs, a list's filters (filtersRefused).
  if (slug === 'too-many-jobs' || slug === FILTERS_REFUSED) return words(problem.title, problem.detail);
  // A 403 comes from the gateway, not from an expired session (a 401, which signs in again).
  if (slug === 'forbidden' || problem.status === 403) {
    return words(
      'Vigil refused this account',
      `${refused}: Vigil does not let your account make this request (its access is not set up, or was taken ` +
        'away). Signing in again will not change that: ask whoever runs Vigil for your team to check your account.' +
        reference,
    );
  }
  // A path, method or body the API does not take: the console sent what the API does not know.
  if (slug === 'no-such-route' || slug === 'method-not-allowed' || slug === 'unsupported-media-type') {
    return words(
      'The console and the Vigil API do not match',
      `${refused}: the API the console calls does not take this request. The console may be set up with the wrong API ` +
        `address, or be newer than the API.${reference}`,
    );
  }
  if (slug === 'not-found' || problem.status === 404) {
    return words(
      'It is not there any more',
      `${refused}:${said(problem.detail) || ' Vigil has no such thing.'} It may have been removed since this page ` +
        `was loaded. ${RELOAD}`,
    );
  }
  if (slug === 'idempotency-key-in-use') {
    return words(
      'This is already being done',
      `${refused} again: an earlier click of the same button is still under way. Wait a few seconds, then reload ` +
        'the page to see whether it was done.',
      true,
    );
  }
  if (slug === 'idempotency-key-reused') {
    return words(
      'This was not done',
      'The console sent it as a repeat of an earlier, different request, so Vigil did nothing. Close this, reload ' +
        'the page and do it again.',
    );
  }
  if (slug === 'state-conflict' && problem.detail === PROBLEMS.idempotentResultsRemoved.detail) {
    return words(
      'Done before, and removed since',
      `An earlier click did this, and what it made has been removed since, so nothing was made again. ${RELOAD}`,
    );
  }
  if (slug === 'key-limit') {
    return words(
      'Your account has as many API keys as it may',
      `${refused}: revoke a key nobody uses any more, then create this one.`,
    );
  }
  if (slug === 'endpoint-limit') {
    return words(
      'Your account has as many notification endpoints as it may',
      `${refused}: remove one you no longer need, then add this one.`,
    );
  }
  if (slug === 'endpoint-exists') {
    return words(
      'This URL has an endpoint already',
      `${refused}: the endpoint for this URL is listed on this page; change its events there, or remove it first.`,
    );
  }
  if (slug === 'rotation-limit') {
    return words(
      'The signing secret cannot be rotated again yet',
      `${refused}: as many signing secrets as may are still in their overlap. Rotate again once the oldest has ended.`,
    );
  }
  if (slug === 'state-conflict' || problem.status === 409) {
    return words(
      'It has changed since this page was loaded',
      `${refused}:${said(problem.detail) || ' it is no longer in a state that allows it.'} ${RELOAD}`,
    );
  }
  if (slug === 'payload-too-large' || problem.status === 413) {
    return words(
      'It is too large for Vigil',
      `${refused}:${said(problem.detail) || ' what was sent is larger than Vigil accepts.'} Make it smaller, then try again.`,
    );
  }
  // The request line and headers over what Vigil reads (the local gateway's 431): a long search, say.
  if (slug === 'request-head-too-large' || problem.status === 431) {
    return words(
      'It is too long for Vigil',
      `${refused}: what the console sent, a search's filters say, is longer than Vigil reads. Shorten it, then try again.`,
    );
  }
  if (problem.errors?.length || slug === 'validation-failed' || problem.status === 422 || problem.status === 400) {
    const fields = problem.errors?.length
      ? ` ${problem.errors.map((e) => `${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ')}.`
      : said(problem.detail);
    return words(
      'Vigil refused it as it is',
      `${refused}, and nothing was changed:${fields} Change it, then try again.`,
    );
  }
  // Another 4xx: none the API or its gateway answers (problem-words.test holds every one of PROBLEMS
  // to its own words); one a proxy before it answered is told with what it said, after ours.
  return words('Vigil refused this', `${refused}:${said(problem.detail) || said(problem.title)} ${RELOAD}${reference}`);
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

/**
 * The wait before a page's next read of itself, after `reads` reads refused again since the first
 * problem: `firstS` (readAgainAfterS), doubled at each, up to a minute.
 */
export const readAgainWaitS = (firstS: number, reads: number): number =>
  Math.min(READ_AGAIN_MAX_S, firstS * 2 ** Math.min(reads, 16));
