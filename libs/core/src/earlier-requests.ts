/**
 * Where each attempt went, and with what, once the message has changed since: a PATCH of a
 * message's url, method, headers or body (a retrying one between its attempts, or one redelivered)
 * makes the attempts already sent differ from the message as it is now. The delivery path adds
 * nothing for this (every byte of the item is billed at every write of a delivery): the PATCH,
 * which is rare and writes the whole item anyway, stamps what the attempts made before it were
 * sent with that it replaces, once per change, not per attempt (`Message.earlierRequests`). An
 * attempt no stamp covers went to the message as it is.
 *
 * The URL is kept as its text (it is what a reader wants to see); the method as it is; the
 * headers and the body as digests (16 KiB and 256 KiB: what a reader needs is whether they
 * differ, and the digest tells it even after a change back). The list is bounded: an entry needs
 * an attempt made since the last entry that stamped the same part, and an entry about attempts the
 * log no longer keeps is dropped, so there are at most as many entries as kept attempts (50); and
 * within EARLIER_REQUESTS_BUDGET_BYTES, the oldest URLs giving way to their digests (the attempt
 * then says its URL differs, without it).
 */
import { createHash } from 'node:crypto';
import type { Attempt, EarlierRequest, HttpMethod, Message, RequestPart } from './message';
import { REQUEST_PARTS } from './message';

/**
 * The most the list may take, as JSON in UTF-8 (never less than DynamoDB counts for it). 50
 * entries without a URL's text take at most about 6 KiB; the rest is for URLs (up to 2,048
 * characters each, 6 KiB of UTF-8 at worst). With the largest message (256 KiB) and the fullest
 * attempt log (96 KiB) the item stays under DynamoDB's 400 KB.
 */
export const EARLIER_REQUESTS_BUDGET_BYTES = 12 * 1024;

const digest = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);

/** The message's request parts as an entry keeps them: the URL and method as they are, headers and body digested. */
const partsOf = (message: Pick<Message, 'url' | 'method' | 'headers' | 'body' | 'bodyKind'>) => ({
  url: message.url,
  method: message.method,
  headers: digest(JSON.stringify(Object.entries(message.headers))),
  body: digest(`${message.bodyKind}\n${message.body}`),
});

const stamps = (entry: EarlierRequest, part: RequestPart): boolean =>
  part === 'url' ? entry.url !== undefined || entry.urlDigest !== undefined : entry[part] !== undefined;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** The list within its budget: the oldest URLs' texts replaced by their digests until it fits. */
const bounded = (entries: EarlierRequest[]): EarlierRequest[] => {
  const out = [...entries];
  for (let i = 0; i < out.length && jsonBytes(out) > EARLIER_REQUESTS_BUDGET_BYTES; i += 1) {
    const { url, ...rest } = out[i] as EarlierRequest;
    if (url !== undefined) out[i] = { ...rest, urlDigest: digest(url) };
  }
  return out;
};

/**
 * `next` (the message as a change of `current` leaves it) with the attempts sent before the change
 * stamped with what the change replaced: each part the change makes differ, for the attempts no
 * earlier entry stamps it for. Entries about attempts no longer kept are dropped.
 */
export const withEarlierRequests = (current: Message, next: Message): Message => {
  const first = current.attempts[0]?.n;
  const last = current.attempts.at(-1)?.n;
  const entries = (current.earlierRequests ?? []).filter((entry) => first !== undefined && entry.upTo >= first);
  if (last !== undefined) {
    const before = partsOf(current);
    const after = partsOf(next);
    const stamp: Omit<EarlierRequest, 'upTo'> = {};
    for (const part of REQUEST_PARTS) {
      if (before[part] === after[part]) continue;
      const stampedUpTo = entries.findLast((entry) => stamps(entry, part))?.upTo ?? 0;
      if (stampedUpTo >= last) continue; // every attempt sent before carries this part's stamp already
      if (part === 'method') stamp.method = before.method;
      else stamp[part] = before[part];
    }
    if (Object.keys(stamp).length > 0) {
      const latest = entries.at(-1);
      if (latest?.upTo === last) entries[entries.length - 1] = { ...latest, ...stamp };
      else entries.push({ upTo: last, ...stamp });
    }
  }
  const { earlierRequests: _earlier, ...rest } = next;
  return entries.length === 0 ? rest : { ...rest, earlierRequests: bounded(entries) };
};

/** What an attempt's request was, as far as the message tells: see attemptRequests. */
export interface AttemptRequest {
  /** The URL it was sent to; undefined once only its digest is kept (it then differs or not by `differs`). */
  url?: string;
  method: HttpMethod;
  /** The parts of its request that differ from the message's as it is now, in REQUEST_PARTS order. */
  differs: RequestPart[];
}

/** Each attempt's request, by attempt number: the message's own parts, but where a change since stamped others. */
export const attemptRequests = (message: Message, attempts: readonly Attempt[]): Map<number, AttemptRequest> => {
  const out = new Map<number, AttemptRequest>();
  const entries = message.earlierRequests ?? [];
  const now = entries.length === 0 ? undefined : partsOf(message);
  for (const attempt of attempts) {
    let url: string | undefined = message.url;
    let method = message.method;
    const differs: RequestPart[] = [];
    for (const part of now === undefined ? [] : REQUEST_PARTS) {
      const entry = entries.find((e) => e.upTo >= attempt.n && stamps(e, part));
      if (entry === undefined || now === undefined) continue;
      if (part === 'url') {
        // Changed and changed back: the same URL, which the attempt then shows as the message's.
        const same = entry.url !== undefined ? entry.url === now.url : entry.urlDigest === digest(now.url);
        if (same) continue;
        url = entry.url;
      } else if (part === 'method') {
        if (entry.method === now.method) continue;
        method = entry.method ?? now.method;
      } else if (entry[part] === now[part]) continue;
      differs.push(part);
    }
    out.set(attempt.n, { ...(url !== undefined && { url }), method, differs });
  }
  return out;
};

/**
 * What a listing shows of where the latest attempt went (`Attempt.sentAs`), kept on the stored
 * summary of it by the write that stores the message: its request (attemptRequests) when a change
 * since makes it differ, else nothing, as a listing then tells it from the message's own url and
 * method. The attempt a delivery just recorded went as the message is: nothing is added to that
 * write.
 */
export const latestAttemptSentAs = (message: Message): AttemptRequest | undefined => {
  const last = message.attempts.at(-1);
  if (last === undefined || (message.earlierRequests ?? []).length === 0) return undefined;
  const request = attemptRequests(message, [last]).get(last.n);
  return request !== undefined && request.differs.length > 0 ? request : undefined;
};
