/**
 * One pass over JSON text, before it is parsed, that tells what parsing it will take: in a body,
 * whether a number token is one a double would not write back as written (and so must be read the
 * exact, slower way), and where; in a request, where its messages' bodies start and end (they are
 * kept as text, never read: json-text.ts) and how many values it holds outside them. It allocates
 * nothing per token (a 6 MiB request is scanned in tens of milliseconds) and does not validate:
 * JSON.parse and readJsonText still read the text, and refuse it when it is not JSON.
 */

/** A message body of a request, by where JSON.parse puts it, and its text. */
export interface BodyText {
  /** The index in the request's `messages` of the message it belongs to; undefined for the request's own `body`. */
  message?: number;
  start: number;
  end: number;
}

/** What scanJson found. */
export interface JsonScan {
  /**
   * How many number tokens in value position a double would not write back as written: `1.0`,
   * `1E2`, `-0`, `12345678901234567890`, `1e400` (none counted in a request: its bodies are kept as
   * text, and its own numbers are read as doubles).
   */
  inexact: number;
  /**
   * Start and end offsets, in pairs, of the first `maxInexactOffsets` of them (each written by
   * JSON's number grammar: another token is left for JSON.parse to refuse).
   */
  inexactOffsets: number[];
  /** True when a string value inside a body (or anywhere, for a whole body) starts with the escape `\u0000`. */
  nulLeadingString: boolean;
  /**
   * In a request, every message body in the text, in its order (a name given twice: each of them,
   * JSON.parse keeping the last).
   */
  bodies: BodyText[];
  /** Values (objects, arrays, strings, numbers, literals) outside message bodies (a body's own are not counted). */
  valuesOutsideBodies: number;
  /** True when the scan stopped early: more values outside bodies than it was allowed to count. */
  stoppedEarly: boolean;
}

export interface ScanOptions {
  /**
   * Read the text as a Vigil request: the message bodies are the member `body` of the top-level
   * object (create, PATCH) and of each object in its `messages` array (batch). Without it, the whole
   * text is one body.
   */
  request?: boolean;
  /** Stop after counting this many values outside bodies (the request is refused anyway). */
  maxValuesOutsideBodies?: number;
  /** Record the offsets of at most this many inexact numbers (default none); the rest are counted. */
  maxInexactOffsets?: number;
}

// Where a value sits: which tells whether it is (inside) a message body.
const OTHER = 0;
const TOP = 1; // the request's top-level object
const MESSAGES = 2; // its `messages` array
const MESSAGE = 3; // an element of that array
const BODY = 4; // a message body, or anything inside one

// What the member being read is named, where that matters.
const KEY_OTHER = 0;
const KEY_BODY = 1;
const KEY_MESSAGES = 2;

const ARRAY = 0;
const OBJECT = 1;
const SCALAR = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** The offset just past the string token that starts (with its quote) at `start`, or the text's end. */
const endOfString = (text: string, start: number): number => {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return text.length;
};

/** Whether the name token text[start, end) (quotes included) reads as `body`, `messages` or another name. */
const keyOf = (text: string, start: number, end: number): number => {
  const length = end - start - 2;
  if (length === 4 && text.startsWith('body', start + 1)) return KEY_BODY;
  if (length === 8 && text.startsWith('messages', start + 1)) return KEY_MESSAGES;
  // A name written with escapes (`"b\u006fdy"`) is read as JSON.parse reads it.
  let escaped = false;
  for (let i = start + 1; i < end - 1 && !escaped; i++) escaped = text.charCodeAt(i) === BACKSLASH;
  if (!escaped) return KEY_OTHER;
  try {
    const name: unknown = JSON.parse(text.slice(start, end));
    return name === 'body' ? KEY_BODY : name === 'messages' ? KEY_MESSAGES : KEY_OTHER;
  } catch {
    return KEY_OTHER; // not a string JSON.parse reads: the parse refuses the text
  }
};

