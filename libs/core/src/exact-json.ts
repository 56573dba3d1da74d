/**
 * JSON whose numbers keep the digits they were written with. JavaScript reads every JSON number as
 * a double, so JSON.parse and then JSON.stringify turn `12345678901234567890` (an int64 id) into
 * `12345678901234567000`, `1E2` into `100`, `-0` into `0` and `1e999` into `null`.
 *
 * A request's message bodies are not read at all (parseRequestJson): each is kept as its text, a
 * JsonText (json-text.ts), stored and sent as it came and written into the API's answers as it is.
 * parseExactJson reads JSON (a body, for the console) with each number that a double would not
 * write back the same kept as its text (lossless-json's `LosslessNumber`); what reads the text is
 * chosen by a scan of it (json-scan.ts), which counts the number tokens a double would not write
 * back (the inexact ones):
 * - none (nearly every text): the native JSON.parse alone;
 * - a few (up to MARKED_MAX): JSON.parse, with each of them written as a marker string that is
 *   then replaced by its ExactNumber;
 * - more: lossless-json.
 * Until 2026-12 the bodies of a request were read so too, and written back: V8 moved names that
 * look like array indexes first, and a body of a million small values cost a second of CPU.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { PayloadTooLargeError } from './errors';
import type { JsonScan } from './json-scan';
import { isInexactNumber, scanJson } from './json-scan';
import { isJsonText, JsonText, readJsonText } from './json-text';

/** A number written in JSON that a double would not write back as written: kept as its text. */
export type ExactNumber = LosslessNumber;

export const isExactNumber = (value: unknown): value is ExactNumber => isLosslessNumber(value);

/**
 * The most values (objects, arrays, strings, numbers, literals) a request may hold outside its
 * messages' bodies. The largest valid request, a batch of 100 messages with every field at its
 * limit (50 headers, 10 metadata tags, 10 labels, a callback, flow control), holds about 9,000;
 * past this bound a request cannot be valid, and is refused before it is parsed: 600,000 unknown
 * fields in a 6 MiB body cost JSON.parse and the schema 2 s of CPU to refuse one by one.
 */
export const MAX_REQUEST_VALUES = 20_000;

/**
 * Up to this many inexact numbers are read by marking them (see the module comment): each costs a
 * marker string and a walk over its body afterwards, cheap for a few and dear for a million (1.5
 * million markers took 3 s where lossless-json took 1).
 */
const MARKED_MAX = 10_000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads JSON text with lossless-json: a number that reads back the same is a plain number, any
 * other an ExactNumber. lossless-json recurses, so text nested thousands of levels deep overflows
 * its stack: such a body is refused by the nesting rule (MAX_BODY_NESTING) whatever its numbers,
 * and `lossy` (JSON.parse's reading) stands; for text that is not JSON, `lossy` throws JSON.parse's error.
 */
const readLossless = (text: string, lossy: () => unknown): unknown => {
  try {
    return parse(text, null, {
      parseNumber: (token) => (isInexactNumber(token) ? new LosslessNumber(token) : Number(token)),
      onDuplicateKey: ({ newValue }) => newValue,
    });
  } catch (error) {
    const value = lossy();
    if (error instanceof RangeError) return value;
    throw error;
  }
};

/** A tag no string of the sender's can start with (see readMarked). */
const markerTag = (): string => {
  const words = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return `${words[0]!.toString(36)}${words[1]!.toString(36)}:`;
};

/**
 * JSON.parse of `text` with each span of it (`offsets`: its start and end, span after span) written
 * as `marker(n)` (a JSON string, n the span's place). A text JSON.parse refuses is refused with
 * JSON.parse's own message about the text as sent, never about the markers.
 */
const parseMarkedSpans = (text: string, offsets: readonly number[], marker: (n: number) => string): unknown => {
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < offsets.length; k += 2) {
    parts.push(text.slice(from, offsets[k]), marker(k / 2));
    from = offsets[k + 1]!;
  }
  parts.push(text.slice(from));
  try {
    return JSON.parse(parts.join(''));
  } catch (error) {
    JSON.parse(text); // throws the error about the text as sent
    throw error;
  }
};

/**
 * Parses `text` with JSON.parse, each inexact number (scan.inexactOffsets) written as the string
 * `"\u0000<tag><n>"`, and returns it with `restore`, which replaces the markers in a part of it
 * (a body, or the whole) by their ExactNumbers. The tag is empty unless a body's string itself
 * starts with U+0000 (written `\u0000`, the only way JSON can), and random then: no string of the
 * sender's can be taken for a marker. A text JSON.parse refuses is refused with its own message
 * about the text as sent.
 */
const readMarked = (text: string, scan: JsonScan): { value: unknown; restore: (part: unknown) => unknown } => {
  const offsets = scan.inexactOffsets;
  const tag = scan.nulLeadingString ? markerTag() : '';
  const value = parseMarkedSpans(text, offsets, (n) => `"\\u0000${tag}${n}"`);
  const prefix = `\u0000${tag}`;
  const exact = (marker: string): ExactNumber => {
    const k = 2 * Number(marker.slice(prefix.length));
    return new LosslessNumber(text.slice(offsets[k], offsets[k + 1]));
  };
  const restore = (part: unknown): unknown => {
    if (typeof part === 'string') return part.startsWith(prefix) ? exact(part) : part;
    if (part === null || typeof part !== 'object') return part;
    const open: object[] = [part];
    for (let node = open.pop(); node !== undefined; node = open.pop()) {
      const fields = node as Record<string, unknown>;
      const names = Array.isArray(node) ? undefined : Object.keys(node);
      const count = names ? names.length : (node as unknown[]).length;
      for (let i = 0; i < count; i++) {
        const name = names ? names[i]! : i;
        const child = fields[name];
        if (typeof child === 'string') {
          if (!child.startsWith(prefix)) continue;
          // An own `__proto__` (JSON.parse makes one) is set as a field, never through the setter.
          if (name === '__proto__') Object.defineProperty(fields, name, { value: exact(child) });
          else fields[name] = exact(child);
        } else if (child !== null && typeof child === 'object') open.push(child);
      }
    }
    return part;
  };
  return { value, restore };
};

