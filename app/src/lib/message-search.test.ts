import { describe, expect, it } from 'vitest';
import { decodedPathSegment } from './message-search';

describe('a message page path segment', () => {
  it('is decoded, or undefined when it is not valid percent-encoding (a 404, not a crash)', () => {
    expect(decodedPathSegment('msg_01%4A')).toBe('msg_01J');
    expect(decodedPathSegment('%ff')).toBeUndefined();
  });
});
