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

/** A query parameter as a page gets it (a list when the URL gives it twice): its first value. */
export const firstValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * Where a sign-in returns to: a path of this app (`/messages/msg_1?x=1`), never another site
 * (`//evil.example`, `https://…`, `/\\evil`); `/` otherwise.
 */
export const returnPath = (path: string | undefined | null): string =>
  path && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') && !path.startsWith('/signin')
    ? path
    : '/';

/** next-auth's cookie keeping where a sign-in is to go (its callbackUrl, absolute): `__Secure-` over https. */
export const CALLBACK_URL_COOKIES = ['__Secure-next-auth.callback-url', 'next-auth.callback-url'] as const;

/**
 * Where the sign-in page returns to once signed in: its `from`; or, on a page next-auth's error
 * redirect led to (`/signin?error=…`, which drops the page the person came from), the path of the
 * callbackUrl next-auth kept in its cookie, so a retry that works lands there and not on `/`. Not
 * for SessionExpired (whose link sets `from` itself: without one, the session ended on `/`). Only
 * the URL's path and query are kept, and only a path of this app (returnPath): never another site.
 */
export const signInReturnPath = (
  { error, from }: { error?: string | undefined; from?: string | undefined },
  callbackUrl: string | undefined,
): string => {
  if (from !== undefined || !error || error === 'SessionExpired' || !callbackUrl) return returnPath(from);
  try {
    const url = new URL(callbackUrl, 'http://localhost');
    return returnPath(`${url.pathname}${url.search}`);
  } catch {
    return '/';
  }
};

/** The sign-in page, returning to `path` once signed in; `expired`: the session ended there (it says so). */
export const signInHref = (path: string | undefined | null, { expired = false } = {}): string => {
  const params = new URLSearchParams();
  if (expired) params.set('error', 'SessionExpired');
  const from = returnPath(path);
  if (from !== '/') params.set('from', from);
  return `/signin${params.size > 0 ? `?${params}` : ''}`;
};