/**
 * `JSON.parse`, except that a number a double would not write back as written is an ExactNumber.
 * A syntax error is JSON.parse's own; a duplicate name keeps its last value, as JSON.parse does.
 */
export const parseExactJson = (text: string): unknown => {
  const scan = scanJson(text, { maxInexactOffsets: MARKED_MAX });
  if (scan.inexact === 0) return JSON.parse(text);
  if (scan.inexact <= MARKED_MAX) {
    const { value, restore } = readMarked(text, scan);
    return restore(value);
  }
  return readLossless(text, () => JSON.parse(text));
};

/**
 * A message body whose text readJsonText refused but JSON.parse reads (none is known: the two
 * follow the same grammar, json-text.test.ts): read and written back, as every body was before.
 */
const rewrittenBody = (text: string): JsonText => {
  const written = stringifyExactJson(parseExactJson(text));
  return readJsonText(written) ?? new JsonText(written, 0);
};

/**
 * A request's JSON body, with each message body (the member `body` of the request, and of each of
 * its `messages`: a message's payload, the one place a request carries JSON of its sender's own)
 * that is not a string kept as its text: a JsonText, checked by JSON's grammar but never read into
 * values, so it is sent as it came (json-text.ts). A string body is read, as it is sent decoded.
 * Everything else is read by JSON.parse, the request's own numbers as doubles whatever their spelling.
 * A request with more than MAX_REQUEST_VALUES values outside bodies is refused (413) unparsed.
 *
 * The bodies are found by a scan (json-scan.ts); JSON.parse reads the text with each of them
 * written as a marker string (`"\u0000<tag>b<n>"`, the tag random only when a body's string starts
 * with U+0000), which the body's JsonText then replaces where JSON.parse kept it (a name given
 * twice: the last). A text that is not JSON is refused with JSON.parse's own message about it as sent.
 */
export const parseRequestJson = (text: string): unknown => {
  const scan = scanJson(text, { request: true, maxValuesOutsideBodies: MAX_REQUEST_VALUES });
  if (scan.stoppedEarly) {
    throw new PayloadTooLargeError(
      `The request holds more than ${MAX_REQUEST_VALUES.toLocaleString('en-US')} JSON values outside message bodies (a batch of 100 messages with every field at its limit holds about 9,000), so it cannot be a valid request: check what builds it (unknown fields are refused).`,
    );
  }
  const kept = scan.bodies.filter(({ start }) => text.charCodeAt(start) !== 0x22 /* a string: read */);
  if (kept.length === 0) return JSON.parse(text);
  const texts = kept.map(({ start, end }) => {
    const body = readJsonText(text, start, end);
    if (body !== undefined) return body;
    JSON.parse(text); // throws the error about the text as sent
    return rewrittenBody(text.slice(start, end));
  });
  const prefix = `\u0000${scan.nulLeadingString ? markerTag() : ''}b`;
  const offsets = kept.flatMap(({ start, end }) => [start, end]);
  const value = parseMarkedSpans(text, offsets, (n) => JSON.stringify(`${prefix}${n}`));
  const restore = (owner: unknown) => {
    if (!isRecord(owner) || !Object.hasOwn(owner, 'body')) return;
    const body = owner.body;
    if (typeof body === 'string' && body.startsWith(prefix)) owner.body = texts[Number(body.slice(prefix.length))];
  };
  restore(value);
  if (isRecord(value) && Array.isArray(value.messages)) for (const message of value.messages) restore(message);
  return value;
};

/** True when an ExactNumber or a JsonText is anywhere in `value` (walked without recursion, past its plain values). */
const holdsExactNumber = (value: unknown): boolean => {
  if (value === null || typeof value !== 'object') return false;
  const open: object[] = [value];
  for (let node = open.pop(); node !== undefined; node = open.pop()) {
    if (isExactNumber(node) || isJsonText(node)) return true;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') open.push(child);
  }
  return false;
};

/** `value` as JSON.stringify writes it, with each ExactNumber and JsonText as its text (one join per array or object). */
const exactText = (value: unknown): string | undefined => {
  if (isExactNumber(value)) return value.value;
  if (isJsonText(value)) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const toJson = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') return exactText(toJson.call(value));
  if (Array.isArray(value)) {
    const items = new Array<string>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = exactText(value[i]) ?? 'null';
    return `[${items.join(',')}]`;
  }
  const members: string[] = [];
  for (const [name, field] of Object.entries(value)) {
    const text = exactText(field);
    if (text !== undefined) members.push(`${JSON.stringify(name)}:${text}`);
  }
  return `{${members.join(',')}}`;
};

/**
 * `JSON.stringify`, writing each ExactNumber as the text it was read from and each JsonText as its
 * text (`space` indents, as JSON.stringify's). Compact text is written by exactText, two to three
 * times faster than lossless-json's stringify on a body of many such numbers; indented text (the
 * console's) by lossless-json, a JsonText read first.
 */
export const stringifyExactJson = (value: unknown, space?: number): string => {
  if (!holdsExactNumber(value)) return JSON.stringify(value, null, space);
  // lossless-json indents values only: a JsonText is read first (with its numbers as written).
  if (space !== undefined && space > 0)
    return stringify(parseExactJson(exactText(value) ?? 'null'), null, space) ?? 'null';
  return exactText(value) ?? 'null';
};
