/**
 * A message's JSON body kept as the text it was sent in, never read into JavaScript values: the
 * bytes a receiver gets are the bytes the tenant sent, but for the whitespace between tokens. Read
 * into objects and written back, V8 moves names that look like array indexes first (`{"b":1,"1":2}`
 * became `{"1":2,"b":1}`), an escape (`"\u00e9"`) became its character, and a body packed with a
 * million small values cost a second and more of CPU to build and write back. Until 2026-12 every
 * body was read so.
 *
 * readJsonText checks the text by JSON's grammar (RFC 8259, which JSON.parse reads), measures how
 * deep it nests and drops the whitespace between tokens, in one pass that builds no value.
 */

/** A JSON value (object, array, number, literal) as its compact text, and how deep it nests arrays and objects. */
export class JsonText {
  constructor(
    readonly text: string,
    /** Arrays and objects nested in it: `1` is 0, `[]` 1, `{"a":[1]}` 2. */
    readonly depth: number,
  ) {}
}

export const isJsonText = (value: unknown): value is JsonText => value instanceof JsonText;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isSpace = (c: number): boolean => c === SPACE || c === LF || c === CR || c === TAB;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isHexDigit = (c: number): boolean => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
/** The characters a backslash may escape besides `u`: `" \ / b f n r t`. */
const isSimpleEscape = (c: number): boolean =>
  c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;

/** The offset just past the string token starting at `i` (its quote), or -1 when it is not one JSON reads. */
const stringEnd = (text: string, i: number, end: number): number => {
  for (i++; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < SPACE) return -1; // a control character must be escaped
    if (c !== BACKSLASH) continue;
    const e = text.charCodeAt(++i);
    if (e === 0x75 /* u */) {
      if (i + 4 >= end) return -1;
      for (let k = 1; k <= 4; k++) if (!isHexDigit(text.charCodeAt(i + k))) return -1;
      i += 4;
    } else if (!isSimpleEscape(e) || i >= end) return -1;
  }
  return -1;
};

/** The offset just past the number token starting at `i` (`-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`), or -1. */
const numberEnd = (text: string, i: number, end: number): number => {
  if (text.charCodeAt(i) === MINUS) i++;
  if (i >= end || !isDigit(text.charCodeAt(i))) return -1;
  if (text.charCodeAt(i) === ZERO) i++;
  else while (i < end && isDigit(text.charCodeAt(i))) i++;
  if (i < end && text.charCodeAt(i) === DOT) {
    const from = ++i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === from) return -1;
  }
  if (i < end && (text.charCodeAt(i) | 0x20) === 0x65 /* e */) {
    i++;
    const sign = text.charCodeAt(i);
    if (i < end && (sign === PLUS || sign === MINUS)) i++;
    const from = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === from) return -1;
  }
  return i;
};

const LITERALS = ['true', 'false', 'null'];

const literalEnd = (text: string, i: number, end: number): number => {
  for (const literal of LITERALS) {
    if (i + literal.length <= end && text.startsWith(literal, i)) return i + literal.length;
  }
  return -1;
};

// What the reader expects next.
const VALUE = 0;
const NAME = 1;
const AFTER_VALUE = 2;

const ARRAY = 0;
const OBJECT = 1;

/**
 * The JSON value text[start, end) as a JsonText (its whitespace between tokens dropped), or
 * undefined when that text is not one JSON value as JSON.parse reads it. Without recursion, so
 * any depth is measured; nothing is built per token but the pieces around whitespace.
 */
export const readJsonText = (text: string, start = 0, end = text.length): JsonText | undefined => {
  let open = new Uint8Array(64); // the kind of each array or object still open
  let depth = 0;
  let maxDepth = 0;
  const pieces: string[] = [];
  let pieceStart = start;
  let i = start;
  let expect = VALUE;
  const skipSpace = () => {
    if (i >= end || !isSpace(text.charCodeAt(i))) return;
    if (i > pieceStart) pieces.push(text.slice(pieceStart, i));
    do i++;
    while (i < end && isSpace(text.charCodeAt(i)));
    pieceStart = i;
  };
  const push = (kind: number) => {
    if (depth === open.length) {
      const grown = new Uint8Array(open.length * 2);
      grown.set(open);
      open = grown;
    }
    open[depth++] = kind;
    if (depth > maxDepth) maxDepth = depth;
  };
  for (;;) {
    skipSpace();
    if (expect === AFTER_VALUE) {
      if (depth === 0) break;
      const c = text.charCodeAt(i);
      const kind = open[depth - 1];
      if (i >= end) return undefined;
      if (c === COMMA) {
        i++;
        expect = kind === OBJECT ? NAME : VALUE;
      } else if (c === (kind === OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) {
        i++;
        depth--;
      } else return undefined;
      continue;
    }
    if (i >= end) return undefined;
    const c = text.charCodeAt(i);
    if (expect === NAME) {
      if (c !== QUOTE) return undefined;
      i = stringEnd(text, i, end);
      if (i < 0) return undefined;
      skipSpace();
      if (i >= end || text.charCodeAt(i) !== COLON) return undefined;
      i++;
      expect = VALUE;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      push(c === OPEN_BRACE ? OBJECT : ARRAY);
      i++;
      skipSpace();
      if (i < end && text.charCodeAt(i) === (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
        i++;
        depth--;
        expect = AFTER_VALUE;
      } else expect = c === OPEN_BRACE ? NAME : VALUE;
      continue;
    }
    if (c === QUOTE) i = stringEnd(text, i, end);
    else if (c === MINUS || isDigit(c)) i = numberEnd(text, i, end);
    else i = literalEnd(text, i, end);
    if (i < 0) return undefined;
    expect = AFTER_VALUE;
  }
  if (i !== end) return undefined;
  // pieceStart moves past each run of whitespace: where it has not, there was none.
  if (pieceStart === start) return new JsonText(text.slice(start, end), maxDepth);
  if (end > pieceStart) pieces.push(text.slice(pieceStart, end));
  return new JsonText(pieces.join(''), maxDepth);
};