const DOT = 0x2e;
const PLUS = 0x2b;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** What numberKind tells of a token. */
const EXACT = 0;
const INEXACT = 1;
const NOT_A_NUMBER = 2;
const UNSURE = 3;

/** True when a double writes `token` back as it is (`100`, `1.5`; not `1E2`, `1.50`, `-0`). */
export const readsBackTheSame = (token: string): boolean => String(Number(token)) === token;

const isExponent = (c: number): boolean => c === LOWER_E || c === UPPER_E;

/**
 * Reads the token text[start, end) by JSON's number grammar (RFC 8259 §6) and tells, without
 * converting it where its spelling settles it, whether a double writes it back as written: an
 * integer of at most 15 digits does; `-0`, an `E`, an exponent without a sign, a fraction ending
 * in 0, more than 17 significant digits do not (a double's shortest text writes none of them).
 */
const numberKind = (text: string, start: number, end: number): number => {
  let i = start;
  const negative = text.charCodeAt(i) === MINUS;
  if (negative) i++;
  const intStart = i;
  if (i >= end || !isDigit(text.charCodeAt(i))) return NOT_A_NUMBER;
  if (text.charCodeAt(i) === ZERO) i++;
  else while (i < end && isDigit(text.charCodeAt(i))) i++;
  const intDigits = i - intStart;
  const intIsZero = intDigits === 1 && text.charCodeAt(intStart) === ZERO;
  let fracDigits = 0;
  let fracZeros = 0; // leading zeros of the fraction: not significant after `0.`
  let fracEndsInZero = false;
  if (i < end && text.charCodeAt(i) === DOT) {
    const fracStart = ++i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    fracDigits = i - fracStart;
    if (fracDigits === 0) return NOT_A_NUMBER;
    fracEndsInZero = text.charCodeAt(i - 1) === ZERO;
    while (fracZeros < fracDigits && text.charCodeAt(fracStart + fracZeros) === ZERO) fracZeros++;
  }
  let exponent = false;
  let plainExponent = false; // `e` with a sign: how a double's text writes one
  if (i < end && isExponent(text.charCodeAt(i))) {
    exponent = true;
    plainExponent = text.charCodeAt(i) === LOWER_E;
    i++;
    const sign = text.charCodeAt(i);
    if (i < end && (sign === PLUS || sign === MINUS)) i++;
    else plainExponent = false;
    const expStart = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === expStart) return NOT_A_NUMBER;
  }
  if (i !== end) return NOT_A_NUMBER; // a leading zero, or a sign or point out of place
  if ((exponent && !plainExponent) || fracEndsInZero) return INEXACT;
  if (exponent) return UNSURE;
  if (fracDigits === 0) {
    if (negative && intIsZero) return INEXACT;
    return intDigits <= 15 ? EXACT : UNSURE;
  }
  const significant = intIsZero ? fracDigits - fracZeros : intDigits + fracDigits;
  return significant > 17 ? INEXACT : UNSURE;
};

/** True when `token`, a JSON number, is one a double would not write back as written (`1.0`, `1E2`, `-0`). */
export const isInexactNumber = (token: string): boolean => {
  const kind = numberKind(token, 0, token.length);
  return kind === INEXACT || (kind === UNSURE && !readsBackTheSame(token));
};

