/**
 * JSON text indented for reading, and nothing else changed: every token is kept as written, in its
 * place. Read into values and written back (JSON.parse, lossless-json), a body's names like `"1"`
 * moved first, an escape (`"caf\u00e9"`) became its character, a name given twice was shown once;
 * the console shows what is sent, so it only ever adds whitespace between tokens.
 */
import { readJsonText } from '@vigil/core/json-text';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * `text` with each member and element on a line of its own, indented `indent` spaces a level, and a
 * space after each `:`; undefined when it is not one JSON value (JSON's grammar, as JSON.parse reads
 * it). Empty `{}` and `[]` stay on one line. Checked and made compact by the core's reader
 * (readJsonText, which builds no value), then walked token by token: outside strings the compact
 * text holds only punctuation and the characters of numbers and literals, copied as they are.
 */
export const indentJson = (text: string, indent = 2): string | undefined => {
  const compact = readJsonText(text)?.text;
  if (compact === undefined) return undefined;
  let out = '';
  const newlines: string[] = []; // a line break and the indentation, by depth
  const newline = (depth: number) => (newlines[depth] ??= `\n${' '.repeat(depth * indent)}`);
  let depth = 0;
  let from = 0; // the start of the run of characters not yet copied
  for (let i = 0; i < compact.length; i++) {
    const c = compact.charCodeAt(i);
    if (c === QUOTE) {
      // A string, escapes and all, as it is: a backslash always escapes the character after it.
      for (i++; compact.charCodeAt(i) !== QUOTE; i++) if (compact.charCodeAt(i) === BACKSLASH) i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const next = compact.charCodeAt(i + 1);
      if (next === CLOSE_BRACE || next === CLOSE_BRACKET)
        i++; // `{}` and `[]` as they are
      else {
        out += compact.slice(from, i + 1) + newline(++depth);
        from = i + 1;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      out += compact.slice(from, i) + newline(--depth);
      from = i;
    } else if (c === COMMA) {
      out += compact.slice(from, i + 1) + newline(depth);
      from = i + 1;
    } else if (c === COLON) {
      out += `${compact.slice(from, i + 1)} `;
      from = i + 1;
    }
  }
  return out + compact.slice(from);
};
