/**
 * The message page's body in the browser, sent to it once per change rather than once per refresh.
 *
 * The page reads itself again every second while its message is on its way (router.refresh of a
 * server component), and each answer carried the whole body (up to 256 KiB) three times: the
 * indented view, the "Copy body" value and the "Copy as curl" command. Now the page's answer
 * carries the body's digest, and the body itself only where the browser cannot hold it already:
 * a document load (the first paint, server-rendered with the body) and a message that does not
 * refresh itself (`bodyInAnswer`). Otherwise the browser shows the body it holds for that digest,
 * or reads it from the console's body route (`bodyRoutePath`, route.ts beside the page) once, and
 * makes the indented view, the copy and the curl command from that one text. While a changed body
 * is read, the one held before stays shown, marked as being read.
 *
 * Client and server alike import this file: nothing here reads Node's modules or the session.
 */
import type { Problem } from './types';

/** The header the console's body route names its body's digest in (`bodyDigest`, message-parts.ts). */
export const BODY_DIGEST_HEADER = 'vigil-body-digest';

/**
 * Whether a request for the page is a document load (a browser's navigation, which asks for HTML)
 * rather than Next.js's router reading the page's server components again (a `router.refresh`, a
 * navigation within the console, a server action's answer), which asks for anything (fetch's
 * default) or `text/x-component`. Next.js hides its own `RSC` header from the page (and from the
 * proxy), so the page reads what it is asked for; a request that does not say is a document load.
 */
export const isDocumentRequest = (accept: string | null): boolean => accept === null || accept.includes('text/html');

/** The console's route that answers a message's body as it is sent (app/(console)/messages/[id]/body/route.ts). */
export const bodyRoutePath = (id: string): string => `/messages/${encodeURIComponent(id)}/body`;

/**
 * Whether the page's answer carries the body's text: for a document load, whose first paint shows
 * it; and for a message that does not refresh itself (delivered, failed, cancelled), whose page is
 * read again only when a person navigates to it or acts on it, so that its body is never a read
 * away. A refresh of a message on its way carries its digest only.
 */
export const bodyInAnswer = ({ documentLoad, live }: { documentLoad: boolean; live: boolean }): boolean =>
  documentLoad || !live;

/** A body as the browser holds it: its message, its digest and its text exactly as it is sent. */
export interface HeldBody {
  id: string;
  digest: string;
  text: string;
}

/** What a read of the body route answered. */
export type BodyAnswer =
  | { kind: 'body'; body: HeldBody }
  /** The message has no body (it had one when the page was read: a body is never removed, so rare). */
  | { kind: 'none' }
  | { kind: 'problem'; problem: Problem };

/** The problem+json a route answers with, checked for the fields the page shows (a guard: the browser has no zod). */
const isProblem = (value: unknown): value is Problem =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Problem).type === 'string' &&
  typeof (value as Problem).title === 'string' &&
  typeof (value as Problem).status === 'number' &&
  typeof (value as Problem).detail === 'string';

/** The session ended: the route sends the request to sign in (a redirect, not followed). */
const SESSION_ENDED: Problem = {
  type: 'session-ended',
  status: 401,
  title: 'Your session has ended',
  detail: 'The body could not be read. Reload the page to sign in again.',
};

/**
 * The body route's answer as the page shows it: the text (decoded as UTF-8 with a leading BOM
 * kept, as sent) and its digest; none; or the problem to show, as the page shows any read error.
 * Read with `redirect: 'manual'`: an ended session's redirect to the sign-in page is a problem, not
 * the sign-in page's HTML taken for the body.
 */
