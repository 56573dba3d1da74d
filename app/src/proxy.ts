/**
 * Next.js's proxy (formerly middleware): runs before a request is routed. A path that is not valid
 * percent-encoding (`/messages/%ff`) cannot be routed: Next.js fails decoding the page's dynamic
 * segment and answers 500 before the page (or sign-in) runs. Here such a path gets the app's own
 * "Page not found", with a 404, like any other address with nothing at it. Every other request
 * carries its page's path to the page (PAGE_PATH_HEADER), so a sign-in can return there.
 */
import type { NextRequest } from 'next/server';
import { NextResponse } from 'next/server';
import { isDecodablePath, PAGE_PATH_HEADER } from '@/lib/paths';

/** A path no page or route has: routing it renders app/not-found.tsx with a 404. */
const NOWHERE = '/_vigil/not-found';

export function proxy(request: NextRequest): NextResponse {
  if (!isDecodablePath(request.nextUrl.pathname)) return NextResponse.rewrite(new URL(NOWHERE, request.url));
  // The page's path, for a sign-in to return to when the session turns out to have ended.
  const headers = new Headers(request.headers);
  headers.set(PAGE_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

// Every path but Next.js's own assets (their names are hashes: always decodable).
export const config = { matcher: '/((?!_next/static|_next/image).*)' };
