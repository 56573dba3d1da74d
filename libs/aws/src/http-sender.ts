/**
 * The HTTP delivery target on `node:http` / `node:https` with one keep-alive Agent per protocol (the hot path:
 * about 3.5x the rate of fetch, see PERFORMANCE.md), which can open a send's connection ahead of it
 * (connections-ahead.ts). Every send is bounded by its timeout from
 * connect to the last byte of the snippet, by the clock: a deadline that passed during a stall of the
 * process gives no time back, but first reads what came meanwhile (stall-aware-deadline.ts). It never
 * throws, never follows redirects, and (unless the deployment allows private targets) refuses any
 * target whose resolved address is not public. Names are resolved off Node's thread pool, each
 * lookup bounded by the send's timeout (target-resolver.ts).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import type {
  AttemptErrorKind,
  DeliveryTarget,
  OutboundRequest,
  ReservedEndpoint,
  SendResult,
  TargetPolicy,
} from '@vigil/core';
import { boundResponseHeaders, classifyTargetAddress, reservedEndpointAt, truncateUtf8 } from '@vigil/core';
import { HttpAgentAhead, HttpsAgentAhead } from './connections-ahead';
import { stallAwareDeadline } from './stall-aware-deadline';
import { DnsLookupError, systemLookup, TargetResolver } from './target-resolver';

export interface NodeHttpSenderOptions {
  /** Lets targets resolve to loopback, private, link-local... addresses (the local stack). */
  allowPrivateTargets: boolean;
  /** The local stack's own ports, refused on loopback and this host's addresses even so. */
  reservedEndpoints?: readonly ReservedEndpoint[];
  /** This host's addresses (default: its network interfaces', read once). */
  localAddresses?: readonly string[];
  /** Sent as `user-agent` when the request carries none of its own. */
  userAgent?: string;
  /** How much of the response body to keep, in bytes (default 1024). */
  maxSnippetBytes?: number;
  /** Connections open to one origin at once; more requests wait for one (default MAX_CONNECTIONS_PER_ORIGIN). */
  maxConnectionsPerOrigin?: number;
  /** The name servers targets' names are asked of (default: the system's, `dns.getServers()`). */
  dnsServers?: readonly string[];
  /** The hosts file whose names resolve as it says, without a query (default /etc/hosts). */
  hostsFile?: string;
  /**
   * This host's addresses, by whose families a name's addresses are connected to (default: its
   * network interfaces', read once; apart from `localAddresses`, which a deployment without
   * reserved ports leaves empty).
   */
  interfaceAddresses?: readonly string[];
}

/**
 * Connections to one origin at once: a burst of 1,000 to one receiver measured fastest at 64 (of
 * 16, 64, 256). On AWS a deliver invocation holds at most 10 tickets, so only the local stack's
 * one worker meets it, with more than 64 requests to one origin on the wire at once.
 */
export const MAX_CONNECTIONS_PER_ORIGIN = 64;

/** A target that resolves to an address outside the public internet. */
export class TargetNotAllowedError extends Error {
  override readonly name = 'TargetNotAllowedError';
  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super(`target address not allowed: ${address} is ${range}`);
  }
}

/** Why this address:port may not be connected to under the policy, as an error; undefined if it may. */
const refusal = (address: string, port: number, policy: TargetPolicy): TargetNotAllowedError | undefined => {
  const reserved = reservedEndpointAt(address, port, policy);
  if (reserved) return new TargetNotAllowedError(`${address} port ${port}`, `this local stack's own ${reserved.name}`);
  if (policy.allowPrivateTargets) return undefined;
  const range = classifyTargetAddress(address);
  return range === 'public' ? undefined : new TargetNotAllowedError(address, range);
};

const firstRefused = (addresses: readonly string[], port: number, policy: TargetPolicy) =>
  addresses.map((address) => refusal(address, port, policy)).find((error) => error !== undefined);

/** The lookups of a send's own connection under way, so its timeout can say the name never resolved. */
interface LookupsUnderWay {
  pending: number;
}

/**
 * How long past its send's deadline a send's own lookup is bounded: the deadline comes first, and
 * says the name never resolved (a lookup for a connection opened ahead, which no deadline watches,
 * is bounded by its own, which comes before the send's).
 */
const LOOKUP_PAST_DEADLINE_MS = 1_000;

/** What a lookup that had no answer within the send's timeout says. */
const noAnswerWithin = (timeoutMs: number) => `no answer within the ${timeoutMs} ms timeout`;

/** What a lookup that had no answer within the send's timeout is recorded as. */
const lookupTimedOut = (host: string, timeoutMs: number) =>
  new DnsLookupError(host, dns.TIMEOUT, noAnswerWithin(timeoutMs));

