/**
 * The attempt log, bounded in bytes by construction so that a message item (at most 256 KiB of
 * input) plus its history always stays under DynamoDB's 400 KB item limit, however many attempts
 * and redeliver rounds it goes through. Every text an attempt carries is capped in UTF-8 bytes
 * after decoding (a KiB of invalid UTF-8 becomes three KiB of U+FFFD when decoded), and the log
 * keeps the latest attempts that fit both a count and a byte budget. Older ones are dropped;
 * attempts are numbered from 1 and never renumbered, so the count (the latest `n`) stays right
 * and the dropped ones are `attempts[0].n - 1`.
 */
import type { Attempt, FailureReason, Message } from './message';

/** The stored start of a response body, in UTF-8 bytes. */
export const SNIPPET_MAX_BYTES = 1024;
/** An attempt's error text, in UTF-8 bytes (Node's messages can quote a long host name). */
export const ATTEMPT_ERROR_MAX_BYTES = 512;
/** A failure reason's detail, in UTF-8 bytes. */
export const FAILURE_DETAIL_MAX_BYTES = 512;
/** The attempt log keeps at most this many entries... */
export const ATTEMPT_LOG_LIMIT = 50;
/**
 * ...and at most this many bytes of them, measured as JSON in UTF-8 (which is never less than
 * what DynamoDB counts for the same list of maps: JSON spends at least as much on names, quotes
 * and separators as DynamoDB's per-element overhead, and a number's digits at least its size).
 * 50 attempts with the largest snippet and error each take about 85 KiB, so the count binds first.
 */
export const ATTEMPT_LOG_BUDGET_BYTES = 96 * 1024;

/** `text` cut to at most `maxBytes` of UTF-8, at a character boundary (never a broken character). */
export const truncateUtf8 = (text: string, maxBytes: number): string => {
  // Fast paths, without allocating: every UTF-16 unit encodes to at most 3 bytes; then count them.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const encoded = Buffer.from(text, 'utf8');
  let cut = maxBytes;
  while (cut > 0 && ((encoded[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;
  return encoded.subarray(0, cut).toString('utf8');
};

/** The attempt with its texts capped in bytes (a sender may already have done it: this is the rule). */
export const boundAttempt = (attempt: Attempt): Attempt => ({
  ...attempt,
  ...(attempt.error !== undefined && { error: truncateUtf8(attempt.error, ATTEMPT_ERROR_MAX_BYTES) }),
  ...(attempt.responseSnippet !== undefined && {
    responseSnippet: truncateUtf8(attempt.responseSnippet, SNIPPET_MAX_BYTES),
  }),
});

export const boundFailureReason = (reason: FailureReason): FailureReason => ({
  code: reason.code,
  detail: truncateUtf8(reason.detail, FAILURE_DETAIL_MAX_BYTES),
});

/** The attempt without its response snippet: what listings and failure records carry. */
export const withoutSnippet = (attempt: Attempt): Attempt => {
  const { responseSnippet: _snippet, ...rest } = attempt;
  return rest;
};

/** An upper bound of what one attempt costs DynamoDB as an element of the attempts list. */
export const attemptBytes = (attempt: Attempt): number => Buffer.byteLength(JSON.stringify(attempt), 'utf8');

/** The log with `attempt` added: the latest entries within ATTEMPT_LOG_LIMIT and ATTEMPT_LOG_BUDGET_BYTES. */
export const appendAttempt = (message: Pick<Message, 'attempts'>, attempt: Attempt): Attempt[] => {
  const log = [...message.attempts, boundAttempt(attempt)];
  let first = Math.max(0, log.length - ATTEMPT_LOG_LIMIT);
  let bytes = 0;
  for (let i = log.length - 1; i >= first; i -= 1) {
    bytes += attemptBytes(log[i] as Attempt);
    if (bytes > ATTEMPT_LOG_BUDGET_BYTES) {
      first = Math.min(i + 1, log.length - 1); // the latest is always kept: it carries the count
      break;
    }
  }
  return log.slice(first);
};
