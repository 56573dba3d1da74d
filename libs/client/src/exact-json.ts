/**
 * The API's JSON with a message body's numbers as they were written. Vigil sends a body exactly as
 * given, `12345678901234567890` included, but `JSON.parse` reads every number as a double
 * (`12345678901234567000`). The client reads a message's answer with lossless-json instead: a number
 * a double would not write back the same is a `LosslessNumber`, whose `toString()` is its digits
 * and `valueOf()` the nearest double, and writes such a number back as its digits when it is sent.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

const readsBackTheSame = (text: string): boolean => String(Number(text)) === text;

/** Where a number may start in JSON text (text inside strings can look the same: that only costs the slow path). */
const NUMBER_TOKEN = /(?:^|[[:,])\s*(-?\d[\d.eE+-]*)/g;

/**
 * JSON text as `JSON.parse` reads it (its syntax errors, a repeated name's last value), except that
 * a number a double would not write back as written is a LosslessNumber. (The server's own copy is
 * libs/core/src/exact-json.ts: this package imports nothing of the server.)
 */
export const parseApiJson = (text: string): unknown => {
  const value: unknown = JSON.parse(text);
  if ([...text.matchAll(NUMBER_TOKEN)].every((match) => readsBackTheSame(match[1]!))) return value;
  try {
    return parse(text, null, {
      parseNumber: (token) => (readsBackTheSame(token) ? Number(token) : new LosslessNumber(token)),
      onDuplicateKey: ({ newValue }) => newValue,
    });
  } catch {
    return value; // nested past lossless-json's recursion: a body the API refuses anyway
  }
};

const holdsLosslessNumber = (value: unknown): boolean => {
  const open: unknown[] = [value];
  while (open.length > 0) {
    const node = open.pop();
    if (isLosslessNumber(node)) return true;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) open.push(child);
  }
  return false;
};

/** `JSON.stringify`, writing a LosslessNumber as its digits (the native path when there is none). */
export const stringifyApiJson = (value: unknown, space?: number): string =>
  holdsLosslessNumber(value) ? (stringify(value, null, space) ?? 'null') : JSON.stringify(value, null, space);
