/**
 * How one call goes over the wire: the caller's auth and headers, a timeout per try (reading the
 * whole answer included), the caller's AbortSignal, and retries as retry-policy.ts decides. Fetch
 * only (no `node:` import), so it runs on Node 20+, browsers and edge runtimes.
 */
import {
  VigilAuthError,
  VigilNetworkError,
  VigilTimeoutError,
  parseRetryAfter,
  refusedBeforeSending,
} from './errors.ts';
import { readBytesAtMost } from './bytes-at-most.ts';
import type { Outcome, RetryPolicy, Safety } from './retry-policy.ts';
import { nextRetryDelay } from './retry-policy.ts';

export type Fetch = (request: Request) => Promise<Response>;
type Provider<T> = T | (() => T | Promise<T>);

export interface TransportOptions {
  fetch: Fetch;
  /** The bearer token: an API key, or a function giving one per call (a session token). */
  apiKey?: Provider<string | undefined>;
  /** More headers on every call (a function is asked per call). */
  headers?: Provider<Record<string, string> | undefined>;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Told how each try ended, in turn (the last one's answer is what `send` resolves with). */
  onTry?: (outcome: Outcome) => void;
  /** For tests: the jitter's randomness and the wait between tries. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const resolve = async <T>(provider: Provider<T>): Promise<T> =>
  typeof provider === 'function' ? (provider as () => T | Promise<T>)() : provider;

const abortError = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');

const sleepFor = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((done, fail) => {
    if (signal?.aborted) return fail(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      fail(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Why a fetch failed, its cause included: Node's fetch says only `fetch failed` and keeps what
 * happened (`connect ECONNREFUSED 127.0.0.1:4000`, `getaddrinfo ENOTFOUND api.example`) in `cause`.
 */
/**
 * Whether a key can go in an Authorization header as it is: printable ASCII without a space. A key
 * with a line break, a space, a control or a non-ASCII character (a paste gone wrong) cannot.
 */
export const isSendableApiKey = (key: string): boolean => /^[\x21-\x7e]+$/.test(key);

const reasonOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  // One line: an OpenSSL error (https to an http port) carries line breaks.
  const inner = cause instanceof Error ? cause.message.replace(/\s+/g, ' ').trim() : undefined;
  return inner && !error.message.includes(inner) ? `${error.message} (${inner})` : error.message;
};

/** The system's code for why a fetch failed (`ECONNREFUSED`): Node's undici names it in the cause. */
const codeOf = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
};

/** Whether a fetch failure says the connection was refused. */
const wasRefused = (error: unknown): boolean => codeOf(error) === 'ECONNREFUSED';

interface Try {
  outcome: Outcome;
  response?: Response;
  error?: unknown;
}

/** Rejects with the signal's reason once it aborts: the try ends then even if a fetch ignores its signal. */
const whenAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, fail) => {
    if (signal.aborted) fail(signal.reason);
    else signal.addEventListener('abort', () => fail(signal.reason), { once: true });
  });

/**
 * The Requests of the tries under way. Node's fetch (undici) has a Request follow its signal through
 * a weak reference: once nothing holds the Request (a garbage collection, some seconds in), aborting
 * its signal no longer ends the fetch, so a try that timed out left its connection waiting for
 * undici's own 300 s headers timeout and kept a script or the CLI running minutes after its error.
 * Each try's Request is held here until the try ends.
 */
const triesUnderWay = new Set<Request>();

