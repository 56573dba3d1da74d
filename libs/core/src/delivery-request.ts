/**
 * The HTTP request a delivery sends: the message's own headers plus Vigil's and Standard Webhooks'.
 * The same function builds it for the send and derives it again for the tenant to read afterwards,
 * from the message and the few facts each attempt keeps (`SentFacts`), so a record need not hold a
 * copy of up to 16 KiB of headers per attempt; a digest stored with the attempt tells whether the
 * message still derives exactly what was sent.
 */
import { createHash } from 'node:crypto';
import type { Attempt, Message, SentFacts } from './message';
import type { OutboundRequest } from './ports';
import { signatureHeader } from './signing';

const CONTENT_TYPES = {
  json: 'application/json',
  text: 'text/plain; charset=utf-8',
  none: undefined,
} as const;

/** What one attempt's headers depend on besides the message. */
interface AttemptHeaderFacts {
  attempt: number;
  timestamp: number;
  userAgent: string;
  signature: string;
}

/** Whether `headers` name `lowerCaseName`, in any case. */
const hasHeader = (headers: Record<string, string>, lowerCaseName: string): boolean =>
  Object.keys(headers).some((name) => name.toLowerCase() === lowerCaseName);

/** What a delivery sends as its body: the stored text, and the content type it goes with. */
export interface BodyAsSent {
  /** The body's text, sent as its UTF-8 bytes: a JSON body compact, as written; a text body as given. */
  text: string;
  /** The message's own `content-type` header if it sets one, else `application/json` or `text/plain; charset=utf-8`. */
  contentType: string;
}

/** The body a delivery of the message sends, with its content type; undefined for a message without one. */
export const bodyAsSent = (message: Pick<Message, 'body' | 'bodyKind' | 'headers'>): BodyAsSent | undefined => {
  const byDefault = CONTENT_TYPES[message.bodyKind];
  if (byDefault === undefined) return undefined;
  const own = Object.entries(message.headers).find(([name]) => name.toLowerCase() === 'content-type');
  return { text: message.body, contentType: own?.[1] ?? byDefault };
};

/** The headers of one attempt's request, in the order they are sent. */
const deliveryHeaders = (message: Message, facts: AttemptHeaderFacts): Record<string, string> => {
  const headers: Record<string, string> = { ...message.headers };
  const sent = bodyAsSent(message);
  if (sent && !hasHeader(headers, 'content-type')) headers['content-type'] = sent.contentType;
  // A message may not set it (message-limits.ts); set here, not by the sender, so it is derivable.
  if (message.body !== '') headers['content-length'] = String(Buffer.byteLength(message.body, 'utf8'));
  Object.assign(headers, {
    'user-agent': facts.userAgent,
    'webhook-id': message.id,
    'webhook-timestamp': String(facts.timestamp),
    'webhook-signature': facts.signature,
    'vigil-attempt': String(facts.attempt),
    'vigil-scheduled-at': new Date(message.sendAt).toISOString(),
  });
  return headers;
};

export const buildDeliveryRequest = (
  message: Message,
  secrets: readonly string[],
  attempt: number,
  timestampSeconds: number,
  userAgent: string,
): OutboundRequest => ({
  url: message.url,
  method: message.method,
  headers: deliveryHeaders(message, {
    attempt,
    timestamp: timestampSeconds,
    userAgent,
    signature: signatureHeader(secrets, message.id, timestampSeconds, message.body),
  }),
  body: message.body,
  timeoutMs: message.timeoutMs,
});

/** Characters of each signature kept when one is shown: enough to tell signatures apart, never to forge one. */
export const SIGNATURE_SHOWN_CHARS = 4;

/** `v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,3Jpw…` → `v1,K5oZ… v1,3Jpw…`. */
export const maskedSignature = (header: string): string =>
  header
    .split(' ')
    .map((signature) => {
      const comma = signature.indexOf(',');
      return `${signature.slice(0, comma + 1)}${signature.slice(comma + 1, comma + 1 + SIGNATURE_SHOWN_CHARS)}…`;
    })
    .join(' ');

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The digest kept with an attempt: method, URL, every header but the signature, and the body's digest. */
const requestDigest = (method: string, url: string, headers: Record<string, string>, bodyDigest: string): string => {
  const lines = [method, url];
  for (const [name, value] of Object.entries(headers))
    if (name !== 'webhook-signature') lines.push(`${name}: ${value}`);
  lines.push('', bodyDigest);
  return sha256(lines.join('\n')).slice(0, 16);
};

/** The facts an attempt keeps about the request it sent (see SentFacts). */
export const sentFactsOf = (request: OutboundRequest): SentFacts => ({
  timestamp: Number(request.headers['webhook-timestamp']),
  signature: maskedSignature(request.headers['webhook-signature'] ?? ''),
  userAgent: request.headers['user-agent'] ?? '',
  digest: requestDigest(request.method, request.url, request.headers, sha256(request.body)),
});

/**
 * The headers the HTTP sender's client (Node's, with keep-alive connections) adds to a request,
 * in its order: the receiver gets them too. A URL's user and password go as Basic authentication
 * unless the request carries an `authorization` of its own (Node's `auth`, decoded as it decodes
 * it), and a request without a body (POST, PUT and PATCH all) says `content-length: 0`.
 */
const httpClientHeaders = (url: string, headers: Record<string, string>): Record<string, string> => {
  const { host, username, password } = new URL(url);
  // A URL stored before undecodable escapes were refused at create: its user and password as written.
  const credentials = basicCredentialsOf(username, password) ?? `${username}:${password}`;
  return {
    host,
    ...((username !== '' || password !== '') &&
      !hasHeader(headers, 'authorization') && {
        authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      }),
    connection: 'keep-alive',
    ...(headers['content-length'] === undefined && { 'content-length': '0' }),
  };
};

/**
 * A URL's `user:password` as Node sends it for Basic authentication, percent-decoded; undefined
 * when an escape does not decode (Node then refuses the request, so the URL rule refuses the URL).
 */
export const basicCredentialsOf = (username: string, password: string): string | undefined => {
  try {
    return `${decodeURIComponent(username)}:${decodeURIComponent(password)}`;
  } catch {
    return undefined;
  }
};

/**
 * The headers each attempt sent, by attempt number, as the receiver got them (the signature
 * masked): derived from the message and the attempt's `sent` facts. An attempt is left out when it
 * kept no facts (recorded before Vigil kept them, or recorded by a failure write) or when the
 * message no longer derives what it sent (its URL, method, headers, body or send time changed since).
 */
export const sentHeadersByAttempt = (
  message: Message,
  attempts: readonly Attempt[],
): Map<number, Record<string, string>> => {
  const out = new Map<number, Record<string, string>>();
  let bodyDigest: string | undefined;
  for (const attempt of attempts) {
    const { sent } = attempt;
    if (sent === undefined) continue;
    const headers = deliveryHeaders(message, { attempt: attempt.n, ...sent });
    bodyDigest ??= sha256(message.body);
    if (requestDigest(message.method, message.url, headers, bodyDigest) !== sent.digest) continue;
    out.set(attempt.n, { ...headers, ...httpClientHeaders(message.url, headers) });
  }
  return out;
};
