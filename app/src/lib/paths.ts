/**
 * Paths as the browser sends them: percent-encoded. A segment that is not valid percent-encoding
 * (`%ff`, a cut-off `%E0%A4%A`) decodes to nothing, and Next.js cannot route a path holding one.
 */

/** A path segment as a page's params hold it, decoded; undefined when it is not valid percent-encoding (`%ff`). */
export const decodedPathSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/** True when every segment of a request's (still encoded) pathname decodes. */
export const isDecodablePath = (pathname: string): boolean =>
  !pathname.includes('%') || pathname.split('/').every((segment) => decodedPathSegment(segment) !== undefined);

/** The request header the proxy puts the page's own path and query in, for a sign-in to return to. */
export const PAGE_PATH_HEADER = 'x-vigil-page';

/**
 * Where a sign-in returns to: a path of this app (`/messages/msg_1?x=1`), never another site
 * (`//evil.example`, `https://…`, `/\\evil`); `/` otherwise.
 */
export const returnPath = (path: string | undefined | null): string =>
  path && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') && !path.startsWith('/signin')
    ? path
    : '/';

/** The sign-in page, returning to `path` once signed in; `expired`: the session ended there (it says so). */
export const signInHref = (path: string | undefined | null, { expired = false } = {}): string => {
  const params = new URLSearchParams();
  if (expired) params.set('error', 'SessionExpired');
  const from = returnPath(path);
  if (from !== '/') params.set('from', from);
  return `/signin${params.size > 0 ? `?${params}` : ''}`;
};
