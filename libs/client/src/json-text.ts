/**
 * A message body given as JSON text, sent as written: `jsonText('{"b":1,"1":2}')`. A body given as
 * a value is written by JSON.stringify, which puts a name like `"1"` first (`{"1":2,"b":1}`), writes
 * an escape (`"caf\u00e9"`) as its character, keeps a name given twice once and a number as the
 * double it reads (`12345678901234567890` as `12345678901234567000`). The API keeps a JSON body as its
 * text (less the whitespace between tokens), so what goes in the request is what is stored, signed
 * and delivered.
 */
import type { VigilValidationError } from './errors.ts';
import { refusedBeforeSending } from './errors.ts';

/** The message's body as JSON text, checked as JSON when made; the request carries `text` as it is. */
export class JsonText {
  readonly text: string;

  constructor(text: string) {
    if (typeof text !== 'string') throw notJson(`must be JSON text (a string), not ${typeof text}`);
    try {
      JSON.parse(text);
    } catch (error) {
      throw notJson(`is not valid JSON: ${(error as Error).message}`);
    }
    // JSON.parse takes a lone surrogate; as UTF-8 it would go as U+FFFD, not as written.
    if (/\p{Cs}/u.test(text)) throw notJson('has a lone surrogate (not well-formed Unicode): write it as an escape');
    this.text = text;
  }

  /** Where a writer other than the client's meets it (JSON.stringify of a message you log): its values. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** Refused as the API refuses a body, before anything is sent. */
const notJson = (message: string): VigilValidationError => refusedBeforeSending('body', message);

/**
 * A body as JSON text, to send as written: `messages.create({ url, body: jsonText(payload) })`.
 * Throws a VigilValidationError naming `body` when the text is not JSON.
 */
export const jsonText = (text: string): JsonText => new JsonText(text);
