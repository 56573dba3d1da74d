/**
 * The fingerprint of a request, stored with its Idempotency-Key: a reused key is honoured only for
 * the same request. "The same" is decided on the parsed request (defaults filled in, object keys
 * in any order), so a client's retry matches even if it serialises its JSON differently.
 */
import { createHash } from 'node:crypto';
import { isExactNumber } from './exact-json';

/**
 * JSON with object keys sorted at every level; arrays keep their order. The text is part of every
 * stored fingerprint, so it must stay exactly as it has been written (request-fingerprint.test.ts
 * holds the first writing as the reference).
 */
export const canonicalJson = (value: unknown): string => {
  if (isExactNumber(value)) return value.toString();
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

/** `sha256:<hex>` of the route and the canonical parsed body. */
export const requestFingerprint = (route: string, parsedBody: unknown): string =>
  `sha256:${createHash('sha256').update(route).update('\n').update(canonicalJson(parsedBody)).digest('hex')}`;
