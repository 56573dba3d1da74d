/**
 * The local gateway's CORS, answered as the deployment answers a browser (infra/api.ts): every
 * answer, a function's and the gateway's own refusals alike (400, 401, 404, 405, 408, 413, 429,
 * 431, 502, 503; those written on the socket too), allows the web origin and exposes `Retry-After`
 * and `RateLimit-*` to its script, as the handlers' answers (functions/api/http.ts) and the gateway
 * responses do; and an OPTIONS on a /v1 route's path is a browser's preflight, answered as
 * serverless's mock method answers it: 200, the path's methods, the headers a script may send
 * (CORS_ALLOWED_HEADERS), to be kept 600 s, with no key asked for, no turn taken and nothing
 * counted against a rate.
 *
 * The origin allowed is `VIGIL_WEB_ORIGIN` when set (the deployment's `webOrigin`: the console's
 * origin there), named in every answer whoever asks, as on AWS. Unset, it is any page served from
 * this machine (http or https on localhost, 127.0.0.1 or [::1], any port: the local console at
 * http://localhost:3000 and a developer's own app at, say, http://localhost:5173), each named back
 * to itself; a page from anywhere else is allowed nothing (its script can neither call nor read).
 *
 * A VIGIL_WEB_ORIGIN that is not this machine (an app under development served from a LAN or
 * public host, calling the local API) is a page in a less private address space than the gateway
 * on loopback: Chromium's Private Network Access asks its preflights for leave
 * (`Access-Control-Request-Private-Network: true`) and blocks the call unless the answer grants it
 * (`Access-Control-Allow-Private-Network: true`). The gateway grants it to that origin's preflights
 * that ask, and to no other origin's.
 */
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE_S } from '@vigil/core';
import type { APIGatewayProxyResult } from 'aws-lambda';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `origin` (a request's Origin header) is a page served from this machine. */
export const isLoopbackOrigin = (origin: string): boolean => {
  try {
    const url = new URL(origin);
    return url.origin === origin && ['http:', 'https:'].includes(url.protocol) && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
};

/** An HTTP/1.x request line: method, target, version (RFC 9112 §3). */
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/\d\.\d$/;

/**
 * The Origin of a request Node's parser gave up on (its error's rawPacket, the bytes it was reading,
 * and bytesParsed, where in them it stopped), for the CORS headers of the problem written for it on
 * the socket: Node hands on no header of a request it could not parse, so it is read here from the
 * head of the request that failed (from the end of the head before the point it stopped) as far as
 * those bytes hold whole lines of it, past that point too (a head over the limit is refused at its
 * big header, and a browser may send Origin after it). None when that head does not begin with a
 * request line (the bytes are not HTTP, or the request began in bytes read before: nothing to read
 * a header in), or names no Origin, or more than one. An origin read wrongly only names a page its
 * browser then refuses, as with none.
 */
export const originOfUnparsed = (bytes: Buffer | undefined, stoppedAt: number | undefined): string | undefined => {
  if (bytes === undefined) return undefined;
  const text = bytes.toString('latin1');
  const at = Math.min(stoppedAt ?? text.length, text.length);
  const before = at >= 4 ? text.lastIndexOf('\r\n\r\n', at - 4) : -1;
  const start = before < 0 ? 0 : before + 4;
  const end = text.indexOf('\r\n\r\n', start);
  const head = text.slice(start, end >= 0 ? end : Math.max(start, text.lastIndexOf('\r\n')));
  const [requestLine, ...fields] = head.split('\r\n');
  if (requestLine === undefined || !REQUEST_LINE.test(requestLine)) return undefined;
  const origins = fields.flatMap((field) => /^origin:[ \t]*(.*?)[ \t]*$/i.exec(field)?.[1] ?? []);
  return origins.length === 1 ? origins[0] : undefined;
};

/** The deployment's preflights are the /v1 routes' (corsFor in infra/api.ts): /health and /canary-receiver have none. */
export const hasPreflight = (pathname: string): boolean => pathname.startsWith('/v1/');

export interface GatewayCors {
  /** The CORS headers of every answer to a request from `origin` (its Origin header, if it sent one). */
  headersFor(origin: string | undefined): Record<string, string>;
  /**
   * The answer to a preflight on a path whose routes take `methods` (its headersFor are added as
   * for any answer), from `origin`, asking leave for a private network or not (`privateNetwork`).
   */
  preflight(
    methods: readonly string[],
    asking: { origin: string | undefined; privateNetwork: boolean },
  ): APIGatewayProxyResult;
}

export const gatewayCors = (webOrigin: string | undefined): GatewayCors => {
  const allowing = (origin: string) => ({
    'access-control-allow-origin': origin,
    'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', '),
    // An answer differs with the Origin it was asked from (a cache must not hand one to another page).
    vary: 'Origin',
  });
  return {
    headersFor: (origin) => {
      if (webOrigin !== undefined) return allowing(webOrigin);
      return origin !== undefined && isLoopbackOrigin(origin) ? allowing(origin) : { vary: 'Origin' };
    },
    // serverless's preflight (its cors.js): OPTIONS then the path's methods, joined with commas alone.
    preflight: (methods, { origin, privateNetwork }) => ({
      statusCode: 200,
      headers: {
        'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(','),
        'access-control-allow-methods': ['OPTIONS', ...methods].join(','),
        'access-control-max-age': String(CORS_MAX_AGE_S),
        'content-type': 'application/json',
        // Only the web origin, and only one not of this machine (a page of this machine is in the
        // gateway's own address space: its browser never asks).
        ...(privateNetwork &&
          webOrigin !== undefined &&
          origin === webOrigin &&
          !isLoopbackOrigin(webOrigin) && { 'access-control-allow-private-network': 'true' }),
      },
      body: '',
    }),
  };
};