/** Scans `text` as JSON (see the module comment). Text that is not JSON is scanned as far as its brackets and quotes go. */
export const scanJson = (text: string, options: ScanOptions = {}): JsonScan => {
  const request = options.request === true;
  const max = options.maxValuesOutsideBodies ?? Number.POSITIVE_INFINITY;
  const maxOffsets = 2 * (options.maxInexactOffsets ?? 0);
  const inexactOffsets: number[] = [];
  let nulLeadingString = false;
  const kinds: number[] = [];
  const places: number[] = [];
  const bodies: BodyText[] = [];
  let outside = 0;
  let inexact = 0;
  let expectName = false;
  let name = KEY_OTHER;
  // The message body being read: where it started, at which depth, and whose it is.
  let bodyStart = -1;
  let bodyDepth = -1;
  let bodyMessage: number | undefined;
  // The element of `messages` being read (its index), counted per `messages` array.
  let messageIndex = -1;

  const endBody = (end: number) => {
    const body: BodyText = { start: bodyStart, end, ...(bodyMessage !== undefined && { message: bodyMessage }) };
    bodies.push(body);
    bodyStart = -1;
    bodyDepth = -1;
  };

  /** Places a value that starts at `start` (of `kind`) from its container and its member's name. */
  const placeValue = (start: number, kind: number): number => {
    const depth = kinds.length;
    if (!request) return BODY;
    if (depth === 0) {
      outside++;
      return kind === OBJECT ? TOP : OTHER;
    }
    const parent = places[depth - 1]!;
    if (parent === BODY) return BODY;
    if (parent === MESSAGES) messageIndex++;
    let place = OTHER;
    if ((parent === TOP || parent === MESSAGE) && name === KEY_BODY) {
      place = BODY;
      bodyStart = start;
      bodyDepth = depth;
      bodyMessage = parent === MESSAGE ? messageIndex : undefined;
    } else if (parent === TOP && name === KEY_MESSAGES && kind === ARRAY) {
      place = MESSAGES;
      messageIndex = -1;
    } else if (parent === MESSAGES && kind === OBJECT) place = MESSAGE;
    if (place !== BODY) outside++;
    return place;
  };

  const n = text.length;
  let i = 0;
  while (i < n && outside <= max) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a /* : */) {
      i++;
    } else if (c === 0x2c /* , */) {
      expectName = kinds.length > 0 && kinds[kinds.length - 1] === OBJECT;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      kinds.pop();
      places.pop();
      expectName = false;
      i++;
      if (kinds.length === bodyDepth) endBody(i);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const kind = c === 0x7b ? OBJECT : ARRAY;
      places.push(placeValue(i, kind));
      kinds.push(kind);
      name = KEY_OTHER;
      expectName = kind === OBJECT;
      i++;
    } else if (c === QUOTE) {
      const end = endOfString(text, i);
      if (expectName) {
        const parent = places[places.length - 1];
        name = parent === TOP || parent === MESSAGE ? keyOf(text, i, end) : KEY_OTHER;
        expectName = false;
      } else {
        const place = placeValue(i, SCALAR);
        name = KEY_OTHER;
        if (place === BODY && !nulLeadingString) nulLeadingString = text.startsWith('\\u0000', i + 1);
        if (kinds.length === bodyDepth) endBody(end);
      }
      i = end;
    } else if (c === MINUS || isDigit(c)) {
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (!isDigit(d) && d !== DOT && d !== LOWER_E && d !== UPPER_E && d !== PLUS && d !== MINUS) break;
      }
      if (expectName) continue; // a number where a name belongs: the parse refuses the text
      const place = placeValue(start, SCALAR);
      name = KEY_OTHER;
      if (place === BODY && !request) {
        const kind = numberKind(text, start, i);
        if (kind === INEXACT || (kind === UNSURE && !readsBackTheSame(text.slice(start, i)))) {
          inexact++;
          if (inexactOffsets.length < maxOffsets) inexactOffsets.push(start, i);
        }
      }
      if (kinds.length === bodyDepth) endBody(i);
    } else {
      // true, false, null (or text that is not JSON): one value, to the end of its letters.
      const start = i;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i) | 0x20;
        if (d < 0x61 || d > 0x7a) break;
      }
      if (expectName) continue;
      placeValue(start, SCALAR);
      name = KEY_OTHER;
      if (kinds.length === bodyDepth) endBody(i);
    }
  }
  return {
    inexact,
    inexactOffsets,
    nulLeadingString,
    bodies,
    valuesOutsideBodies: outside,
    stoppedEarly: outside > max,
  };
};