/** A problem document's type, as its last path segment (`idempotency-key-in-use`), if the bytes are one. */
const problemTypeOf = (bytes: ArrayBuffer): string | undefined => {
  try {
    const type: unknown = JSON.parse(new TextDecoder().decode(bytes))?.type;
    return typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The most of an answer the client reads, in bytes. API Gateway answers at most 10 MB (a Lambda 6
 * MB), and the API's largest answer (a batch's 100 messages, bodies included) is under 7 MiB; a
 * server that answers more (an endless body, a URL that is not the API's) is not read on to the end
 * of memory.
 */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** Thrown while reading an answer larger than MAX_RESPONSE_BYTES. */
class AnswerTooLarge extends Error {}

/** An answer's body, read up to `max` bytes: AnswerTooLarge past them (said by its Content-Length, or read). */
const readAtMost = async (answer: Response, max: number): Promise<ArrayBuffer> => {
  const stated = Number(answer.headers.get('content-length') ?? Number.NaN);
  if (stated > max || !answer.body) {
    await answer.body?.cancel().catch(() => undefined);
    if (stated > max) throw new AnswerTooLarge();
    return new ArrayBuffer(0);
  }
  const reader = answer.body.getReader();
  const bytes = await readBytesAtMost(
    () => reader.read(),
    () => reader.cancel(),
    max,
  );
  if (!bytes) throw new AnswerTooLarge();
  return bytes.buffer;
};

/** One try: the request sent and its whole answer read within `timeoutMs`, or what went wrong. */
const tryOnce = async (
  options: TransportOptions,
  url: string,
  init: RequestInit,
  signal: AbortSignal | undefined,
): Promise<Try> => {
  const controller = new AbortController();
  const timedOut = new DOMException(`No answer within ${options.timeoutMs} ms.`, 'TimeoutError');
  const onAbort = () => controller.abort(abortError(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(timedOut), options.timeoutMs);
  const aborted = whenAborted(controller.signal);
  aborted.catch(() => undefined);
  const request = new Request(url, { ...init, signal: controller.signal });
  triesUnderWay.add(request);
  try {
    const answer = await Promise.race([options.fetch(request), aborted]);
    const bytes =
      answer.status === 204 || answer.status === 304
        ? null
        : await Promise.race([readAtMost(answer, MAX_RESPONSE_BYTES), aborted]);
    const response = new Response(bytes && bytes.byteLength > 0 ? bytes : null, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers,
    });
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    const problem = answer.status === 409 && bytes ? problemTypeOf(bytes) : undefined;
    return {
      response,
      outcome: {
        kind: 'response',
        status: response.status,
        ...(retryAfter !== undefined && { retryAfterMs: retryAfter * 1000 }),
        ...(problem !== undefined && { problem }),
      },
    };
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    if (error instanceof AnswerTooLarge) {
      // Not retried: the same server would answer as much again.
      controller.abort(error);
      throw new VigilNetworkError(
        `${init.method ?? 'GET'} ${url} answered more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB, more than any answer of the Vigil API: not read further (is the URL the API's?).`,
        { type: 'response-too-large', title: 'The answer was too large to be the Vigil API’s', url },
      );
    }
    if (controller.signal.reason === timedOut) return { outcome: { kind: 'timeout' } };
    return { outcome: { kind: wasRefused(error) ? 'refused' : 'network' }, error };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    triesUnderWay.delete(request);
  }
};

/**
 * Sends `request` (as openapi-fetch built it) with the caller's auth, retrying as `safety` allows;
 * resolves with the last answer (an error status included) or throws VigilTimeoutError /
 * VigilNetworkError when no answer came, or the signal's reason when the caller aborted.
 */
export const send = async (
  options: TransportOptions,
  request: Request,
  safety: Safety,
  signal?: AbortSignal,
): Promise<Response> => {
  if (signal?.aborted) throw abortError(signal);
  const headers = new Headers(request.headers);
  const token = await resolve(options.apiKey);
  // Checked here, not left to Headers: its TypeError quotes the value, and a key must never be shown.
  if (token && !isSendableApiKey(token)) {
    throw new VigilAuthError({
      type: 'invalid-api-key',
      title: 'The API key cannot be sent',
      status: 0,
      detail: 'The API key has a space, line break, control or non-ASCII character: it was not sent (nor shown here).',
    });
  }
  if (token) headers.set('authorization', `Bearer ${token}`);
  for (const [name, value] of Object.entries((await resolve(options.headers)) ?? {})) {
    try {
      headers.set(name, value);
    } catch {
      // Headers' own message quotes the value, which may be a secret.
      throw refusedBeforeSending(`headers.${name}`, 'its name or value cannot be sent as a header');
    }
  }
  const body = request.body ? await request.arrayBuffer() : undefined;
  const init: RequestInit = { method: request.method, headers, ...(body !== undefined && { body }) };
  const sleep = options.sleep ?? sleepFor;

  let waited = 0;
  for (let retried = 0; ; retried++) {
    const result = await tryOnce(options, request.url, init, signal);
    options.onTry?.(result.outcome);
    const wait = nextRetryDelay(result.outcome, safety, retried, waited, options.retry, options.random);
    if (wait === undefined) {
      if (result.response) return result.response;
      if (result.outcome.kind === 'timeout')
        throw new VigilTimeoutError(options.timeoutMs, { url: request.url, tries: retried + 1 });
      throw new VigilNetworkError(`${request.method} ${request.url} got no answer: ${reasonOf(result.error)}.`, {
        cause: result.error,
        url: request.url,
        code: codeOf(result.error),
      });
    }
    await sleep(wait, signal);
    waited += wait;
  }
};
