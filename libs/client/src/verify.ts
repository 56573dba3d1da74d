/**
 * `@vigil/client/verify`: checks that a request came from Vigil, for any receiver: a Fetch `Request`
 * (Next.js route handlers, Hono, Deno, Workers), Node's `IncomingMessage` (its unread body is read
 * here), or `{ headers, body }` with the raw body (Express with `express.raw()`).
 *
 * Deliveries are signed as Standard Webhooks: `webhook-signature` is `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` keyed by the `whsec_` secret, one signature per active secret during a
 * rotation. The signature is computed by the `standardwebhooks` package (its `Webhook#sign`: the
 * secret's decoding and the HMAC); its `verify` fixes the timestamp tolerance at 5 minutes, so the
 * tolerance is checked here, where it can be set, and the signatures compared in constant time.
 */
import { Webhook } from 'standardwebhooks';
import { readBytesAtMost } from './bytes-at-most.ts';
import { parseApiJson } from './exact-json.ts';

export type WebhookVerificationReason =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing. */
  | 'missing-headers'
  /** `webhook-timestamp` is not a number of seconds. */
  | 'invalid-timestamp'
  /** `webhook-timestamp` is further from now than the tolerance (an old request replayed, or a clock far off). */
  | 'stale-timestamp'
  /** No signature matches any of the secrets (a wrong secret, or a changed body or header). */
  | 'bad-signature'
  /** The body could not be read raw, or is declared JSON and is not. */
  | 'bad-body';

/** The one error verifyWebhook throws for a request it does not accept; answer it with 400 or 401. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
  }
}

/** A delivery that verified. */
export interface VerifiedWebhook<T = unknown> {
  /**
   * The body: parsed when it is JSON (`content-type: application/json`), else the text; undefined
   * when empty. Parsed as the client reads the API's answers: a number a double would not hold
   * (an int64 id) is a LosslessNumber, whose `toString()` gives its digits.
   */
  payload: T;
  /** The raw body as text, exactly as signed. */
  body: string;
  /** `webhook-id`: the message id, the same on every attempt (and on a redelivery you ask for); de-duplicate on it. */
  id: string;
  /** `vigil-attempt`: the attempt number, from 1 (undefined if the request has no such header). */
  attempt: number | undefined;
  /** `vigil-scheduled-at`: the instant the message was due (RFC 3339; the same on every attempt), when present. */
  scheduledAt: string | undefined;
  /** `webhook-timestamp`: when the attempt was signed and sent. */
  timestamp: Date;
}

export interface VerifyOptions {
  /** How far `webhook-timestamp` may be from now, either way, in seconds (default 300). */
  toleranceSeconds?: number | undefined;
  /** The current time in epoch milliseconds (default `Date.now()`). */
  now?: (() => number) | undefined;
}

type HeaderValue = string | readonly string[] | undefined;
type HeaderRecord = Record<string, HeaderValue>;
/** Anything with headers and the raw body, or a readable stream of it with headers (Node's IncomingMessage). */
export type WebhookRequest =
  | Request
  | { headers: Headers | HeaderRecord; body?: unknown }
  | (AsyncIterable<unknown> & { headers: HeaderRecord; body?: unknown });

const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

const isFetchRequest = (input: WebhookRequest): input is Request =>
  typeof (input as Request).text === 'function' && typeof (input as Request).headers?.get === 'function';

const headerGetter = (headers: Headers | HeaderRecord): ((name: string) => string | undefined) => {
  if (typeof (headers as Headers).get === 'function') return (name) => (headers as Headers).get(name) ?? undefined;
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers as HeaderRecord)) {
    if (value !== undefined) lower.set(name.toLowerCase(), typeof value === 'string' ? value : value.join(', '));
  }
  return (name) => lower.get(name);
};

/** UTF-8 with a leading byte order mark kept: it is part of the signed body. */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

const textOf = (chunk: unknown): string | undefined => {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return decoder.decode(chunk);
  if (chunk instanceof ArrayBuffer) return decoder.decode(new Uint8Array(chunk));
  return undefined;
};

/**
 * An empty object where the body would be: what Express 4's body parsers leave on a request they
 * skipped (`express.raw({ type: '*\/*' })` skips one with no `content-type`, as a delivery with no
 * body is), so the body is empty when the headers say so.
 */
const skippedEmptyBody = (given: unknown, header: (name: string) => string | undefined): boolean => {
  if (typeof given !== 'object' || given === null || Object.getPrototypeOf(given) !== Object.prototype) return false;
  if (Object.keys(given).length > 0) return false;
  const length = header('content-length');
  return length === '0' || (length === undefined && header('transfer-encoding') === undefined);
};