/**
 * Resolves with the TargetResolver, by `deadline` (off Node's thread pool: see target-resolver.ts),
 * and, under a policy, fails if any address may not be a target (not public, or the local stack's
 * own service on this port). The socket connects only to addresses that passed, so a name
 * re-pointed (DNS rebinding) between checks cannot slip by.
 */
const targetLookup =
  (
    resolver: TargetResolver,
    port: number,
    policy: TargetPolicy | undefined,
    { timeoutMs, deadline }: { timeoutMs: number; deadline: number },
    underWay?: LookupsUnderWay,
  ): LookupFunction =>
  (hostname, options, callback) => {
    if (underWay) underWay.pending += 1;
    const withinMs = deadline + (underWay ? LOOKUP_PAST_DEADLINE_MS : 0) - performance.now();
    const wanted =
      options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    resolver.resolve(hostname, withinMs, noAnswerWithin(timeoutMs)).then(
      (all) => {
        if (underWay) underWay.pending -= 1;
        const refused =
          policy &&
          firstRefused(
            all.map((a) => a.address),
            port,
            policy,
          );
        if (refused) return callback(refused, '');
        const connectable = resolver.connectable(all);
        const addresses = wanted === 0 ? connectable : connectable.filter((a) => a.family === wanted);
        const [first] = addresses;
        if (!first) return callback(new DnsLookupError(hostname, dns.NODATA, `no IPv${wanted} address`), '');
        if (options.all) return callback(null, addresses);
        callback(null, first.address, first.family);
      },
      (err: DnsLookupError) => {
        if (underWay) underWay.pending -= 1;
        callback(err, '');
      },
    );
  };

/** This host's own addresses: with a reserved port they reach the stack's services as loopback does. */
export const hostAddresses = (): string[] =>
  Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.replace(/%.*$/, '')));

/** Node's messages mostly name the code ('connect ECONNREFUSED 1.2.3.4:443'); make sure they all do. */
const describeError = (err: NodeJS.ErrnoException): string => {
  const inner = err instanceof AggregateError ? err.errors.map((e: Error) => e.message).join('; ') : '';
  const message = err.message || inner || 'request failed';
  return err.code && !message.includes(err.code) ? `${message} (${err.code})` : message;
};

/** Node's error codes by the kind of failure they are (anything not listed is `other`). */
const KIND_OF_CODE: Record<string, AttemptErrorKind> = {
  ECONNREFUSED: 'connection-refused',
  ECONNRESET: 'connection-reset',
  EPIPE: 'connection-reset',
  ECONNABORTED: 'connection-reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EAI_NODATA: 'dns',
  ETIMEDOUT: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EPROTO: 'tls',
  ERR_INVALID_CHAR: 'invalid-request',
  ERR_INVALID_HTTP_TOKEN: 'invalid-request',
  ERR_HTTP_INVALID_HEADER_VALUE: 'invalid-request',
  ERR_INVALID_URL: 'invalid-request',
  ERR_UNESCAPED_CHARACTERS: 'invalid-request',
};

/**
 * What kind of failure a Node error is, by its code: TLS failures by their families (`ERR_TLS_*`,
 * `ERR_SSL_*`, OpenSSL's certificate codes); an AggregateError (every address of a host tried) by
 * its first error that has a code.
 */
export const errorKindOf = (err: NodeJS.ErrnoException): AttemptErrorKind => {
  if (err instanceof TargetNotAllowedError) return 'blocked-target';
  // Its codes are c-ares's, some named as socket errors are (ECONNREFUSED: the name server refused).
  if (err instanceof DnsLookupError) return 'dns';
  const inner =
    err instanceof AggregateError ? (err.errors as NodeJS.ErrnoException[]).find((e) => e?.code) : undefined;
  const code = err.code ?? inner?.code;
  if (code === undefined) return 'other';
  const known = KIND_OF_CODE[code];
  if (known) return known;
  if (/^(ERR_TLS_|ERR_SSL_)|CERT|^DEPTH_ZERO_SELF_SIGNED|_SIGNATURE$|^UNABLE_TO_/.test(code)) return 'tls';
  // Node's HTTP parser (llhttp): the answer was not HTTP (HPE_INVALID_CONSTANT, HPE_HEADER_OVERFLOW, ...).
  if (code.startsWith('HPE_')) return 'invalid-response';
  return 'other';
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A header value's bytes, which Node gives a character each (latin1), as text: read as UTF-8 when
 * they are UTF-8 (a receiver's `café` was kept as `cafÃ©`), one character a byte when not.
 */
const headerText = (latin1: string): string => {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1;
  }
};

/** A failure without a usable response, as a send result: its text and its kind. */
const failure = (err: NodeJS.ErrnoException, permanent = false): SendResult => ({
  error: describeError(err),
  errorKind: errorKindOf(err),
  ...(permanent && { permanent }),
});

/**
 * The decoder for a body in the charset its `content-type` names, when that is one TextDecoder
 * reads other than UTF-8 (`iso-8859-1`, read as browsers do as windows-1252; `utf-16le`;
 * `shift_jis`); undefined for UTF-8, no charset, or one it does not know.
 */
const charsetDecoder = (contentType: string | undefined): TextDecoder | undefined => {
  const charset = contentType?.match(/;\s*charset\s*=\s*"?([^";\s]+)/i)?.[1];
  if (charset === undefined) return undefined;
  try {
    const decoder = new TextDecoder(charset, { ignoreBOM: true });
    return decoder.encoding === 'utf-8' ? undefined : decoder;
  } catch {
    return undefined; // a charset TextDecoder does not know: read as UTF-8
  }
};

