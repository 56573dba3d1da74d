import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_NESTING, nestsDeeperThan, readJsonText } from '../src';

/** Text made of JSON's own characters, mostly not JSON: where a reader's grammar would differ from JSON.parse's. */
const nearlyJson = fc
  .array(
    fc.constantFrom(
      ...'{}[]":,0123456789-+.eE \n\t\r\\/ubfnrtaxl'.split(''),
      'true',
      'false',
      'null',
      '"a"',
      '\\u00e9',
      '\\ud83d',
      '\u0001',
      'é',
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(''));

/** Any JSON value, written with whitespace here and there. */
const spacedJson = fc
  .tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 1, 2))
  .map(([value, space]) =>
    (JSON.stringify(value, null, space) ?? 'null').replace(/"(?:[^"\\]|\\.)*"|,/g, (token) =>
      token === ',' ? ' ,\n' : token,
    ),
  );

describe('a JSON body read as its text', () => {
  it('accepts exactly what JSON.parse accepts, alone or as a slice of a longer text', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyJson, spacedJson), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(readJsonText(text) !== undefined).toBe(parses);
        expect(readJsonText(`{"body":${text}}`, 8, 8 + text.length) !== undefined).toBe(parses);
      }),
      { numRuns: 20_000 },
    );
  }, 30_000);

  it('keeps every token as written, in its order, and drops only the whitespace between tokens', () => {
    fc.assert(
      fc.property(spacedJson, (text) => {
        const read = readJsonText(` ${text}\n`)!;
        expect(read.text).toBe((text.match(/"(?:[^"\\]|\\.)*"|[^\s]/g) ?? []).join(''));
        expect(JSON.parse(read.text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 2_000 },
    );
    expect(readJsonText('{ "b" : 1 , "1" : "a  \\u00e9" }')?.text).toBe('{"b":1,"1":"a  \\u00e9"}');
  }, 30_000);

  it('measures how deep it nests, at any depth, for the nesting rule', () => {
    expect(readJsonText('1')?.depth).toBe(0);
    expect(readJsonText('[]')?.depth).toBe(1);
    expect(readJsonText('{"a":[1,{"b":[]}],"c":{}}')?.depth).toBe(4);
    const deep = (levels: number) => readJsonText(`${'['.repeat(levels)}${']'.repeat(levels)}`)!;
    expect(nestsDeeperThan(deep(MAX_BODY_NESTING), MAX_BODY_NESTING)).toBe(false);
    expect(nestsDeeperThan(deep(MAX_BODY_NESTING + 1), MAX_BODY_NESTING)).toBe(true);
    expect(deep(1_000_000).depth).toBe(1_000_000);
  });
});
