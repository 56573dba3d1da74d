import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { proxy } from './proxy';

const rewriteOf = (path: string) =>
  proxy(new NextRequest(`http://localhost:3000${path}`)).headers.get('x-middleware-rewrite') ?? undefined;

describe("the web app's proxy", () => {
  it('sends a path that is not valid percent-encoding to the 404 page, before Next.js routes it', () => {
    expect(rewriteOf('/messages/%ff')).toBe('http://localhost:3000/_vigil/not-found');
    expect(rewriteOf('/messages/%E0%A4%A?x=1')).toBe('http://localhost:3000/_vigil/not-found');
  });

  it('lets every other path through as it is', () => {
    expect(rewriteOf('/messages/msg_01%4A')).toBeUndefined();
    expect(rewriteOf('/messages?status=failed')).toBeUndefined();
  });
});
