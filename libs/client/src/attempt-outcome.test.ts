import { describe, expect, it } from 'vitest';
import { attemptOutcome } from './attempt-outcome';

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

describe('how an attempt ended, in words', () => {
  it('reads the kind of failure, not its text', () => {
    expect(
      attemptOutcome({ errorKind: 'connection-refused', error: 'connect ECONNREFUSED 1.2.3.4:443' }, seconds),
    ).toBe('connection refused');
    expect(attemptOutcome({ errorKind: 'dns', error: 'getaddrinfo ENOTFOUND x' }, seconds)).toBe('host not found');
    expect(
      attemptOutcome(
        { errorKind: 'invalid-response', error: 'Parse Error: Expected HTTP/ (HPE_INVALID_CONSTANT)' },
        seconds,
      ),
    ).toBe('answer was not valid HTTP');
    expect(attemptOutcome({ errorKind: 'timeout', error: 'timeout after 10000 ms', durationMs: 10_004 }, seconds)).toBe(
      'timed out after 10s',
    );
  });

  it('says a DNS lookup whose name server did not answer or failed as such, not as "host not found"', () => {
    const dns = (error: string) => attemptOutcome({ errorKind: 'dns', error }, seconds);
    expect(dns('DNS lookup of x.example: no answer within the 1500 ms timeout (ETIMEOUT)')).toBe(
      'the name server did not answer',
    );
    expect(dns('DNS lookup of x.example: the name server failed (ESERVFAIL)')).toBe('the name server failed');
    expect(dns('DNS lookup of x.example: the name server failed (EREFUSED)')).toBe('the name server failed');
    expect(dns('DNS lookup of x.example: no such name (ENOTFOUND)')).toBe('host not found');
    expect(dns('DNS lookup of x.example: no address (ENODATA)')).toBe('host not found');
    expect(dns('getaddrinfo ENOTFOUND x.example')).toBe('host not found');
    // getaddrinfo's "temporary failure in name resolution": the retry may find it (it said "host not found").
    expect(dns('getaddrinfo EAI_AGAIN x.example')).toBe('temporary name server failure');
  });

  it('names the answer for a response, a redirect as not followed', () => {
    expect(attemptOutcome({ statusCode: 503 }, seconds)).toBe('HTTP 503');
    expect(attemptOutcome({ statusCode: 302, errorKind: 'redirect' }, seconds)).toBe('HTTP 302, not followed');
  });

  it('says when an answer whose status came was then cut short, and that a 2xx delivered all the same (judgeAttempt)', () => {
    expect(attemptOutcome({ statusCode: 200, errorKind: 'timeout', durationMs: 30_002 }, seconds)).toBe(
      'HTTP 200, delivered; then the answer timed out',
    );
    expect(attemptOutcome({ statusCode: 200, errorKind: 'connection-reset' }, seconds)).toBe(
      'HTTP 200, delivered; then the connection was reset',
    );
    expect(attemptOutcome({ statusCode: 204, errorKind: 'invalid-response' }, seconds)).toBe(
      'HTTP 204, delivered; then the answer was not valid HTTP',
    );
    expect(attemptOutcome({ statusCode: 503, errorKind: 'timeout', durationMs: 30_002 }, seconds)).toBe(
      'HTTP 503, then the answer timed out',
    );
  });

  it('shows the text of an attempt recorded before errorKind, and of one of kind other', () => {
    expect(attemptOutcome({ error: 'connect ECONNREFUSED 1.2.3.4:443' }, seconds)).toBe(
      'connect ECONNREFUSED 1.2.3.4:443',
    );
    expect(attemptOutcome({ errorKind: 'other', error: 'odd' }, seconds)).toBe('odd');
    expect(attemptOutcome({}, seconds)).toBe('no response');
  });
});
