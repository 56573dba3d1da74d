import { describe, expect, it } from 'vitest';
import { indentJson } from './json-indent';

/** The text without the whitespace outside its strings: what the indenter may add, and nothing else. */
const withoutAddedSpace = (indented: string): string => indented.replace(/("(?:[^"\\]|\\.)*")|\s+/g, '$1');

describe('indentJson: a JSON body indented for reading, its tokens as sent', () => {
  it('keeps names in the order they were sent, "1" after "b", where a parse and rewrite moves it first', () => {
    expect(indentJson('{"b":1,"1":2}')).toBe('{\n  "b": 1,\n  "1": 2\n}');
    expect(JSON.stringify(JSON.parse('{"b":1,"1":2}'), null, 2)).toBe('{\n  "1": 2,\n  "b": 1\n}');
  });

  it('keeps every escape, every number as written and a name given twice', () => {
    const sent = '{"name":"caf\\u00e9 \\/ \\"q\\" \\\\","id":12345678901234567890,"n":[1E2,-0,1.0,1e999],"a":1,"a":2}';
    const indented = indentJson(sent)!;

    expect(indented).toBe(
      [
        '{',
        '  "name": "caf\\u00e9 \\/ \\"q\\" \\\\",',
        '  "id": 12345678901234567890,',
        '  "n": [',
        '    1E2,',
        '    -0,',
        '    1.0,',
        '    1e999',
        '  ],',
        '  "a": 1,',
        '  "a": 2',
        '}',
      ].join('\n'),
    );
    expect(withoutAddedSpace(indented)).toBe(sent);
  });

  it('leaves the characters inside strings alone: braces, commas, colons, spaces and line-break escapes', () => {
    const sent = '{"text":"a, b: {c} [d]  e\\n","k":"\\\\"}';
    const indented = indentJson(sent)!;

    expect(indented).toBe('{\n  "text": "a, b: {c} [d]  e\\n",\n  "k": "\\\\"\n}');
    expect(withoutAddedSpace(indented)).toBe(sent);
  });

  it('drops the whitespace a text body held between tokens, keeps {} and [] on one line, and scalars as they are', () => {
    expect(indentJson(' { "a" :\t[ ] ,\n "b" : { } } ')).toBe('{\n  "a": [],\n  "b": {}\n}');
    expect(indentJson('[[1,[]],{"x":{"y":null}}]', 4)).toBe(
      '[\n    [\n        1,\n        []\n    ],\n    {\n        "x": {\n            "y": null\n        }\n    }\n]',
    );
    expect(indentJson('12345678901234567890')).toBe('12345678901234567890');
    expect(indentJson('"caf\\u00e9"')).toBe('"caf\\u00e9"');
  });

  it('is undefined for text that is not one JSON value, so it is shown as it is', () => {
    for (const text of ['', 'plain text', '{"a":1', '{"a":1}}', "{'a':1}", '[1,]', '{"a":1} {"b":2}', '"\\x"']) {
      expect(indentJson(text), text).toBeUndefined();
    }
  });

  it('indents a body of 256 KiB, nested 100 levels deep, without recursion', () => {
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(indentJson(deep)!.split('\n')).toHaveLength(199);
    const big = `[${Array.from({ length: 26_000 }, (_, i) => `{"${i}":${i}}`).join(',')}]`;
    expect(big.length).toBeGreaterThan(256 * 1024);
    expect(withoutAddedSpace(indentJson(big)!)).toBe(big);
  });
});
