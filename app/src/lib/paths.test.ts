import { describe, expect, it } from 'vitest';
import { decodedPathSegment, isDecodablePath, returnPath, signInHref, signInReturnPath } from './paths';

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

describe('where the sign-in page returns to', () => {
  const kept = 'http://localhost:3000/keys?x=1';

  it('is its `from`, or on an error page without one, the page next-auth kept in its callback cookie', () => {
    expect(signInReturnPath({ from: '/messages' }, kept)).toBe('/messages');
    expect(signInReturnPath({ error: 'ApiUnreachable', from: '/messages' }, kept)).toBe('/messages');
    expect(signInReturnPath({ error: 'ApiUnreachable' }, kept)).toBe('/keys?x=1');
    expect(signInReturnPath({ error: 'CredentialsSignin' }, kept)).toBe('/keys?x=1');
    expect(signInReturnPath({ error: 'ApiUnreachable' }, undefined)).toBe('/');
  });

  it('is not the cookie without an error, nor for an ended session (whose link says where itself)', () => {
    expect(signInReturnPath({}, kept)).toBe('/');
    expect(signInReturnPath({ error: 'SessionExpired' }, kept)).toBe('/');
  });

  it('is only ever a path of this app, whatever the cookie holds', () => {
    const from = (cookie: string) => signInReturnPath({ error: 'Callback' }, cookie);
    expect(from('https://evil.example/x')).toBe('/x');
    expect(from('http://localhost:3000//evil.example/x')).toBe('/');
    expect(from('http://localhost:3000/\\evil.example')).toBe('/');
    expect(from('http://localhost:3000/signin?error=x')).toBe('/');
    expect(from('http://[bad')).toBe('/');
  });
});
