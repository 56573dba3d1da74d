import { describe, expect, it } from 'vitest';
import { decodedPathSegment, isDecodablePath } from './paths';

describe('a path segment', () => {
  it('is decoded, or undefined when it is not valid percent-encoding (a 404, not a crash)', () => {
    expect(decodedPathSegment('msg_01%4A')).toBe('msg_01J');
    expect(decodedPathSegment('%ff')).toBeUndefined();
    expect(decodedPathSegment('%E0%A4%A')).toBeUndefined();
  });
});

describe('a request path', () => {
  it('is decodable when every segment is', () => {
    expect(isDecodablePath('/messages/msg_01%4A')).toBe(true);
    expect(isDecodablePath('/messages/caf%C3%A9/x')).toBe(true);
    expect(isDecodablePath('/')).toBe(true);
  });

  it('is not when any segment is not valid percent-encoding', () => {
    expect(isDecodablePath('/messages/%ff')).toBe(false);
    expect(isDecodablePath('/messages/%E0%A4%A')).toBe(false);
    expect(isDecodablePath('/%ff/messages')).toBe(false);
    expect(isDecodablePath('/messages/100%')).toBe(false);
  });
});