/** What a response's headers say of how to read its body. */
interface BodyCoding {
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** The most a compressed snippet is decompressed to: past it (a bomb), its bytes are kept as they came. */
const DECOMPRESSED_MAX_BYTES = 1 << 20;

const INFLATING = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: DECOMPRESSED_MAX_BYTES };

/**
 * How to read a body sent compressed, though Vigil asks for no compression (it sends no
 * `accept-encoding`): a proxy's or a framework's gzip was kept as bytes, mostly U+FFFD. Each reads
 * as much as the snippet's bytes hold (a stream cut short is no error), to DECOMPRESSED_MAX_BYTES
 * (1 KiB of brotli can stand for gigabytes).
 */
const DECOMPRESS: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: (bytes) => zlib.gunzipSync(bytes, INFLATING),
  'x-gzip': (bytes) => zlib.gunzipSync(bytes, INFLATING),
  deflate: (bytes) => zlib.inflateSync(bytes, INFLATING),
  br: (bytes) =>
    zlib.brotliDecompressSync(bytes, {
      finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      maxOutputLength: DECOMPRESSED_MAX_BYTES,
    }),
};

/** The body's bytes, decompressed when its `content-encoding` is one coding DECOMPRESS reads, and they are in it. */
const decodedBody = (bytes: Buffer, contentEncoding: string | undefined): Buffer => {
  const coding = contentEncoding?.trim().toLowerCase() ?? '';
  const decompress = Object.hasOwn(DECOMPRESS, coding) ? DECOMPRESS[coding] : undefined;
  if (!decompress) return bytes;
  try {
    return decompress(bytes);
  } catch {
    return bytes; // not in that coding after all, or a bomb: kept as it came
  }
};

/**
 * The first `max` bytes as text, in the charset the `content-type` names (UTF-8 without one: a
 * receiver's `charset=iso-8859-1` page was kept with U+FFFD for every accented letter), without a
 * broken character at the cut, and at most `max` bytes once decoded too: each invalid byte decodes
 * to U+FFFD, three bytes in UTF-8, so a KiB of binary would otherwise be stored as three.
 */
const decodeSnippet = (chunks: Buffer[], max: number, { contentType, contentEncoding }: BodyCoding): string => {
  const bytes = decodedBody(Buffer.concat(chunks).subarray(0, max), contentEncoding).subarray(0, max);
  const decoder = charsetDecoder(contentType);
  // Both hold back a character the cut splits (`stream`: more may come), rather than mark it invalid.
  const text = decoder ? decoder.decode(bytes, { stream: true }) : new StringDecoder('utf8').write(bytes);
  return truncateUtf8(text, max);
};

/** A year: the longest wait a `Retry-After` is read as (the engine caps it at its backoff's maximum). */
const RETRY_AFTER_MAX_MS = 366 * 24 * 3_600_000;

