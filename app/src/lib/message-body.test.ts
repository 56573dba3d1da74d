/**
 * The message page's body reaches the browser once per change of it, not once per refresh: the
 * page's answer carries it only where the browser cannot hold it, the browser reads it from the
 * console's route only for a digest it does not hold, and shows exactly what was sent or the
 * problem the read met.
 */
import { describe, expect, it } from 'vitest';
import type { BodyHolding, HeldBody } from './message-body';
import {
  BODY_DIGEST_HEADER,
  bodyInAnswer,
  bodyNeedsRead,
  bodyRoutePath,
  bodyShown,
  HeldBodies,
  isDocumentRequest,
  readBodyAnswer,
} from './message-body';

const ID = 'msg_01JF0000000000000000000MB1';
const held = (digest: string, text: string, id = ID): HeldBody => ({ id, digest, text });

describe('what the page answer carries', () => {
  it('carries the body on a document load and for a message no longer on its way, never on a refresh of one on its way', () => {
    expect(bodyInAnswer({ documentLoad: true, live: true })).toBe(true);
    expect(bodyInAnswer({ documentLoad: true, live: false })).toBe(true);
    expect(bodyInAnswer({ documentLoad: false, live: false })).toBe(true);
    expect(bodyInAnswer({ documentLoad: false, live: true })).toBe(false);
  });

  it("tells a browser's document load (it asks for HTML) from Next.js's router reading the page again", () => {
    // Chromium's, Firefox's and Safari's navigations.
    expect(isDocumentRequest('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8')).toBe(true);
    expect(isDocumentRequest('text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8')).toBe(true);
    // router.refresh and a navigation's read (fetch's default), a server action's answer.
    expect(isDocumentRequest('*/*')).toBe(false);
    expect(isDocumentRequest('text/x-component')).toBe(false);
    // Not said: a document, whose first paint shows the body.
    expect(isDocumentRequest(null)).toBe(true);
  });

  it("reads the body from the console's own route for the message", () => {
    expect(bodyRoutePath(ID)).toBe(`/messages/${ID}/body`);
  });
});

describe('when the browser reads the body', () => {
  it('never reads a body the answer carries, or one it holds for the digest, or that of a message without one', () => {
    expect(bodyNeedsRead({ id: ID }, {})).toBe(false);
    expect(bodyNeedsRead({ id: ID, digest: 'd1', text: 'x' }, {})).toBe(false);
    expect(bodyNeedsRead({ id: ID, digest: 'd1' }, { body: held('d1', 'x') })).toBe(false);
    expect(bodyNeedsRead({ id: ID, digest: 'd1' }, {}, held('d1', 'x'))).toBe(false);
  });

  it('reads it once for a digest it does not hold: a changed body, or a message reached by a navigation', () => {
    expect(bodyNeedsRead({ id: ID, digest: 'd2' }, { body: held('d1', 'x') })).toBe(true);
    expect(bodyNeedsRead({ id: ID, digest: 'd1' }, {})).toBe(true);
    // Another message's body is not this one's.
    expect(bodyNeedsRead({ id: ID, digest: 'd1' }, { body: held('d1', 'x', 'msg_other') })).toBe(true);
  });

  it('does not read again for a digest it read for: not when the read answered a newer body, nor after a problem until asked', () => {
    expect(bodyNeedsRead({ id: ID, digest: 'd2' }, { body: held('d3', 'newer'), readFor: 'd2' })).toBe(false);
    const failed: BodyHolding = {
      readFor: 'd2',
      failed: { kind: 'problem', problem: { type: 't', title: 'Busy', status: 503, detail: 'busy' } },
    };
    expect(bodyNeedsRead({ id: ID, digest: 'd2' }, failed)).toBe(false);
    // "Try again" forgets the read.
    expect(bodyNeedsRead({ id: ID, digest: 'd2' }, {})).toBe(true);
  });
});

