/**
 * JSON whose numbers keep the digits they were written with. JavaScript reads every JSON number as
 * a double, so JSON.parse and then JSON.stringify turn `12345678901234567890` (an int64 id) into
 * `12345678901234567000`, `1E2` into `100`, `-0` into `0` and `1e999` into `null`. A message body is
 * sent exactly as it was given, so a number that a double would not write back the same is kept
 * as its text (lossless-json's `LosslessNumber`) from the request, through the stored body, to the
 * API's answers. Text without such a number takes the native JSON path, which is several times
 * faster: only bodies that need the exact path pay for it.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/** A number written in JSON that a double would not write back as written: kept as its text. */
export type ExactNumber = LosslessNumber;

export const isExactNumber = (value: unknown): value is ExactNumber => isLosslessNumber(value);

/** True when a double writes `text` back as it is (`100`, `1.5`; not `1E2`, `1.50`, `-0`). */
const readsBackTheSame = (text: string): boolean => String(Number(text)) === text;

/**
 * Every number token of a JSON text: a number follows `[`, `:` or `,` (or starts the text). Text
 * inside strings can look the same, which only sends that text the exact (slower) way.
 */
const NUMBER_TOKEN = /(?:^|[[:,])\s*(-?\d[\d.eE+-]*)/g;

const hasInexactNumber = (text: string): boolean => {
  for (const match of text.matchAll(NUMBER_TOKEN)) if (!readsBackTheSame(match[1]!)) return true;
  return false;
};

/** JSON text read as parseExactJson reads it, and whether it holds an ExactNumber at all. */
const readExactJson = (text: string): { value: unknown; exact: boolean } => {
  const value: unknown = JSON.parse(text);
  if (!hasInexactNumber(text)) return { value, exact: false };
  try {
    const exact = parse(text, null, {
      parseNumber: (token) => (readsBackTheSame(token) ? Number(token) : new LosslessNumber(token)),
      onDuplicateKey: ({ newValue }) => newValue,
    });
    return { value: exact, exact: true };
  } catch {
    // lossless-json recurses, so text nested thousands of levels deep overflows its stack: such a
    // body is refused by the nesting rule (MAX_BODY_NESTING) whatever its numbers. JSON.parse
    // accepted the text, so its reading stands.
    return { value, exact: false };
  }
};

/**
 * `JSON.parse`, except that a number a double would not write back as written is an ExactNumber.
 * A syntax error is JSON.parse's own; a duplicate name keeps its last value, as JSON.parse does.
 */
export const parseExactJson = (text: string): unknown => readExactJson(text).value;

/**
 * Turns every ExactNumber in a parsed request into a plain number, except under members named
 * `body` (a message's payload, the one place a request carries JSON of its sender's own): the
 * other fields are Vigil's (a delay, a timeout), read as numbers whatever their spelling. In place,
 * without recursion.
 */
const plainNumbersOutsideBodies = <T>(request: T): T => {
  const open: unknown[] = [request];
  while (open.length > 0) {
    const node = open.pop();
    if (node === null || typeof node !== 'object' || isExactNumber(node)) continue;
    const fields = node as Record<string, unknown>;
    for (const name of Object.keys(fields)) {
      if (name === 'body' && !Array.isArray(node)) continue;
      const child = fields[name];
      if (isExactNumber(child)) fields[name] = Number(child.value);
      else open.push(child);
    }
  }
  return isExactNumber(request) ? (Number(request.value) as T) : request;
};

/**
 * A request's JSON body: ExactNumbers only inside message bodies (plainNumbersOutsideBodies), and
 * no walk over the request at all when its text holds none (nearly every request).
 */
export const parseRequestJson = (text: string): unknown => {
  const { value, exact } = readExactJson(text);
  return exact ? plainNumbersOutsideBodies(value) : value;
};

/** True when an ExactNumber is anywhere in `value` (walked without recursion). */
const holdsExactNumber = (value: unknown): boolean => {
  const open: unknown[] = [value];
  while (open.length > 0) {
    const node = open.pop();
    if (isExactNumber(node)) return true;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) open.push(child);
  }
  return false;
};

/** `JSON.stringify`, writing each ExactNumber as the text it was read from (`space` indents, as JSON.stringify's). */
export const stringifyExactJson = (value: unknown, space?: number): string =>
  holdsExactNumber(value) ? (stringify(value, null, space) ?? 'null') : JSON.stringify(value, null, space);
