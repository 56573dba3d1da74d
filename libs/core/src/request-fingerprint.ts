/**
 * The fingerprint of a request, stored with its Idempotency-Key: a reused key is honoured only for
 * the same request. "The same" is decided on the parsed request (defaults filled in, object keys
 * in any order), so a client's retry matches even if it serialises its JSON differently.
 */
import { createHash } from 'node:crypto';
import { isExactNumber } from './exact-json';

/** JSON with object keys sorted at every level; arrays keep their order. */
export const canonicalJson = (value: unknown): string => {
  if (isExactNumber(value)) return value.toString();
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** `sha256:<hex>` of the route and the canonical parsed body. */
export const requestFingerprint = (route: string, parsedBody: unknown): string =>
  `sha256:${createHash('sha256').update(route).update('\n').update(canonicalJson(parsedBody)).digest('hex')}`;