describe('what the body part shows', () => {
  it('says "no body" for a message without one', () => {
    expect(bodyShown({ id: ID }, { body: held('d1', 'an earlier one') })).toEqual({ kind: 'none' });
  });

  it('shows the text the answer carries, else the one held for the digest, as it is', () => {
    expect(bodyShown({ id: ID, digest: 'd1', text: '{"b":1,"1":2}' }, {})).toEqual({
      kind: 'body',
      text: '{"b":1,"1":2}',
      reading: false,
    });
    expect(bodyShown({ id: ID, digest: 'd1' }, { body: held('d1', 'kept') })).toEqual({
      kind: 'body',
      text: 'kept',
      reading: false,
    });
    expect(bodyShown({ id: ID, digest: 'd1' }, {}, held('d1', 'from this tab'))).toEqual({
      kind: 'body',
      text: 'from this tab',
      reading: false,
    });
  });

  it('keeps the body it showed while a changed one is read, marked as being read, and says "reading" when it has none', () => {
    expect(bodyShown({ id: ID, digest: 'd2' }, { body: held('d1', 'before') })).toEqual({
      kind: 'body',
      text: 'before',
      reading: true,
    });
    expect(bodyShown({ id: ID, digest: 'd2' }, {})).toEqual({ kind: 'reading' });
    expect(bodyShown({ id: ID, digest: 'd2' }, { body: held('d1', 'another message', 'msg_other') })).toEqual({
      kind: 'reading',
    });
  });

  it('shows a body read after the page as the body now (it changed again since the page was read)', () => {
    expect(bodyShown({ id: ID, digest: 'd2' }, { body: held('d3', 'newest'), readFor: 'd2' })).toEqual({
      kind: 'body',
      text: 'newest',
      reading: false,
    });
  });

  it("shows the read's problem in place of the body, and no body when the read found none", () => {
    const problem = { type: 'https://vigil.dev/problems/unavailable', title: 'Busy', status: 503, detail: 'busy' };
    expect(
      bodyShown(
        { id: ID, digest: 'd2' },
        { body: held('d1', 'before'), readFor: 'd2', failed: { kind: 'problem', problem } },
      ),
    ).toEqual({ kind: 'problem', problem });
    expect(bodyShown({ id: ID, digest: 'd2' }, { readFor: 'd2', failed: { kind: 'none' } })).toEqual({ kind: 'none' });
  });
});

describe("the body route's answer", () => {
  it('is the text exactly as sent, a leading byte order mark, escapes and digits kept, with its digest', async () => {
    const text = '\uFEFF{"b":1,"1":2,"n":12345678901234567890,"note":"caf\\u00e9 ☕"}';
    const answer = await readBodyAnswer(
      ID,
      new Response(text, { headers: { 'content-type': 'text/plain; charset=utf-8', [BODY_DIGEST_HEADER]: 'd1' } }),
    );
    expect(answer).toEqual({ kind: 'body', body: { id: ID, digest: 'd1', text } });
  });

  it('is no body for a 204', async () => {
    expect(await readBodyAnswer(ID, new Response(null, { status: 204 }))).toEqual({ kind: 'none' });
  });

  it('is the problem the route answered, in its words', async () => {
    const problem = {
      type: 'https://vigil.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No such message.',
    };
    const answer = await readBodyAnswer(
      ID,
      new Response(JSON.stringify(problem), { status: 404, headers: { 'content-type': 'application/problem+json' } }),
    );
    expect(answer).toEqual({ kind: 'problem', problem });
  });

  it('is a problem in words for an answer that is no problem+json (a proxy page), never taken for the body', async () => {
    const answer = await readBodyAnswer(ID, new Response('<html>Bad gateway</html>', { status: 502 }));
    expect(answer).toMatchObject({ kind: 'problem', problem: { status: 502, title: 'The body could not be read' } });
    expect(JSON.stringify(answer)).not.toContain('<html>');
  });

  it('is "your session has ended" for the redirect to sign in, never the sign-in page taken for the body', async () => {
    const redirect = new Response(null, { status: 307, headers: { location: '/signin?error=SessionExpired' } });
    expect(await readBodyAnswer(ID, redirect)).toMatchObject({
      kind: 'problem',
      problem: { status: 401, title: 'Your session has ended' },
    });
  });
});

describe("the tab's held bodies", () => {
  it("hands a message's body back for its digest only, one per message, the least recently used going first", () => {
    const bodies = new HeldBodies(2);
    bodies.put(held('d1', 'one', 'msg_a'));
    bodies.put(held('d1', 'two', 'msg_b'));
    expect(bodies.get('msg_a', 'd2')).toBeUndefined();
    expect(bodies.get('msg_a', 'd1')?.text).toBe('one');
    // A third message: msg_b, the least recently used, goes.
    bodies.put(held('d1', 'three', 'msg_c'));
    expect(bodies.get('msg_b', 'd1')).toBeUndefined();
    expect(bodies.get('msg_a', 'd1')?.text).toBe('one');
    // A changed body takes its message's place.
    bodies.put(held('d2', 'one, changed', 'msg_a'));
    expect(bodies.get('msg_a', 'd1')).toBeUndefined();
    expect(bodies.count).toBe(2);
  });
});