/**
 * The most of a request body verifyWebhook reads: 1 MiB, four times the 256 KiB a message holds (a
 * message stored before 2026-12 was written back by JSON.stringify, which can lengthen a number:
 * `1e21` as `1e+21`). The body is read before its signature can be checked, so anyone who can reach
 * the receiver could otherwise send one without end and have it held in memory.
 */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  new WebhookVerificationError(
    'bad-body',
    `The body is over ${MAX_WEBHOOK_BODY_BYTES / 1024 / 1024} MiB, more than Vigil sends (a message holds at most 256 KiB): not read further.`,
  );

/** The chunks' bytes, read until they end or pass MAX_WEBHOOK_BODY_BYTES (then a bad-body error). */
const readAtMost = async (next: () => Promise<IteratorResult<unknown>>, stop: () => unknown): Promise<string> => {
  const bytes = await readBytesAtMost(next, stop, MAX_WEBHOOK_BODY_BYTES);
  if (!bytes) throw tooLarge();
  return decoder.decode(bytes);
};

const rawBodyOf = async (input: WebhookRequest, header: (name: string) => string | undefined): Promise<string> => {
  if (Number(header('content-length') ?? 0) > MAX_WEBHOOK_BODY_BYTES) throw tooLarge();
  if (isFetchRequest(input)) {
    if (input.bodyUsed) {
      throw new WebhookVerificationError('bad-body', 'The request body was already read: verify before reading it.');
    }
    // Not `text()`, which drops a leading byte order mark the signature covers.
    if (typeof input.body?.getReader !== 'function') return decoder.decode(new Uint8Array(await input.arrayBuffer()));
    const reader = input.body.getReader();
    return readAtMost(
      () => reader.read(),
      () => reader.cancel(),
    );
  }
  const given = (input as { body?: unknown }).body;
  if (given !== undefined && given !== null) {
    const text = textOf(given);
    if (text !== undefined) return text;
    if (skippedEmptyBody(given, header)) return '';
    throw new WebhookVerificationError(
      'bad-body',
      'The body was already parsed: verify the raw body (express.raw({ type: "*/*" }) or the unread request).',
    );
  }
  if (Symbol.asyncIterator in input) {
    // Not a for-await: leaving it would destroy the request, and with it the receiver's answer (a 400).
    const iterator = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    return readAtMost(
      () => iterator.next(),
      () => undefined,
    );
  }
  return '';
};

/** Equal strings, in time that depends on their length only. */
const sameText = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
};

const payloadOf = (body: string, contentType: string | undefined): unknown => {
  if (body === '') return undefined;
  if (!contentType || !/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) return body;
  try {
    return parseApiJson(body);
  } catch {
    throw new WebhookVerificationError('bad-body', 'The body is declared JSON but does not parse.');
  }
};

/**
 * Verifies a delivery with the tenant's signing secret, or several (`[newSecret, oldSecret]` while
 * switching after a rotation: any one matching is enough). Resolves with the payload and Vigil's
 * headers; rejects with WebhookVerificationError (its `reason` says why) for a request that is not
 * Vigil's, and with a TypeError when a secret is not a `whsec_` secret (a configuration mistake).
 */
export const verifyWebhook = async <T = unknown>(
  request: WebhookRequest,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhook<T>> => {
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || !/^whsec_[A-Za-z0-9+/=]{4,}$/.test(s))) {
    throw new TypeError('verifyWebhook needs the signing secret (whsec_...) from GET /v1/signing-secret.');
  }
  const webhooks = secrets.map((s) => new Webhook(s));
  const header = headerGetter(request.headers as Headers | HeaderRecord);
  const id = header('webhook-id');
  const timestampText = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestampText || !signatures) {
    throw new WebhookVerificationError(
      'missing-headers',
      'The request lacks webhook-id, webhook-timestamp or webhook-signature.',
    );
  }
  if (!/^\d{1,12}$/.test(timestampText.trim())) {
    throw new WebhookVerificationError('invalid-timestamp', 'webhook-timestamp is not a number of seconds.');
  }
  const timestampSeconds = Number(timestampText.trim());
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowSeconds - timestampSeconds) > tolerance) {
    throw new WebhookVerificationError(
      'stale-timestamp',
      `webhook-timestamp is ${nowSeconds - timestampSeconds} s from now; at most ${tolerance} s is accepted.`,
    );
  }
  const body = await rawBodyOf(request, header);
  const timestamp = new Date(timestampSeconds * 1000);
  const given = signatures
    .split(' ')
    .map((versioned) => versioned.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => value!);
  const matches = webhooks.some((webhook) => {
    const expected = webhook.sign(id, timestamp, body).slice('v1,'.length);
    return given.some((value) => sameText(value, expected));
  });
  if (!matches) {
    throw new WebhookVerificationError('bad-signature', 'No signature matches the signing secret.');
  }
  const attempt = header('vigil-attempt');
  return {
    payload: payloadOf(body, header('content-type')) as T,
    body,
    id,
    attempt: attempt && /^\d+$/.test(attempt) ? Number(attempt) : undefined,
    scheduledAt: header('vigil-scheduled-at'),
    timestamp,
  };
};
