/**
 * The size and header rules every message obeys, checked before anything is written (create,
 * batch and PATCH), so that a stored message can always be sent and its record always written:
 *
 * - url + body (as sent, JSON serialised) + header names and values + metadata keys and values
 *   + labels:
 *   at most MAX_MESSAGE_BYTES UTF-8 bytes (413);
 * - at most MAX_HEADERS headers, together at most MAX_HEADER_BYTES (names + values, UTF-8);
 *   each name an HTTP token, each value one Node's HTTP client will send, no name twice, none
 *   reserved for Vigil or the HTTP stack (422, naming the header).
 *
 * Pure: the header-value rule is Node's `validateHeaderValue` (node:http) written out, checked
 * against it by message-limits.test.ts.
 */
import type { FieldError } from './errors';
import { PayloadTooLargeError, ValidationError } from './errors';
import { isExactNumber } from './exact-json';
import { isJsonText } from './json-text';
import type { Message } from './message';

/** url + body + headers + metadata of one message, in UTF-8 bytes: 256 KiB. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** The body alone may use the whole allowance (kept for callers that name the body's limit). */
export const MAX_BODY_BYTES = MAX_MESSAGE_BYTES;
/** Headers a message may carry. */
export const MAX_HEADERS = 50;
/** Header names and values of one message together, in UTF-8 bytes: 16 KiB. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The longest a message's request may take (MessageIn's `timeoutMs`). */
export const MESSAGE_TIMEOUT_MAX_MS = 30_000;
/** The shortest a message's request may be given (MessageIn's `timeoutMs`). */
export const MESSAGE_TIMEOUT_MIN_MS = 1_000;
/** A message's `timeoutMs` when it gives none. */
export const MESSAGE_TIMEOUT_DEFAULT_MS = 10_000;
/** The most attempts a round may make (MessageIn's `retry.maxAttempts`), the first included. */
export const MAX_ATTEMPTS_LIMIT = 20;
/** A message's `retry.maxAttempts` when it gives none. */
export const DEFAULT_MAX_ATTEMPTS = 8;
/** The longest URL a message, its callback or a notification endpoint may have, in characters. */
export const MAX_URL_LENGTH = 2048;
/** Metadata tags a message may carry. */
export const MAX_METADATA_TAGS = 10;
/** The longest a metadata tag's name may be, in characters (at least 1). */
export const METADATA_KEY_MAX_LENGTH = 64;
/** The longest a metadata tag's value may be, in characters. */
export const METADATA_VALUE_MAX_LENGTH = 256;

/** Set by Vigil on every delivery (Standard Webhooks and Vigil's own headers). */
const VIGIL_HEADER = /^(webhook-|vigil-)|^user-agent$/i;
/**
 * Owned by the HTTP stack: hop-by-hop headers (RFC 9110 7.6.1) and those that frame or route the
 * request. Sending them through would break the request or smuggle meaning past proxies.
 */
const TRANSPORT_HEADER =
  /^(proxy-)|^(connection|keep-alive|te|trailer|transfer-encoding|upgrade|expect|host|content-length)$/i;

/** RFC 9110 token characters: what Node's `validateHeaderName` accepts. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node's `validateHeaderValue` refuses: anything but tab, printable ASCII and \x80-\xff. */
const INVALID_HEADER_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export const isHttpToken = (name: string): boolean => HTTP_TOKEN.test(name);

/** True when Node's HTTP client would send this value (the rule of node:http `validateHeaderValue`). */
export const isValidHeaderValue = (value: string): boolean => !INVALID_HEADER_VALUE_CHAR.test(value);

/**
 * Why a header name may not be set by a message, or undefined when it may. An `_` counts as a `-`:
 * servers that read headers the CGI way (PHP, WSGI, Rack) turn both into `_`, so `webhook_id` would
 * reach them as the same `HTTP_WEBHOOK_ID` as Vigil's own `webhook-id`.
 */
export const reservedHeaderReason = (written: string): string | undefined => {
  const name = written.replace(/_/g, '-');
  if (VIGIL_HEADER.test(name)) return 'this header is set by Vigil and cannot be overridden';
  if (TRANSPORT_HEADER.test(name)) {
    return 'this is a hop-by-hop or transport header owned by the HTTP stack and cannot be set';
  }
  return undefined;
};

/** A UTF-16 surrogate without its pair: not a character, and refused by DynamoDB when stored. */
const LONE_SURROGATE = /\p{Cs}/u;

/** True when the text is well-formed Unicode (no lone surrogate), so it can be stored and sent. */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

export const NOT_WELL_FORMED =
  'must be well-formed Unicode (it holds an unpaired surrogate, e.g. from a \\ud800 escape)';

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * How deep a JSON body may nest arrays and objects (`[]` is one level). Deeper than any real
 * payload, and far from the call stack's end for every reader that recurses into the body:
 * `JSON.stringify` (which overflows near 4,000 levels), the request fingerprint, the console.
 */
export const MAX_BODY_NESTING = 100;

export const BODY_TOO_DEEP = `nests arrays and objects more than ${MAX_BODY_NESTING} levels deep`;

/**
 * True when `value` nests arrays and objects more than `max` levels deep; without recursion, so any
 * depth is safe to measure. A JsonText (a body as sent) was measured when it was read.
 */
