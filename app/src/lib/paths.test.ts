import { describe, expect, it } from 'vitest';
import { decodedPathSegment, isDecodablePath, returnPath, signInHref } from './paths';

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

describe('where a sign-in returns to', () => {
  it('is the page the session ended on, a path of this app only', () => {
    expect(signInHref('/messages/msg_01J?x=1', { expired: true })).toBe(
      '/signin?error=SessionExpired&from=%2Fmessages%2Fmsg_01J%3Fx%3D1',
    );
    expect(signInHref('/keys')).toBe('/signin?from=%2Fkeys');
    expect(signInHref('/', { expired: true })).toBe('/signin?error=SessionExpired');
    expect(signInHref(null)).toBe('/signin');
    for (const elsewhere of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/signin?from=/x', 'x'])
      expect(returnPath(elsewhere)).toBe('/');
    expect(returnPath('/messages?status=failed')).toBe('/messages?status=failed');
  });
});
