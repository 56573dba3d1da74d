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
/** A response's headers kept with its attempt: at most this many... */
export const RESPONSE_HEADERS_MAX = 32;
/** ...and at most this many bytes, measured as JSON in UTF-8 (names lower-cased, values as received). */
export const RESPONSE_HEADERS_MAX_BYTES = 2048;
/**
 * Response headers whose values are credentials: a cookie the receiver sets (`set-cookie`, and the
 * obsolete `set-cookie2`) is a session of the receiver's, and an `authorization` echoed back is the
 * request's own credential. Their values are never stored: the attempt keeps the name, to show the
 * receiver sent one, with WITHHELD_HEADER_VALUE. A challenge (`www-authenticate`,
 * `proxy-authenticate`) is kept as it came: it names a scheme and a realm (a Digest nonce is the
 * receiver's one-time value, not a credential), which is what a 401 is debugged with.
 */
export const WITHHELD_RESPONSE_HEADERS: readonly string[] = [
  'set-cookie',
  'set-cookie2',
  'authorization',
  'proxy-authorization',
];
/** What a withheld response header's value is stored as. */
export const WITHHELD_HEADER_VALUE = '[withheld by Vigil]';

/** The attempt log keeps at most this many entries... */
export const ATTEMPT_LOG_LIMIT = 50;
/**
 * ...and at most this many bytes of them, measured as JSON in UTF-8 (which is never less than
 * what DynamoDB counts for the same list of maps: JSON spends at least as much on names, quotes
 * and separators as DynamoDB's per-element overhead, and a number's digits at least its size).
 * An attempt with the largest snippet, error and response headers takes about 3.9 KiB, so at
 * worst the budget binds first (about 24 such attempts are kept); 50 ordinary ones fit easily.
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

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * The response headers an attempt keeps: names lower-cased, the first ones (in the order given)
 * that fit RESPONSE_HEADERS_MAX and RESPONSE_HEADERS_MAX_BYTES; one that does not fit is left out
 * and counted in `omitted` (a later, smaller one may still fit). The values of
 * WITHHELD_RESPONSE_HEADERS are replaced by WITHHELD_HEADER_VALUE before anything else.
 */
export const boundResponseHeaders = (
  headers: Record<string, string>,
  alreadyOmitted = 0,
): { headers: Record<string, string>; omitted: number } => {
  const kept: Record<string, string> = {};
  let count = 0;
  let omitted = alreadyOmitted;
  let bytes = 2; // {}
  for (const [rawName, received] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    const value = WITHHELD_RESPONSE_HEADERS.includes(name) ? WITHHELD_HEADER_VALUE : received;
    // A name given twice, or `__proto__`, which a plain object cannot hold (it sets the prototype).
    // Own names only: `constructor` is in every object, and was counted as a repeat.
    if (name === '__proto__' || Object.hasOwn(kept, name)) {
      omitted += 1;
      continue;
    }
    // "name":"value", plus a comma after the first.
    const cost = jsonBytes(name) + jsonBytes(value) + 1 + (count > 0 ? 1 : 0);
    if (count >= RESPONSE_HEADERS_MAX || bytes + cost > RESPONSE_HEADERS_MAX_BYTES) {
      omitted += 1;
      continue;
    }
    kept[name] = value;
    bytes += cost;
    count += 1;
  }
  return { headers: kept, omitted };
};

/** The attempt with its texts and headers capped in bytes (a sender may already have done it: this is the rule). */
export const boundAttempt = (attempt: Attempt): Attempt => {
  const { responseHeaders: _headers, responseHeadersOmitted: _omitted, ...rest } = attempt;
  const response =
    attempt.responseHeaders === undefined
      ? undefined
      : boundResponseHeaders(attempt.responseHeaders, attempt.responseHeadersOmitted);
  return {
    ...rest,
    ...(attempt.error !== undefined && { error: truncateUtf8(attempt.error, ATTEMPT_ERROR_MAX_BYTES) }),
    ...(attempt.responseSnippet !== undefined && {
      responseSnippet: truncateUtf8(attempt.responseSnippet, SNIPPET_MAX_BYTES),
    }),
    ...(response && { responseHeaders: response.headers }),
    ...(response && response.omitted > 0 && { responseHeadersOmitted: response.omitted }),
  };
};

export const boundFailureReason = (reason: FailureReason): FailureReason => ({
  code: reason.code,
  detail: truncateUtf8(reason.detail, FAILURE_DETAIL_MAX_BYTES),
});

/**
 * The attempt without its response snippet, response headers and sent facts: what listings and
 * failure records carry (how it ended, in a few hundred bytes).
 */
export const attemptSummary = (attempt: Attempt): Attempt => {
  const {
    responseSnippet: _snippet,
    responseHeaders: _headers,
    responseHeadersOmitted: _omitted,
    sent: _sent,
    ...rest
  } = attempt;
  return rest;
};

/** An upper bound of what one attempt costs DynamoDB as an element of the attempts list. */
export const attemptBytes = (attempt: Attempt): number => jsonBytes(attempt);

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