/** asctime's form of an HTTP-date (`Sun Nov  6 08:49:37 1994`): the one that names no zone. */
const ASCTIME_DATE = /^[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/i;

/**
 * RFC 9110's three forms of an HTTP-date, whole (`Date.parse` alone reads a fragment such as
 * `Wed, 1` as a date in 2001): IMF-fixdate, the obsolete RFC 850 form, and asctime's.
 */
const HTTP_DATE_FORMS = [
  /^[a-z]{3}, \d{2} [a-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/i,
  /^[a-z]{6,9}, \d{2}-[a-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/i,
  ASCTIME_DATE,
];

/**
 * `Retry-After` as a wait in ms from now: delta-seconds (`120`) or an HTTP-date (RFC 9110); a
 * date in the past is 0; anything else is ignored (undefined).
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, RETRY_AFTER_MAX_MS);
  if (!HTTP_DATE_FORMS.some((form) => form.test(text))) return undefined;
  // Every HTTP-date is GMT, but `Date.parse` reads one without a zone in the process's own: under
  // TZ=Asia/Tokyo a wait of a minute became none, and the retry came early.
  const at = Date.parse(ASCTIME_DATE.test(text) ? `${text} GMT` : text);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), RETRY_AFTER_MAX_MS);
};

/** What the sender reads of an answer's head: the headers kept for the attempt, how to read its body, its Retry-After. */
interface HeadRead {
  kept: Pick<SendResult, 'responseHeaders' | 'responseHeadersOmitted'>;
  coding: BodyCoding;
  retryAfterMs: number | undefined;
  /** A header's first value, as Node's `headers` keeps the single-valued ones (`content-type`, `upgrade`...). */
  first: (name: string) => string | undefined;
}

/**
 * An answer's head, from its header lines as they came (`rawHeaders`' shape: name, value, name,
 * value...), read once: the headers kept (names lower-cased, repeats joined, values as text,
 * bounded for the attempt) and those read for the body's coding and Retry-After, from the same
 * list. Not from Node's `headers`, which keeps only the first of some repeated names (a second
 * `content-type` or `location` was dropped unseen) and cannot hold a `__proto__`, which the bound
 * then counts as left out.
 */
const readHead = (statusCode: number | undefined, raw: readonly string[]): HeadRead => {
  const all = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = headerText(raw[i + 1] as string);
    const before = all.get(name);
    if (before) before.push(value);
    else all.set(name, [value]);
  }
  const first = (name: string) => all.get(name)?.[0];
  const { headers, omitted } = boundResponseHeaders(
    Object.fromEntries([...all].map(([name, values]) => [name, values.join(', ')])),
  );
  return {
    kept: { responseHeaders: headers, ...(omitted > 0 && { responseHeadersOmitted: omitted }) },
    coding: { contentType: first('content-type'), contentEncoding: first('content-encoding') },
    // Only a 429 or 503 asks to wait (RFC 9110 §10.2.3); every other answer skips the parse.
    retryAfterMs:
      statusCode === 429 || statusCode === 503 ? parseRetryAfter(first('retry-after'), Date.now()) : undefined,
    first,
  };
};

/** What came of an answer whose head was over what Vigil reads of one: its status and header lines. */
interface HeadPastLimit {
  statusCode: number;
  /** Its header lines that came whole, in `rawHeaders`' shape. */
  rawHeaders: string[];
}

/**
 * The answer's head in what came before Node's parser gave up on it (past MAX_BYTES_BEFORE_STATUS):
 * its status and the header lines that came whole, the informational (1xx) heads before it passed
 * over as Node passes over them; undefined when no final answer's status line came. Node's parser
 * read those bytes before it gave up, so they are HTTP as far as they go: only their lines are told apart here.
 */
const headPastLimit = (bytes: Buffer): HeadPastLimit | undefined => {
  const text = bytes.toString('latin1');
  // llhttp passes over empty lines before a status line; a reason phrase may be cut by the limit.
  const statusLine = /(?:\r?\n)*HTTP\/\d\.\d ([1-9]\d\d)(?=[ \r\n]|$)/y;
  for (let at = 0; ;) {
    statusLine.lastIndex = at;
    const status = statusLine.exec(text);
    if (!status) return undefined;
    const statusCode = Number(status[1]);
    const rawHeaders: string[] = [];
    let lineEnd = text.indexOf('\n', statusLine.lastIndex);
    let ended = false;
    while (lineEnd !== -1) {
      const next = text.indexOf('\n', lineEnd + 1);
      if (next === -1) break; // a line the limit cut
      const line = text.slice(lineEnd + 1, next).replace(/\r$/, '');
      lineEnd = next;
      if (line === '') {
        ended = true;
        break;
      }
      const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
      if (header) rawHeaders.push(header[1] as string, header[2] as string);
    }
    // A 101 ends HTTP: it is the answer, as Node's 'upgrade' reads it.
    if (statusCode >= 200 || statusCode === 101) return { statusCode, rawHeaders };
    if (!ended) return undefined;
    at = lineEnd + 1;
  }
};

/**
 * Idle keep-alive sockets are dropped well before common server keep-alive timeouts (Node's is
 * 5 s), so a reused socket is almost never one the server is closing. A send that fails on one
 * anyway is not retried here: a reset cannot tell "the server closed it before reading" from "the
 * server read the request, then reset", and a blind retry would deliver the same attempt twice.
 * The failure is recorded and the backoff retries it as the next attempt.
 */
const IDLE_SOCKET_MS = 2_000;

/**
 * A kept-alive connection no request is using has nothing to read: an HTTP/1.1 server answers
 * requests, and speaks only then. Node read whatever a receiver sent on one and dropped it, and
 * each read put off the idle timeout (IDLE_SOCKET_MS), so a receiver that answered and went on
 * sending held the connection, and a CPU, for as long as it liked (gigabytes within seconds on
 * the loopback), and the next request to its origin read those bytes as its answer. The
 * connection is closed at the first byte instead, and the next request opens another.
 */
const closeOnIdleBytes = function (this: Duplex) {
  this.destroy();
};

/** The agent, its kept-alive connections closed at the first byte they read while idle (closeOnIdleBytes). */
const closingOnIdleBytes = <Agent extends http.Agent>(agent: Agent): Agent => {
  const keepSocketAlive = agent.keepSocketAlive.bind(agent);
  const reuseSocket = agent.reuseSocket.bind(agent);
  agent.keepSocketAlive = (socket) => {
    socket.on('data', closeOnIdleBytes);
    return keepSocketAlive(socket);
  };
  agent.reuseSocket = (socket, request) => {
    socket.off('data', closeOnIdleBytes);
    reuseSocket(socket, request);
  };
  return agent;
};

/** Where a request's URL says to connect, or why it never can be sent. */
type Destination = { url: URL; host: string; port: number; lookup: LookupFunction } | { refused: SendResult };

/** A request that waited for a connection longer than this share of its timeout is not sent. */
const MAX_CONNECTION_WAIT_SHARE = 0.5;

/**
 * What a receiver may send before Node's parser has read its answer's head (the status line and
 * the headers), and what it reads of one head (its `maxHeaderSize`, 16 KiB by default). The body
 * is cut at the snippet, but Node's parser reads everything before it for as long as it comes:
 * endless informational responses (`102 Processing`), or endless bare CRLFs, which its header
 * limit does not count. One receiver doing that at the loopback's speed kept a CPU busy for the
 * whole timeout, and every other delivery of the process came late. Real heads are well under
 * (100 Continue, 103 Early Hints: under 1 KiB; a final one with large cookies or policies, some KiB;
 * proxies cap theirs at 8 to 64 KiB). A final head past it is not read to its end, but its status
 * counts (headPastLimit): Node's 16 KiB had a 200 with large headers recorded with no status, and
 * sent again.
 */
export const MAX_BYTES_BEFORE_STATUS = 64 * 1024;

/**
 * What a receiver may send after its status line, until its body ends or reaches the snippet. Each
 * body byte counts toward the snippet, where the read stops, but a chunked body's framing carries
 * none: Node's parser reads a chunk size of endless zeros (`0000…`, the size still 0) for as long
 * as it comes, and a receiver sending one kept a CPU busy for the whole timeout at the loopback's
 * speed, as the floods before the status did. A real body's framing is a few bytes a chunk; 1 MiB
 * is far past it, and read in a few milliseconds.
 */
export const MAX_BYTES_AFTER_STATUS = 1024 * 1024;

/**
 * Informational (1xx) responses read before the answer. A webhook meets one or two: 100 Continue,
 * 103 Early Hints, and 102 Processing, which RFC 2518 sent once a long request had taken 20 s.
 * 32 leaves room for a receiver that sends a 102 every second through the longest timeout (30 s);
 * the byte bound above is what keeps a fast flood cheap, this one names what happened sooner.
 */
export const MAX_INFORMATIONAL_RESPONSES = 32;

export class NodeHttpSender implements DeliveryTarget {
  private readonly httpAgent: HttpAgentAhead;
  private readonly httpsAgent: HttpsAgentAhead;
  private readonly policy: TargetPolicy;
  /** Every connect is checked, unless anything goes (private targets allowed, nothing reserved). */
  private readonly guarded: boolean;
  private readonly userAgent: string | undefined;
  private readonly maxSnippetBytes: number;
  private readonly resolver: TargetResolver;

  constructor(options: NodeHttpSenderOptions) {
    const reservedEndpoints = options.reservedEndpoints ?? [];
    this.policy = {
      allowPrivateTargets: options.allowPrivateTargets,
      reservedEndpoints,
      localAddresses: options.localAddresses ?? (reservedEndpoints.length > 0 ? hostAddresses() : []),
    };
    this.guarded = !options.allowPrivateTargets || reservedEndpoints.length > 0;
    this.userAgent = options.userAgent;
    this.maxSnippetBytes = options.maxSnippetBytes ?? 1024;
    this.resolver = new TargetResolver({
      localAddresses: options.interfaceAddresses ?? hostAddresses(),
      ...(options.allowPrivateTargets && { systemLookup }),
      ...(options.dnsServers && { servers: options.dnsServers }),
      ...(options.hostsFile !== undefined && { hostsFile: options.hostsFile }),
    });
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxConnectionsPerOrigin ?? MAX_CONNECTIONS_PER_ORIGIN,
      scheduling: 'lifo',
      timeout: IDLE_SOCKET_MS,
    };
    this.httpAgent = closingOnIdleBytes(new HttpAgentAhead(agentOptions));
    this.httpsAgent = closingOnIdleBytes(new HttpsAgentAhead(agentOptions));
  }

  /**
   * Opens the connection `request` will be sent on (see connections-ahead.ts), through the same
   * checks as the send: an address the send would refuse is never connected to.
   */
  connectAhead(request: OutboundRequest): void {
    const destination = this.destinationOf(request, performance.now() + request.timeoutMs);
    if ('refused' in destination) return;
    const { url, host, port, lookup } = destination;
    (url.protocol === 'https:' ? this.httpsAgent : this.httpAgent).connectAhead({ host, port, lookup });
  }

  async send(request: OutboundRequest): Promise<SendResult> {
    const deadline = performance.now() + request.timeoutMs;
    const lookups: LookupsUnderWay = { pending: 0 };
    const destination = this.destinationOf(request, deadline, lookups);
    if ('refused' in destination) return destination.refused;
    const { url, host, lookup } = destination;

    const body = request.body === '' ? undefined : Buffer.from(request.body, 'utf8');
    const headers: Record<string, string> = { ...request.headers };
    const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
    if (body && !names.has('content-length')) headers['content-length'] = String(body.length);
    if (this.userAgent && !names.has('user-agent')) headers['user-agent'] = this.userAgent;

    return this.exchange(url, { method: request.method, headers, lookup }, body, request.timeoutMs, deadline, {
      host,
      lookups,
    });
  }

  private destinationOf(request: OutboundRequest, deadline: number, lookups?: LookupsUnderWay): Destination {
    const url = URL.canParse(request.url) ? new URL(request.url) : undefined;
    if (!url) return { refused: { error: 'invalid target URL', errorKind: 'invalid-request', permanent: true } };
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return {
        refused: {
          error: `unsupported target protocol ${url.protocol}`,
          errorKind: 'invalid-request',
          permanent: true,
        },
      };
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    // The lookup is skipped for literal IPs, so they are checked here; names at each lookup.
    const refused = this.guarded && isIP(host) ? firstRefused([host], port, this.policy) : undefined;
    if (refused) return { refused: failure(refused, true) };
    const policy = this.guarded ? this.policy : undefined;
    const bound = { timeoutMs: request.timeoutMs, deadline };
    return { url, host, port, lookup: targetLookup(this.resolver, port, policy, bound, lookups) };
  }

  /** Destroys the agents and their sockets; the sender is unusable afterwards. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.resolver.close();
  }

  /** One request, bounded by `deadline`; never retried (see IDLE_SOCKET_MS). */
  private exchange(
    url: URL,
    options: { method: string; headers: Record<string, string>; lookup: LookupFunction },
    body: Buffer | undefined,
    timeoutMs: number,
    deadline: number,
    { host, lookups }: { host: string; lookups: LookupsUnderWay },
  ): Promise<SendResult> {
    return new Promise((resolve) => {
      let settled = false;
      let statusCode: number | undefined;
      let retryAfterMs: number | undefined;
      let responseHeaders: Pick<SendResult, 'responseHeaders' | 'responseHeadersOmitted'> = {};
      let coding: BodyCoding = { contentType: undefined, contentEncoding: undefined };
      const chunks: Buffer[] = [];
      let received = 0;
      const answered = (): SendResult => {
        const snippet = decodeSnippet(chunks, this.maxSnippetBytes, coding);
        return {
          statusCode,
          // Not followed: a 3xx is an answer, but not a delivery.
          ...(statusCode !== undefined && statusCode >= 300 && statusCode < 400 && { errorKind: 'redirect' as const }),
          ...(snippet !== '' && { responseSnippet: snippet }),
          ...responseHeaders,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        };
      };
      // Bytes read for this request, and those before the answer's status (see MAX_BYTES_BEFORE_STATUS,
      // MAX_BYTES_AFTER_STATUS); informational responses before it.
      let bytesRead = 0;
      let bytesBeforeStatus: number | undefined;
      // What came before the answer's head was read, by which its status is read if Node's parser gives up on it.
      const beforeHead: Buffer[] = [];
      let informational = 0;
      let stopCounting = () => {};
      const finishing = (result: SendResult | Promise<SendResult>) => {
        if (settled) return;
        settled = true;
        deadlineTimer.cancel();
        stopCounting();
        resolve(result);
      };

      const onResponse = (res: http.IncomingMessage) => {
        bytesBeforeStatus = bytesRead;
        beforeHead.length = 0;
        if (res.statusCode === undefined || res.statusCode < 100) {
          // Node's parser takes any three digits: `099` is no HTTP status, and no answer to record.
          finish({
            error: `the answer's status ${res.statusCode ?? '(none)'} is not an HTTP status`,
            errorKind: 'invalid-response',
          });
          res.destroy();
          return;
        }
        statusCode = res.statusCode;
        ({ kept: responseHeaders, coding, retryAfterMs } = readHead(statusCode, res.rawHeaders));
        const snippetFull = () => {
          finish(answered());
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (received > this.maxSnippetBytes) {
            // Enough: drop the rest with the socket rather than read a large body.
            snippetFull();
          } else if (received === this.maxSnippetBytes) {
            // Full: no more of the body is kept, so none is waited for (a receiver that stalled here
            // held the send to its timeout). A body of just this size ends in this turn (Node says
            // so on a next tick), which hands the socket back; one that does not is dropped.
            setImmediate(() => {
              if (!settled) snippetFull();
            });
          }
        });
        // A body that fits is read to the end, which hands the socket back for reuse.
        res.on('end', () => finish(answered()));
        res.on('error', (err) => finish({ ...answered(), ...failure(err) }));
        res.on('close', () => finish(answered()));
      };

      const secure = url.protocol === 'https:';
      let req: http.ClientRequest;
      try {
        req = (secure ? https : http).request(
          url,
          { ...options, agent: secure ? this.httpsAgent : this.httpAgent, maxHeaderSize: MAX_BYTES_BEFORE_STATUS },
          onResponse,
        );
      } catch (err) {
        // Node checks header names and values up front (ERR_INVALID_CHAR, ERR_INVALID_HTTP_TOKEN).
        return resolve(failure(err as NodeJS.ErrnoException, true));
      }
      // Every response header is read, so those left out are counted: by default Node reads the
      // first 1,000 and drops the rest unseen. The head's bound (maxHeaderSize) bounds how many can come.
      req.maxHeadersCount = 0;

      // A request the agent queued (every connection to its origin in use) is on the wire only once
      // it gets one: the attempt starts then, and one that gets none within its timeout was never sent.
      const agent = secure ? this.httpsAgent : this.httpAgent;
      const calledAt = performance.now();
      let wireAt: number | undefined = Object.values(agent.requests).some((queued) => queued?.includes(req))
        ? undefined
        : calledAt;
      const finish = (result: SendResult | Promise<SendResult>) => {
        const waitedMs = Math.round((wireAt ?? calledAt) - calledAt);
        finishing(waitedMs > 0 ? Promise.resolve(result).then((r) => ({ ...r, waitedMs })) : result);
      };
      req.once('socket', () => {
        if (wireAt !== undefined) return;
        wireAt = performance.now();
        // Sent with less than half its timeout left, a request a receiver answers in time would be
        // given up on meanwhile, and sent again by the retry: a duplicate. Not sent at all instead.
        const waited = wireAt - calledAt;
        if (waited <= timeoutMs * MAX_CONNECTION_WAIT_SHARE) return;
        deadlineTimer.cancel();
        finish({
          error:
            `not sent: it waited ${Math.round(waited)} ms for one of the ${agent.maxSockets} connections to ` +
            `${url.host}, and less than half of its ${timeoutMs} ms timeout was left for an answer`,
          errorKind: 'other',
        });
        req.destroy();
      });

      const expire = (_givenBackMs: number, stalledMs: number) => {
        if (wireAt === undefined) {
          finish({
            error:
              `not sent: all ${agent.maxSockets} connections to ${url.host} were in use for the whole ` +
              `${timeoutMs} ms timeout`,
            errorKind: 'other',
          });
        } else if (lookups.pending > 0) {
          // The name never resolved (its lookup is bounded a little later: LOOKUP_PAST_DEADLINE_MS).
          finish(failure(lookupTimedOut(host, timeoutMs)));
        } else {
          // Once the status line arrived it is reported too: a 2xx counts as delivered.
          const stalled = stalledMs > 0 ? ` (this process stalled ${Math.round(stalledMs)} ms past it)` : '';
          finish({
            ...(statusCode !== undefined && answered()),
            error: `timeout after ${timeoutMs - Math.round(wireAt - calledAt)} ms${stalled}`,
            errorKind: 'timeout',
          });
        }
        req.destroy();
      };
      // The deadline, by the clock. One that passed during a stall of the process (it fired over
      // STALL_LATENESS_MS late) lets the socket be read once first: what came during the stall (the
      // answer's head and the snippet of its body, read off the kernel's buffer in that one turn)
      // counts, as it may have come in time; so does a status line whose body had not all come
      // (see expire). No time is given back: an answer the receiver sends after the stall ended is
      // past the timeout, and a timeout (on a starved process, giving the stall back, up to the
      // timeout again, read an answer sent 2.5 s after a request with a 1 s timeout as in time).
      const deadlineTimer = stallAwareDeadline(deadline, 0, expire);

      const refuseBeforeStatus = (what: string) => {
        finish({ error: `the receiver sent ${what} before its answer's status line`, errorKind: 'invalid-response' });
        req.destroy();
      };
      /**
       * The answer, from what came, when its head is past what Node's parser reads of one
       * (MAX_BYTES_BEFORE_STATUS): its status counts (a 2xx is delivered), with the header lines that came whole.
       */
      const answerPastLimit = (received: readonly Buffer[]): SendResult | undefined => {
        const head = headPastLimit(Buffer.concat(received));
        if (!head) return undefined;
        statusCode = head.statusCode;
        ({ kept: responseHeaders, retryAfterMs } = readHead(statusCode, head.rawHeaders));
        return {
          ...answered(),
          error: `the answer's head was over ${MAX_BYTES_BEFORE_STATUS / 1024} KiB, more than Vigil reads: kept are its status and the header lines that came whole; its body was not read`,
          errorKind: 'invalid-response',
        };
      };
      req.on('information', () => {
        informational += 1;
        if (informational > MAX_INFORMATIONAL_RESPONSES) {
          refuseBeforeStatus(`${informational} informational (1xx) responses`);
        }
      });
      const refuseAfterStatus = (sent: number) => {
        finish({
          ...answered(),
          error: `the receiver sent ${Math.floor(sent / 1024)} KiB after its answer's status line, ${received} bytes of them body`,
          errorKind: 'invalid-response',
        });
        req.destroy();
      };
      req.once('socket', (socket: Duplex) => {
        // Counted on the socket, after Node's parser has read each chunk: a chunk that ends the head
        // fires 'response' first, so what came before the status is what was counted until then.
        const counting = (chunk: Buffer) => {
          bytesRead += chunk.length;
          if (bytesBeforeStatus === undefined) {
            beforeHead.push(chunk);
            if (bytesRead > MAX_BYTES_BEFORE_STATUS) {
              const answer = answerPastLimit(beforeHead);
              if (!answer) return refuseBeforeStatus(`${Math.floor(bytesRead / 1024)} KiB`);
              finish(answer);
              req.destroy();
            }
          } else if (bytesRead - bytesBeforeStatus > MAX_BYTES_AFTER_STATUS) {
            refuseAfterStatus(bytesRead - bytesBeforeStatus);
          }
        };
        socket.on('data', counting);
        // A keep-alive socket goes on to other requests: the count is this one's alone.
        stopCounting = () => socket.off('data', counting);
        if (settled) stopCounting();
      });

      // A `101 Switching Protocols` ends HTTP on this socket: no answer to the webhook will come.
      // Without a listener Node drops the socket without a word and the send would wait out its timeout.
      req.on('upgrade', (res: http.IncomingMessage, socket: Duplex) => {
        stopCounting();
        socket.destroy();
        statusCode = res.statusCode;
        const head = readHead(statusCode, res.rawHeaders);
        responseHeaders = head.kept;
        const upgrade = head.first('upgrade');
        finish({
          ...answered(),
          error: `the receiver switched protocols (${res.statusCode}${upgrade ? ` to ${upgrade}` : ''}) instead of answering`,
          errorKind: 'invalid-response',
        });
      });
      req.on('error', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }) => {
        if (settled) return;
        // Node's parser gave up on a head past its maxHeaderSize, in the chunk it was reading.
        const pastLimit =
          statusCode === undefined && err.code === 'HPE_HEADER_OVERFLOW' && err.rawPacket
            ? answerPastLimit([...beforeHead, err.rawPacket])
            : undefined;
        if (pastLimit) return finish(pastLimit);
        // A connection reset once the status line arrived keeps what did (status, headers, the body
        // so far), as a connection closed or a timeout at that point does: the same answer is judged alike.
        finish({
          ...(statusCode !== undefined && answered()),
          ...failure(err, err instanceof TargetNotAllowedError),
        });
      });
      req.end(body);
    });
  }
}
