/**
 * The API's JSON with a message body's numbers as they were written. Vigil sends a body exactly as
 * given, `12345678901234567890` included, but `JSON.parse` reads every number as a double
 * (`12345678901234567000`). The client reads a message's answer with lossless-json instead: a number
 * a double would not write back the same is a `LosslessNumber`, whose `toString()` is its digits
 * and `valueOf()` the nearest double, and writes such a number back as its digits when it is sent.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { JsonText } from './json-text.ts';

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

const holdsWrittenText = (value: unknown): boolean => {
  const open: unknown[] = [value];
  while (open.length > 0) {
    const node = open.pop();
    if (node instanceof JsonText || isLosslessNumber(node)) return true;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) open.push(child);
  }
  return false;
};

/** A value as JSON.stringify writes it, but a JsonText as its text and a LosslessNumber as its digits. */
const writeJson = (value: unknown): string | undefined => {
  if (value instanceof JsonText) return value.text;
  if (isLosslessNumber(value)) return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const { toJSON } = value as { toJSON?: unknown };
  if (typeof toJSON === 'function') return writeJson(toJSON.call(value));
  if (Array.isArray(value)) return `[${value.map((item) => writeJson(item) ?? 'null').join(',')}]`;
  const fields: string[] = [];
  for (const [name, item] of Object.entries(value)) {
    const written = writeJson(item);
    if (written !== undefined) fields.push(`${JSON.stringify(name)}:${written}`);
  }
  return `{${fields.join(',')}}`;
};

/**
 * A request's JSON: a body given as JsonText (`jsonText('{"b":1,"1":2}')`) goes in as written, a
 * LosslessNumber read from an answer as its digits; anything else as `JSON.stringify` writes it
 * (the native path when the request holds neither).
 */
export const requestJson = (value: unknown): string =>
  holdsWrittenText(value) ? (writeJson(value) ?? 'null') : JSON.stringify(value);