export const nestsDeeperThan = (value: unknown, max: number): boolean => {
  if (isJsonText(value)) return value.depth > max;
  // Only arrays and objects are pushed (a body of a million numbers pushes none of them), with
  // their depth in a parallel stack.
  const isContainer = (node: unknown): node is object =>
    node !== null && typeof node === 'object' && !isExactNumber(node);
  if (!isContainer(value)) return false;
  const open: object[] = [value];
  const depths: number[] = [0];
  for (let node = open.pop(); node !== undefined; node = open.pop()) {
    const depth = depths.pop()!;
    if (depth === max) return true;
    for (const child of Object.values(node)) {
      if (!isContainer(child)) continue;
      open.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
};

const entryBytes = (record: Record<string, string>): number =>
  Object.entries(record).reduce((sum, [name, value]) => sum + utf8Bytes(name) + utf8Bytes(value), 0);

/** Header names plus values, in UTF-8 bytes. */
export const headerBytes = (headers: Record<string, string>): number => entryBytes(headers);

/** The parts of a message the size rule counts. */
export type MessageParts = Pick<Message, 'url' | 'body' | 'headers' | 'metadata' | 'labels'>;

/** url + body + header names and values + metadata keys and values + labels, in UTF-8 bytes. */
export const messageBytes = (m: MessageParts): number =>
  utf8Bytes(m.url) +
  utf8Bytes(m.body) +
  entryBytes(m.headers) +
  entryBytes(m.metadata) +
  (m.labels ?? []).reduce((sum, label) => sum + utf8Bytes(label), 0);

const describeChar = (value: string): string => {
  const index = value.search(INVALID_HEADER_VALUE_CHAR);
  const code = value.codePointAt(index) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${index}`;
};

/**
 * Everything wrong with a set of headers, each with the header it concerns (`name`) or none for
 * the set as a whole. Empty when the headers may be sent.
 */
export const tooManyHeaders = (count: number): string => `at most ${MAX_HEADERS} headers (got ${count})`;

export const headerProblems = (headers: Record<string, string>): Array<{ name?: string; message: string }> => {
  const count = Object.keys(headers).length;
  // Too many is the one problem told: each of half a million names is not looked at and listed.
  if (count > MAX_HEADERS) return [{ message: tooManyHeaders(count) }];
  const problems: Array<{ name?: string; message: string }> = [];
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!isHttpToken(name)) {
      problems.push({ name, message: "header names must be HTTP tokens (letters, digits and !#$%&'*+-.^_`|~)" });
      continue;
    }
    const reserved = reservedHeaderReason(name);
    if (reserved) problems.push({ name, message: reserved });
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) {
      problems.push({ name, message: `the same header as ${earlier} (header names are case-insensitive)` });
    }
    seen.set(name.toLowerCase(), name);
    if (typeof value !== 'string') continue;
    if (!isValidHeaderValue(value)) {
      problems.push({
        name,
        message: `has a character that cannot be sent in an HTTP header (${describeChar(value)}); allowed are tab, printable ASCII and \\x80-\\xff, with no line breaks`,
      });
    }
  }
  const bytes = headerBytes(headers);
  if (bytes > MAX_HEADER_BYTES) {
    problems.push({
      message: `the headers are ${bytes} bytes (names + values, UTF-8); the limit is ${MAX_HEADER_BYTES} bytes (16 KiB)`,
    });
  }
  return problems;
};

/** `headerProblems` as field errors under `prefix` (e.g. `messages.3.`). */
export const headerFieldErrors = (headers: Record<string, string>, prefix = ''): FieldError[] =>
  headerProblems(headers).map(({ name, message }) => ({
    path: name === undefined ? `${prefix}headers` : `${prefix}headers.${name}`,
    message,
  }));

/** The size error of a message over MAX_MESSAGE_BYTES, at `path` ('' for a single message). */
export const sizeError = (m: MessageParts, path: string): FieldError | undefined => {
  const bytes = messageBytes(m);
  if (bytes <= MAX_MESSAGE_BYTES) return undefined;
  return {
    path,
    message: `is ${bytes} bytes (url + body + headers + metadata + labels, UTF-8); the limit is ${MAX_MESSAGE_BYTES} bytes (256 KiB)`,
  };
};

/** The 413 for messages over the size limit, naming each one, its size and the limit. */
export const tooLargeError = (errors: FieldError[]): PayloadTooLargeError =>
  new PayloadTooLargeError(errors.map((e) => `${e.path === '' ? 'The message' : e.path} ${e.message}.`).join(' '), {
    errors,
  });

/**
 * Throws unless the message obeys every rule: 422 naming each bad header first, else 413 naming
 * the total and the limit. `prefix` locates the message in the request (`messages.3.`).
 */
export const assertMessageWithinLimits = (m: MessageParts, prefix = ''): void => {
  const headerErrors = headerFieldErrors(m.headers, prefix);
  if (headerErrors.length > 0) throw new ValidationError(headerErrors);
  const tooLarge = sizeError(m, prefix.replace(/\.$/, ''));
  if (tooLarge) throw tooLargeError([tooLarge]);
};
