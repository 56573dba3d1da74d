/**
 * The fingerprint of a request, stored with its Idempotency-Key: a reused key is honoured only for
 * the same request. "The same" is decided on the parsed request (defaults filled in, object keys
 * in any order), so a client's retry matches even if it serialises its JSON differently; but a
 * message body is sent as its text (json-text.ts), so a body is the same only as that text: a
 * body's names in another order are another body, sent otherwise. Whitespace between its tokens
 * is not part of it (nor of what is sent).
 *
 * A request holding such a body has a fingerprint of its own kind (`sha256-sent:`); until 2026-12
 * bodies were read, and their fingerprints (`sha256:`) made over their values in canonical order.
 * A key bound by a request before then (kept 24 h) still matches its repeat after: the repeat
 * compares its former fingerprint (formerRequestFingerprint) with one of that kind.
 */
import { createHash } from 'node:crypto';
import { isExactNumber, parseExactJson } from './exact-json';
import { isJsonText } from './json-text';

/**
 * JSON with object keys sorted at every level; arrays keep their order. The text is part of every
 * stored fingerprint, so it must stay exactly as it has been written (request-fingerprint.test.ts
 * holds the first writing as the reference).
 */
export const canonicalJson = (value: unknown): string => {
  if (isExactNumber(value)) return value.toString();
  if (isJsonText(value)) return value.text;
  if (Array.isArray(value)) {
    const items = new Array<string>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = canonicalJson(value[i] ?? null);
    return `[${items.join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    // The default sort compares UTF-16 code units, as `<` does.
    const names = Object.keys(fields).sort();
    const members: string[] = [];
    for (const name of names) {
      const field = fields[name];
      if (field !== undefined) members.push(`${JSON.stringify(name)}:${canonicalJson(field)}`);
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

const sha256 = (route: string, canonical: string): string =>
  createHash('sha256').update(route).update('\n').update(canonical).digest('hex');

/** The kind of fingerprint made before message bodies were kept as text, and still of every request without one. */
const FORMER_KIND = 'sha256:';
/** The kind of fingerprint of a request holding a body kept as its text. */
const SENT_BODIES_KIND = 'sha256-sent:';

/** True when a JsonText is in `value` (a parsed request: its bodies are where a JsonText stops the walk). */
const holdsJsonText = (value: unknown): boolean => {
  if (isJsonText(value)) return true;
  if (value === null || typeof value !== 'object' || isExactNumber(value)) return false;
  return Object.values(value).some(holdsJsonText);
};

/**
 * `sha256:<hex>` of the route and the canonical parsed body; `sha256-sent:<hex>` when it holds a
 * body kept as its text (json-text.ts), the text written as it is.
 */
export const requestFingerprint = (route: string, parsedBody: unknown): string =>
  `${holdsJsonText(parsedBody) ? SENT_BODIES_KIND : FORMER_KIND}${sha256(route, canonicalJson(parsedBody))}`;

/** `value` with each JsonText read into values, as requests were read before 2026-12. */
const withBodiesRead = (value: unknown): unknown => {
  if (isJsonText(value)) return parseExactJson(value.text);
  if (value === null || typeof value !== 'object' || isExactNumber(value)) return value;
  if (Array.isArray(value)) return value.map(withBodiesRead);
  return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, withBodiesRead(field)]));
};

/** The fingerprint the request had before 2026-12: its bodies read, and written in canonical order. */
export const formerRequestFingerprint = (route: string, parsedBody: unknown): string =>
  `${FORMER_KIND}${sha256(route, canonicalJson(withBodiesRead(parsedBody)))}`;

/** A request's fingerprint, and whether a key's stored fingerprint is this request's. */
export interface FingerprintedRequest {
  fingerprint: string;
  matches: (stored: string) => boolean;
}

/**
 * The request's fingerprint (requestFingerprint); a stored one matches when it is the same, or, for
 * a request holding a body kept as its text, when it is the former kind made by the same request
 * before 2026-12 (computed only then: it reads the bodies).
 */
export const fingerprintRequest = (route: string, parsedBody: unknown): FingerprintedRequest => {
  const fingerprint = requestFingerprint(route, parsedBody);
  const former = fingerprint.startsWith(SENT_BODIES_KIND);
  return {
    fingerprint,
    matches: (stored) =>
      stored === fingerprint ||
      (former && stored.startsWith(FORMER_KIND) && stored === formerRequestFingerprint(route, parsedBody)),
  };
};
