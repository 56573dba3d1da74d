/**
 * How a delivery attempt ended, in a few words for people: `HTTP 503`, `connection refused`,
 * `timed out after 10s`. Read from the attempt's `errorKind` (data, the same words whatever the
 * sender's error text); an attempt recorded before the API kept `errorKind` shows its `error` text
 * as it is.
 */
import type { Attempt } from './types.ts';

export type AttemptErrorKind = NonNullable<Attempt['errorKind']>;

/** Each kind but `other` (whose words are the attempt's own `error`) in a few words. */
export const ERROR_KIND_WORDS: Readonly<Record<Exclude<AttemptErrorKind, 'other'>, string>> = {
  timeout: 'timed out',
  'connection-refused': 'connection refused',
  'connection-reset': 'connection reset',
  dns: 'host not found',
  unreachable: 'host unreachable',
  tls: 'secure connection (TLS) failed',
  redirect: 'redirected (Vigil does not follow redirects)',
  'blocked-target': 'address refused by Vigil',
  'invalid-request': 'request could not be sent',
  'invalid-response': 'answer was not valid HTTP',
};

/**
 * A `dns` failure whose name servers did not answer in time (`ETIMEOUT`) or answered with a failure
 * (`ESERVFAIL`, `EREFUSED`...), or getaddrinfo's temporary failure (`EAI_AGAIN`, on attempts made
 * before Vigil asked the name servers itself): the host may well exist, and the retry may find it,
 * so it is not "host not found". Read from the code the error text ends with (`DNS lookup of x: no
 * answer within the 1500 ms timeout (ETIMEOUT)`, `getaddrinfo EAI_AGAIN x`).
 */
const DNS_WORDS: Array<[RegExp, string]> = [
  [/\bETIMEOUT\b/, 'the name server did not answer'],
  [/\bEAI_AGAIN\b/, 'temporary name server failure'],
  [/\b(ESERVFAIL|EREFUSED|ECONNREFUSED|EBADRESP|EAI_FAIL)\b/, 'the name server failed'],
];

/**
 * What went wrong after an answer's status arrived: the rest of it timed out, was cut, or was not
 * HTTP. A 2xx status delivers all the same (the receiver said it took the webhook), which the words
 * say (`HTTP 200, delivered; then the answer timed out`); another status failed as its status says,
 * the rest of the answer lost.
 */
const AFTER_STATUS: Partial<Record<AttemptErrorKind, string>> = {
  timeout: 'then the answer timed out',
  'connection-reset': 'then the connection was reset',
  'invalid-response': 'then the answer was not valid HTTP',
};

/** The outcome of `attempt`; `formatDuration` writes a timeout's wait (`10s`, `10 s`: the caller's style). */
export const attemptOutcome = (
  attempt: Pick<Attempt, 'statusCode' | 'error' | 'errorKind'> & { durationMs?: number },
  formatDuration: (ms: number) => string,
): string => {
  const { statusCode, errorKind, error } = attempt;
  if (statusCode !== undefined) {
    if (errorKind === 'redirect') return `HTTP ${statusCode}, not followed`;
    const after = errorKind === undefined ? undefined : AFTER_STATUS[errorKind];
    if (!after) return `HTTP ${statusCode}`;
    return statusCode >= 200 && statusCode < 300
      ? `HTTP ${statusCode}, delivered; ${after}`
      : `HTTP ${statusCode}, ${after}`;
  }
  if (errorKind === 'timeout' && attempt.durationMs !== undefined) {
    return `timed out after ${formatDuration(attempt.durationMs)}`;
  }
  if (errorKind === 'dns' && error !== undefined) {
    const words = DNS_WORDS.find(([code]) => code.test(error));
    if (words) return words[1];
  }
  if (errorKind !== undefined && errorKind !== 'other') return ERROR_KIND_WORDS[errorKind];
  return error ?? 'no response';
};