export const readBodyAnswer = async (id: string, response: Response): Promise<BodyAnswer> => {
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    return { kind: 'problem', problem: SESSION_ENDED };
  }
  if (response.status === 204) return { kind: 'none' };
  if (response.ok) {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());
    return { kind: 'body', body: { id, digest: response.headers.get(BODY_DIGEST_HEADER) ?? '', text } };
  }
  const answered = await response.text();
  let problem: unknown;
  try {
    problem = JSON.parse(answered);
  } catch {
    problem = undefined;
  }
  if (isProblem(problem)) return { kind: 'problem', problem };
  return {
    kind: 'problem',
    problem: {
      type: 'about:blank',
      status: response.status,
      title: 'The body could not be read',
      detail: `The console answered HTTP ${response.status} when the body was read. Try again in a moment.`,
    },
  };
};

/** The body route could not be reached at all (the network, or the console's server down). */
export const unreachableBodyProblem = (): Problem => ({
  type: 'api-unreachable',
  status: 503,
  title: 'The console could not be reached',
  detail: "The body could not be read: the console's server did not answer.",
});

/** What the page's body part holds: the latest body read or answered for its message, and how the last read went. */
export interface BodyHolding {
  body?: HeldBody;
  /** The digest the last read was made for (its answer may be newer, with another digest: not read again for it). */
  readFor?: string;
  /** What the last read answered, if it was not a body. */
  failed?: { kind: 'none' } | { kind: 'problem'; problem: Problem };
}

/** What the body part shows. */
export type BodyShown =
  | { kind: 'body'; text: string; reading: boolean }
  | { kind: 'reading' }
  | { kind: 'none' }
  | { kind: 'problem'; problem: Problem };

/** The body the page's answer names: its message and digest (none: the message has no body), and its text when the answer carries it. */
export interface PageBody {
  id: string;
  digest?: string;
  text?: string;
}

/**
 * Whether the body must be read from the route: the page names a digest whose text the answer did
 * not carry, nothing held has, and no read was made for yet.
 */
export const bodyNeedsRead = (page: PageBody, holding: BodyHolding, held?: HeldBody): boolean =>
  page.digest !== undefined &&
  page.text === undefined &&
  !(holding.body?.id === page.id && holding.body.digest === page.digest) &&
  held === undefined &&
  holding.readFor !== page.digest;

/**
 * What the body part shows: no body, for a message without one; the page answer's own text; the
 * body held for its digest; a failed read's problem (or "no body"); else, while it is read, the
 * body held before for this message (marked as being read), or "reading" when there is none.
 */
export const bodyShown = (page: PageBody, holding: BodyHolding, held?: HeldBody): BodyShown => {
  if (page.digest === undefined) return { kind: 'none' };
  if (page.text !== undefined) return { kind: 'body', text: page.text, reading: false };
  const mine = holding.body?.id === page.id ? holding.body : undefined;
  if (mine?.digest === page.digest) return { kind: 'body', text: mine.text, reading: false };
  if (held !== undefined) return { kind: 'body', text: held.text, reading: false };
  const readDone = holding.readFor === page.digest;
  if (readDone && holding.failed) return holding.failed;
  // A read for this digest answered a newer body (it changed since the page was read): it is the body now.
  if (mine !== undefined) return { kind: 'body', text: mine.text, reading: !readDone };
  return { kind: 'reading' };
};

/**
 * The bodies this browser tab holds, by message and digest, the least recently used first to go: a
 * page read again after a navigation (back to a message on its way) shows its body at once. A few
 * bodies at most (each up to 256 KiB).
 */
export class HeldBodies {
  private readonly held = new Map<string, HeldBody>();

  constructor(private readonly most = 8) {}

  /** The body held for this message at this digest. */
  get(id: string, digest: string): HeldBody | undefined {
    const body = this.held.get(id);
    if (body?.digest !== digest) return undefined;
    this.held.delete(id);
    this.held.set(id, body);
    return body;
  }

  /** Holds a message's body (in place of the one held for it before). */
  put(body: HeldBody): void {
    this.held.delete(body.id);
    this.held.set(body.id, body);
    for (const [id] of this.held) {
      if (this.held.size <= this.most) break;
      this.held.delete(id);
    }
  }

  get count(): number {
    return this.held.size;
  }
}
