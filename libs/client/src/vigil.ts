/**
 * `new Vigil({ apiKey, baseUrl })`: the Vigil API as typed calls, built on openapi-fetch with the
 * types generated from openapi.yaml, so every route, parameter and answer is the contract's.
 * Answers other than success throw the typed errors of errors.ts; each call takes an AbortSignal,
 * a timeout per try and the retries retry-policy.ts allows for it.
 */
import createClient from 'openapi-fetch';
import type { Duration } from './duration.ts';
import { parseDuration } from './duration.ts';
import {
  VigilAuthError,
  VigilBatchError,
  VigilError,
  VigilKeyNotShownError,
  VigilNotFoundError,
  errorFromResponse,
  notFromTheApi,
  refusedBeforeSending,
} from './errors.ts';
import type { paths } from './generated/openapi.ts';
import type { Outcome, RetryOptions, Safety } from './retry-policy.ts';
import { retryPolicy } from './retry-policy.ts';
import type { Check, Shape } from './answer-shapes.ts';
import {
  ATTEMPT_LIST,
  ENDPOINT,
  ENDPOINT_LIST,
  HEALTH,
  JOB,
  JOB_PAGE,
  KEY_CREATED,
  KEY_LIST,
  MESSAGE,
  MESSAGE_LIST,
  MESSAGE_PAGE,
  NO_CONTENT,
  SESSION_TENANT,
  SIGNING_SECRET,
  USAGE,
  batchOf,
  lacking,
  pageOf,
} from './answer-shapes.ts';
import { parseApiJson, requestJson } from './exact-json.ts';
import { followPages } from './follow-pages.ts';
import type { Fetch, TransportOptions } from './transport.ts';
import { send } from './transport.ts';
import type {
  ApiKey,
  ApiKeyCreated,
  ApiKeyNotShown,
  AttemptList,
  BulkJob,
  BulkJobIn,
  BulkJobPage,
  BulkJobState,
  Health,
  Message,
  MessageIn,
  MessagePage,
  MessagePatch,
  MessageOriginKind,
  MessageStatus,
  NotificationEndpoint,
  NotificationEndpointIn,
  SessionTenant,
  SigningSecret,
  SigningSecretRotated,
  Usage,
} from './types.ts';

/** How each call reaches the transport: its fetch, and the answer kept as text for parseApiJson. */
interface ExactInit {
  fetch: Fetch;
  parseAs: 'text';
}

export interface VigilOptions {
  /** The API's URL, e.g. `http://localhost:4000` or your stage's API Gateway URL. */
  baseUrl: string;
  /** A `vgl_` API key, or a function giving the bearer token for each call (the web app's session token). */
  apiKey?: string | (() => string | undefined | Promise<string | undefined>) | undefined;
  /** Extra headers on every call, or a function giving them per call. */
  headers?:
    | Record<string, string>
    | (() => Record<string, string> | undefined | Promise<Record<string, string> | undefined>)
    | undefined;
  /** The fetch to use (default: the global fetch, looked up at each call). */
  fetch?: Fetch | undefined;
  /** How long one try may take, the whole answer read (default 30 s). */
  timeoutMs?: number | undefined;
  /** Retries after the first try (a number) or the full policy (default 3 retries, at most 30 s of waiting). */
  retries?: number | RetryOptions | undefined;
}

/** What every call also takes. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  retries?: number | RetryOptions | undefined;
  /**
   * For a call that carries an Idempotency-Key (a create, a retry or redeliver, a bulk job...):
   * called when the API answered it as the repeat of an earlier request with the same key (200:
   * nothing was done now; the answer is where that request's work stands), so you can say so.
   * Not called when that earlier request may have been this call's own try (one whose answer was
   * lost, or a 5xx, before the retry the API answered so).
   */
  onRepeat?: (() => void) | undefined;
}

/**
 * Whether a try may have done what a keyed request asks, its answer unknown: no answer (a timeout,
 * a connection lost; a refused one was never sent) or a 5xx. A 4xx did nothing.
 */
const mayHaveActed = (outcome: Outcome): boolean =>
  outcome.kind === 'timeout' || outcome.kind === 'network' || (outcome.kind === 'response' && outcome.status >= 500);

/** When a message is due: one of `in` (`'10m'`, or seconds), `sendAt` (RFC 3339 or a Date) or `delay` (seconds). */
export interface When {
  /** After this long: `'90s'`, `'10m'`, `'2h'`, `'3d'`, `'1h30m'`, or a number of seconds. Sent as `delay`, so the API's clock counts it. */
  in?: Duration | undefined;
  sendAt?: string | Date | undefined;
  delay?: number | undefined;
}

/**
 * A message to schedule: the API's MessageIn, with `in`, a Date for `sendAt`, and `retries` (attempts
 * after the first). `body` is a value (written by JSON.stringify) or `jsonText(text)`, sent as written.
 */
export type CreateMessage = Omit<MessageIn, 'sendAt' | 'delay'> &
  When & {
    /** Delivery attempts after the first one: `retry.maxAttempts = retries + 1`. Give this or `retry`, not both. */
    retries?: number | undefined;
  };

/** The API's MessagePatch, with `in` and a Date for `sendAt`; `body` a value or `jsonText(text)`, as `CreateMessage`'s. */
export type UpdateMessage = Omit<MessagePatch, 'sendAt' | 'delay'> & When;

/**
 * Which messages to list, a page at a time (the API's `GET /v1/messages` query): every filter
 * given narrows; ranges are `[from, to)`.
 */
export interface ListMessages {
  /** One status, or several (any of them). */
  status?: MessageStatus | MessageStatus[] | undefined;
  label?: string | undefined;
  urlPrefix?: string | undefined;
  sendAtFrom?: string | Date | undefined;
  sendAtTo?: string | Date | undefined;
  createdAtFrom?: string | Date | undefined;
  createdAtTo?: string | Date | undefined;
  /** Changed at or after this instant (a finished message: when it finished), e.g. failed since. */
  updatedSince?: string | Date | undefined;
  /** Text in the message id, any case; `msg_…` is a prefix. */
  idContains?: string | undefined;
  /** Who made them, one or several: `message` (you), `callback` or `notification` (Vigil's own event deliveries). */
  origin?: MessageOriginKind | MessageOriginKind[] | undefined;
  /** Page size, 1 to 100 (default 20). */
  limit?: number | undefined;
  /** A page's `nextCursor` or `previousCursor`. */
  cursor?: string | undefined;
}

/** Which bulk jobs to list, a page at a time (the API's `GET /v1/jobs` query). */
export interface ListJobs {
  /** One state, or several (any of them). */
  state?: BulkJobState | BulkJobState[] | undefined;
  /** Page size, 1 to 100 (default 20). */
  limit?: number | undefined;
  /** A page's `nextCursor`. */
  cursor?: string | undefined;
}

/** `GET /v1/messages`'s query, as the contract types it. */
type ListQuery = NonNullable<paths['/v1/messages']['get']['parameters']['query']>;

const asList = <T extends string>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The query as the API reads it: statuses and origins as lists, instants as RFC 3339 text, undefined left out. */
const listQueryOf = (query: ListMessages): ListQuery => {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (name === 'status' || name === 'origin') out[name] = asList(value as string | string[]);
    else out[name] = value instanceof Date ? value.toISOString() : value;
  }
  return out as ListQuery;
};

/** At most this many messages go in one batch request (the API's limit). */
export const BATCH_CHUNK = 100;

const randomKey = (): string => {
  const { crypto } = globalThis;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

/**
 * A success that is not the API's answer: a web page or an empty answer from a URL that is not the
 * Vigil API (a proxy, the web app, a path added to baseUrl), with its `url` and `status`.
 */
const notTheApi = (url: string, status: number, text: string): VigilError =>
  notFromTheApi(
    status,
    `The answer from ${url} (HTTP ${status}) is ${text.trim() === '' ? 'empty' : 'not JSON'}: is baseUrl the Vigil API?`,
    url,
  );

/**
 * A success in JSON, but not as the Vigil API answers that call (`mismatch`: `no message id`): a
 * URL that is not the API (the web console, a proxy's health page, a mock server, an old version).
 */
const notLikeTheApi = (url: string, status: number, mismatch: string): VigilError =>
  notFromTheApi(
    status,
    `${url} answered HTTP ${status}, but not as the Vigil API does (${mismatch}): is baseUrl the Vigil API?`,
    url,
    mismatch,
  );

/**
 * A 401 to a request that carried no key at all: `apiKey` was undefined or empty (most often an
 * environment variable read into it that is not set), which the API's words, about an
 * Authorization header the caller never wrote, do not say.
 */
const sentWithoutKey = (error: VigilError, url: string): VigilError =>
  new VigilAuthError(error.problem, {
    url,
    detail:
      'No API key was sent: apiKey gave none (undefined or empty: is the environment variable you read it from set?). Pass your vgl_... key as new Vigil({ apiKey, baseUrl }).',
  });

/**
 * A 404 `no-such-route`: the client asks for the API's own routes, so the path is wrong because
 * baseUrl is (most often ending in /v1, which every route adds: `/v1/v1/messages`), and the API's
 * words, that the path is no route, do not say so.
 */
const notAnApiRoute = (error: VigilError, baseUrl: string, url: string): VigilError => {
  const root = baseUrl.replace(/\/+$/, '');
  const hint = /\/v1$/.test(root)
    ? `baseUrl ${root} ends in /v1, which every call adds: give the API's root, ${root.replace(/\/v1$/, '')}`
    : `Is baseUrl ${root} the Vigil API's root (without /v1)?`;
  return new VigilNotFoundError(error.problem, { url, detail: `${error.detail} ${hint}` });
};

/**
 * An id as a path segment, refused before sending when no id could be it: an empty one made
 * `GET /v1/messages/` (the list: a page resolved as a Message) and `DELETE /v1/messages/` (a bare
 * 405), and `.` or `..` would name another route once the URL is resolved. Anything else goes to the
 * API, which answers 404 for an id that names nothing.
 */
const idOf = (id: string, kind: string): string => {
  if (typeof id !== 'string' || id.trim() === '' || id === '.' || id === '..')
    throw refusedBeforeSending('id', `${JSON.stringify(id) ?? String(id)} is not a ${kind} id`);
  return id;
};

/**
 * An Idempotency-Key of yours, refused before sending unless the API can take it: 1 to `max`
 * printable ASCII characters (the API answers another character 400, since a header's bytes are
 * not read as the characters meant; fetch itself throws on one past U+00FF).
 */
const keyOf = (key: string | undefined, max = 255): string => {
  if (key === undefined) return randomKey();
  if (typeof key !== 'string' || !/^[\x20-\x7e]*$/.test(key) || key.length < 1 || key.length > max)
    throw refusedBeforeSending('idempotencyKey', `must be 1 to ${max} printable ASCII characters (a UUID works well)`);
  return key;
};

/** `in` / `sendAt` (Date) / `delay` as the API's `sendAt` or `delay`; at most one of them. */
const whenOf = ({ in: after, sendAt, delay }: When): { sendAt?: string; delay?: number } => {
  const given = [after, sendAt, delay].filter((value) => value !== undefined).length;
  if (given > 1) throw refusedBeforeSending('', 'give one of `in`, `sendAt` or `delay`, not several');
  if (after !== undefined) {
    try {
      return { delay: parseDuration(after) / 1000 };
    } catch (error) {
      throw refusedBeforeSending('in', (error as Error).message);
    }
  }
  if (sendAt instanceof Date && Number.isNaN(sendAt.getTime()))
    throw refusedBeforeSending('sendAt', 'is an invalid Date');
  if (sendAt !== undefined) return { sendAt: sendAt instanceof Date ? sendAt.toISOString() : sendAt };
  return delay === undefined ? {} : { delay };
};

/** The request body for one message to create. */
export const messageIn = (message: CreateMessage): MessageIn => {
  const { in: after, sendAt, delay, retries, ...rest } = message;
  if (retries !== undefined && rest.retry !== undefined)
    throw refusedBeforeSending('retries', 'give `retries` or `retry`, not both');
  const { idempotencyKey: _ignored, ...fields } = rest as typeof rest & { idempotencyKey?: string | undefined };
  return {
    ...fields,
    ...whenOf({ in: after, sendAt, delay }),
    ...(retries !== undefined && { retry: { maxAttempts: retries + 1 } }),
  } as MessageIn;
};

const dateOnly = (value: string | Date): string => (value instanceof Date ? value.toISOString().slice(0, 10) : value);

export class Vigil {
  private readonly client: ReturnType<typeof createClient<paths>>;
  private readonly options: VigilOptions;

  constructor(options: VigilOptions) {
    if (!options?.baseUrl) throw new TypeError('new Vigil({ baseUrl }) needs the API URL, e.g. http://localhost:4000.');
    // `localhost:4000` parses as a URL of the scheme "localhost:", and fetch says only "unknown scheme".
    if (/^[\w.-]+:\d+(\/|$)/.test(options.baseUrl)) {
      throw new TypeError(
        `new Vigil({ baseUrl }) needs the URL with its scheme: http://${options.baseUrl.replace(/\/+$/, '')}, not ${JSON.stringify(options.baseUrl)}.`,
      );
    }
    this.options = options;
    this.client = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      // A body given as jsonText goes as written, a LosslessNumber read from an answer (a body's
      // int64 id) as its digits.
      bodySerializer: (body) => requestJson(body),
      // Lists in a query as the API reads them: `status=failed,retrying`.
      querySerializer: { array: { style: 'form', explode: false } },
    });
  }

  /**
   * Runs one openapi-fetch call over the transport; the data on success, a typed error otherwise.
   * Answers are read as text and parsed by parseApiJson, so a message body's numbers stay as
   * written (exact-json.ts), and checked to be the kind of answer the call expects (`answer`,
   * answer-shapes.ts); an answer that is a message's body (`answer: 'text'`) is that text.
   */
  private async call<T>(
    safety: Safety,
    run: (init: ExactInit) => Promise<{ data?: unknown; error?: unknown; response: Response }>,
    options: CallOptions = {},
    answer: Shape | Check | 'text',
  ): Promise<T> {
    const fetch = this.options.fetch ?? ((request) => globalThis.fetch(request));
    let sentKey = false;
    /** How this call's tries ended, in turn. */
    const tries: Outcome[] = [];
    const transport: TransportOptions = {
      onTry: (outcome) => void tries.push(outcome),
      fetch: (request) => {
        sentKey = request.headers.has('authorization');
        return fetch(request);
      },
      apiKey: this.options.apiKey,
      headers: this.options.headers,
      timeoutMs: options.timeoutMs ?? this.options.timeoutMs ?? 30_000,
      retry: retryPolicy(options.retries ?? this.options.retries),
    };
    let url = '';
    const { data, error, response } = await run({
      fetch: (request) => {
        url = request.url;
        return send(transport, request, safety, options.signal);
      },
      parseAs: 'text',
    });
    if (!response.ok) {
      const refused = errorFromResponse(response.status, error, response.headers, url);
      if (response.status === 401 && !sentKey) throw sentWithoutKey(refused, url);
      if (refused.is('no-such-route')) throw notAnApiRoute(refused, this.options.baseUrl, url);
      throw refused;
    }
    // Only a 204 answers nothing; any other success carries a JSON document.
    if (response.status === 204) return undefined as T;
    if (answer === 'text') return (typeof data === 'string' ? data : '') as T;
    let value: T;
    try {
      if (typeof data !== 'string' || data === '') throw new SyntaxError('empty');
      value = parseApiJson(data) as T;
    } catch {
      // Not JSON (a web page at a wrong URL).
      throw notTheApi(url, response.status, typeof data === 'string' ? data : '');
    }
    const mismatch = typeof answer === 'function' ? answer(value) : lacking(answer, value);
    if (mismatch !== undefined) throw notLikeTheApi(url, response.status, mismatch);
    // A keyed request's 200 repeats an earlier one's answer: told, unless that one may be this call's own try.
    if (safety === 'keyed' && response.status === 200 && !tries.slice(0, -1).some(mayHaveActed)) options.onRepeat?.();
    return value;
  }

  private async startBulkJob(
    path: '/v1/messages/cancel' | '/v1/messages/redeliver',
    body: BulkJobIn,
    options: CallOptions & { idempotencyKey?: string | undefined },
  ): Promise<BulkJob> {
    const header = { 'Idempotency-Key': keyOf(options.idempotencyKey) };
    return this.call('keyed', (init) => this.client.POST(path, { body, params: { header }, ...init }), options, JOB);
  }

  /** A keyed command on one message (`messages.retry`, `messages.redeliver`), retried with its key. */
  private async runKeyedMessageCommand(
    path: '/v1/messages/{messageId}/retry' | '/v1/messages/{messageId}/redeliver',
    id: string,
    options: CallOptions & { idempotencyKey?: string | undefined },
  ): Promise<Message> {
    const header = { 'Idempotency-Key': keyOf(options.idempotencyKey) };
    return this.call(
      'keyed',
      (init) => this.client.POST(path, { params: { path: { messageId: idOf(id, 'message') }, header }, ...init }),
      options,
      MESSAGE,
    );
  }

  /** Bulk jobs (`messages.cancelMany`, `messages.redeliverMany`): where one stands, and the tenant's jobs. */
  readonly jobs = {
    get: (id: string, options?: CallOptions): Promise<BulkJob> =>
      this.call(
        'safe',
        (init) => this.client.GET('/v1/jobs/{jobId}', { params: { path: { jobId: idOf(id, 'job') } }, ...init }),
        options,
        JOB,
      ),

    /**
     * One page of the tenant's bulk jobs, newest first (running ones, and those finished in the last
     * 7 days), in any of `state` if given; pass its `nextCursor` as `cursor` for the next (older) page.
     */
    listPage: (query: ListJobs = {}, options?: CallOptions): Promise<BulkJobPage> =>
      this.call(
        'safe',
        (init) =>
          this.client.GET('/v1/jobs', {
            params: {
              query: {
                ...(query.state !== undefined && { state: asList(query.state) }),
                ...(query.limit !== undefined && { limit: query.limit }),
                ...(query.cursor !== undefined && { cursor: query.cursor }),
              },
            },
            ...init,
          }),
        options,
        pageOf(JOB_PAGE, 'jobs', query.limit),
      ),

    /** Every job (newest first), fetching page after page as you iterate: `for await (const job of vigil.jobs.list())`. */
    list: (query: ListJobs = {}, options?: CallOptions) => {
      const listPage = this.jobs.listPage;
      return followPages(
        'GET /v1/jobs',
        (cursor) => listPage({ ...query, ...(cursor !== undefined && { cursor }) }, options),
        query.cursor,
      );
    },
  };

  readonly messages = {
    /**
     * Schedules one message. It carries an Idempotency-Key (yours, or one made here), so the
     * retries after a lost answer, a 429 or a 5xx return the same message instead of a second one.
     */
    create: async (
      message: CreateMessage & { idempotencyKey?: string | undefined },
      options?: CallOptions,
    ): Promise<Message> => {
      const key = keyOf(message.idempotencyKey);
      const body = messageIn(message);
      return this.call(
        'keyed',
        (init) => this.client.POST('/v1/messages', { body, params: { header: { 'Idempotency-Key': key } }, ...init }),
        options,
        MESSAGE,
      );
    },

    /**
     * Schedules any number of messages, in order, in requests of 100 (each all or nothing). Each
     * request's Idempotency-Key is `<key>:<n>` for its chunk n, `key` yours or made here: a retry
     * of a chunk never creates it twice, and calling again with the same messages and key after a
     * failure (VigilBatchError) creates only the chunks that are missing.
     */
    createBatch: async (
      messages: readonly CreateMessage[],
      options: CallOptions & { idempotencyKey?: string | undefined } = {},
    ): Promise<Message[]> => {
      // Each chunk's key is `<key>:<n>`: room is left for the suffix.
      const key = keyOf(options.idempotencyKey, 240);
      const bodies = messages.map(messageIn);
      const created: Message[] = [];
      for (let start = 0, chunk = 0; start < bodies.length; start += BATCH_CHUNK, chunk++) {
        const body = { messages: bodies.slice(start, start + BATCH_CHUNK) };
        const header = { 'Idempotency-Key': `${key}:${chunk}` };
        try {
          const { items } = await this.call<{ items: Message[] }>(
            'keyed',
            (init) => this.client.POST('/v1/messages/batch', { body, params: { header }, ...init }),
            options,
            batchOf(body.messages.length),
          );
          created.push(...items);
        } catch (error) {
          if (error instanceof VigilError) throw new VigilBatchError(error, [...created], chunk, key);
          throw error;
        }
      }
      return created;
    },

    get: (id: string, options?: CallOptions): Promise<Message> =>
      this.call(
        'safe',
        (init) =>
          this.client.GET('/v1/messages/{messageId}', {
            params: { path: { messageId: idOf(id, 'message') } },
            ...init,
          }),
        options,
        MESSAGE,
      ),

    /**
     * The message's body exactly as its deliveries send it (undefined for a message without one): a
     * JSON body as its text, names in their order, escapes and every number's digits as written.
     * `get`'s `body` is the same JSON read into values, where JavaScript puts a name like `"1"`
     * first (`{"b":1,"1":2}` reads as `{"1":2,"b":1}`), a name given twice once, and an escape as
     * its character: show or compare this text instead.
     */
    body: (id: string, options?: CallOptions): Promise<string | undefined> =>
      this.call(
        'safe',
        (init) =>
          this.client.GET('/v1/messages/{messageId}/body', {
            params: { path: { messageId: idOf(id, 'message') } },
            ...init,
          }),
        options,
        'text',
      ),

    /** The message's attempts, oldest first (`omitted` counts those no longer kept). */
    attempts: (id: string, options?: CallOptions): Promise<AttemptList> =>
      this.call(
        'safe',
        (init) =>
          this.client.GET('/v1/messages/{messageId}/attempts', {
            params: { path: { messageId: idOf(id, 'message') } },
            ...init,
          }),
        options,
        ATTEMPT_LIST,
      ),

    /** Changes a message that still waits. Setting fields is retried like a read; moving it by `in` or `delay` is not (a retry would move it again). */
    update: async (id: string, patch: UpdateMessage, options?: CallOptions): Promise<Message> => {
      const { in: after, sendAt, delay, ...fields } = patch;
      const body = { ...fields, ...whenOf({ in: after, sendAt, delay }) } as MessagePatch;
      const safety: Safety = body.delay === undefined ? 'safe' : 'unsafe';
      return this.call(
        safety,
        (init) =>
          this.client.PATCH('/v1/messages/{messageId}', {
            params: { path: { messageId: idOf(id, 'message') } },
            body,
            ...init,
          }),
        options,
        MESSAGE,
      );
    },

    /** Cancels a message that still waits (cancelling a cancelled message changes nothing, so it is retried). */
    cancel: (id: string, options?: CallOptions): Promise<Message> =>
      this.call(
        'safe',
        (init) =>
          this.client.DELETE('/v1/messages/{messageId}', {
            params: { path: { messageId: idOf(id, 'message') } },
            ...init,
          }),
        options,
        MESSAGE,
      ),

    /**
     * Makes a retrying message's next attempt now instead of at its backoff's time (same round, same
     * retry budget). It carries an Idempotency-Key (yours, or one made here), so the retries after a
     * lost answer, a 429 or a 5xx return the message with the attempt this call made instead of
     * making another (even once that attempt has failed again); give your own key to make a repeat
     * of the call itself safe (after a timeout, say).
     */
    retry: (id: string, options: CallOptions & { idempotencyKey?: string } = {}): Promise<Message> =>
      this.runKeyedMessageCommand('/v1/messages/{messageId}/retry', id, options),

    /**
     * Sends a delivered or failed message again, now (counts like a create). It carries an
     * Idempotency-Key (yours, or one made here), so the retries after a lost answer, a 429 or a 5xx
     * return the message in the round this call started instead of starting another; give your
     * own key to make a repeat of the call itself safe (after a timeout, say).
     */
    redeliver: (id: string, options: CallOptions & { idempotencyKey?: string } = {}): Promise<Message> =>
      this.runKeyedMessageCommand('/v1/messages/{messageId}/redeliver', id, options),

    /**
     * Starts a bulk cancel of the messages named by `ids` (up to 1000) or selected by `filter`; it
     * runs in the background: follow it with `jobs.get`. Keyed like `create`, so a retry after a lost
     * answer returns the job it started instead of starting a second.
     */
    cancelMany: (
      selection: BulkJobIn,
      options: CallOptions & { idempotencyKey?: string | undefined } = {},
    ): Promise<BulkJob> => this.startBulkJob('/v1/messages/cancel', selection, options),

    /** Starts a bulk redeliver (each counts like a create; the job stops at the quota), keyed like `cancelMany`. */
    redeliverMany: (
      selection: BulkJobIn,
      options: CallOptions & { idempotencyKey?: string | undefined } = {},
    ): Promise<BulkJob> => this.startBulkJob('/v1/messages/redeliver', selection, options),

    /** One page of messages, newest first; pass its `nextCursor` (or `previousCursor`) as `cursor` for the next (or previous). */
    listPage: (query: ListMessages = {}, options?: CallOptions): Promise<MessagePage> =>
      this.call(
        'safe',
        (init) => this.client.GET('/v1/messages', { params: { query: listQueryOf(query) }, ...init }),
        options,
        pageOf(MESSAGE_PAGE, 'messages', query.limit),
      ),

    /** Every message (newest first, without `body`), fetching page after page as you iterate: `for await (const m of vigil.messages.list())`. */
    list: (query: Omit<ListMessages, 'cursor'> & { cursor?: string | undefined } = {}, options?: CallOptions) => {
      const listPage = this.messages.listPage;
      return followPages(
        'GET /v1/messages',
        (cursor) => listPage({ ...query, ...(cursor !== undefined && { cursor }) }, options),
        query.cursor,
      );
    },
  };

  readonly keys = {
    /**
     * The tenant's active keys, oldest first (never their secrets); with `includeRevoked`, also the
     * keys revoked in the last 30 days (with `revokedAt` and `revokedBy`).
     */
    list: async (query: { includeRevoked?: boolean | undefined } = {}, options?: CallOptions): Promise<ApiKey[]> =>
      (
        await this.call<{ items: ApiKey[] }>(
          'safe',
          (init) =>
            this.client.GET('/v1/keys', {
              params: { query: query.includeRevoked ? { include: 'revoked' } : {} },
              ...init,
            }),
          options,
          KEY_LIST,
        )
      ).items,
    /**
     * A new key; its secret (`key`) is in this answer only. It carries an Idempotency-Key (yours, or
     * one made here), so the retries after a lost answer, a 429 or a 5xx make no second key (a live
     * key whose secret nobody saw). A retry that finds the key made already cannot return its
     * secret, which the API keeps only as a hash: it throws VigilKeyNotShownError naming the key,
     * to revoke (its secret was lost with the first answer) before creating another.
     */
    create: async (
      input: { name: string },
      options: CallOptions & { idempotencyKey?: string | undefined } = {},
    ): Promise<ApiKeyCreated> => {
      const idempotencyKey = keyOf(options.idempotencyKey);
      const header = { 'Idempotency-Key': idempotencyKey };
      const answer = await this.call<ApiKeyCreated | ApiKeyNotShown>(
        'keyed',
        (init) => this.client.POST('/v1/keys', { body: input, params: { header }, ...init }),
        options,
        KEY_CREATED,
      );
      if ('key' in answer) return answer;
      throw new VigilKeyNotShownError(answer, idempotencyKey, `${this.options.baseUrl.replace(/\/+$/, '')}/v1/keys`);
    },
    /** Revokes a key (revoking a revoked key changes nothing, so it is retried). */
    revoke: async (id: string, options?: CallOptions): Promise<void> => {
      await this.call(
        'safe',
        (init) => this.client.DELETE('/v1/keys/{keyId}', { params: { path: { keyId: idOf(id, 'key') } }, ...init }),
        options,
        NO_CONTENT,
      );
    },
  };

  /** Your endpoints that receive signed events about the account (`message.failed`, `key.created`, `key.revoked`). */
  readonly notificationEndpoints = {
    /** The tenant's endpoints (at most 5), oldest first. */
    list: async (options?: CallOptions): Promise<NotificationEndpoint[]> =>
      (
        await this.call<{ items: NotificationEndpoint[] }>(
          'safe',
          (init) => this.client.GET('/v1/notification-endpoints', { ...init }),
          options,
          ENDPOINT_LIST,
        )
      ).items,
    /**
     * Adds an endpoint (all events unless `events` names some). It carries an Idempotency-Key (yours,
     * or one made here), and the API keeps one endpoint a URL: a retry after a lost answer answers
     * with the endpoint the first try added. Your key used again once that endpoint was removed
     * throws VigilConflictError (409 `state-conflict`, naming it): nothing is added again.
     */
    add: (
      input: NotificationEndpointIn,
      options: CallOptions & { idempotencyKey?: string | undefined } = {},
    ): Promise<NotificationEndpoint> => {
      const header = { 'Idempotency-Key': keyOf(options.idempotencyKey) };
      return this.call(
        'keyed',
        (init) => this.client.POST('/v1/notification-endpoints', { body: input, params: { header }, ...init }),
        options,
        ENDPOINT,
      );
    },
    /** Removes an endpoint. */
    remove: async (id: string, options?: CallOptions): Promise<void> => {
      await this.call(
        'safe',
        (init) =>
          this.client.DELETE('/v1/notification-endpoints/{endpointId}', {
            params: { path: { endpointId: idOf(id, 'notification endpoint') } },
            ...init,
          }),
        options,
        NO_CONTENT,
      );
    },
    /**
     * Sends the endpoint a signed `notification.test` event; the answer is that delivery (a message).
     * It carries an Idempotency-Key (yours, or one made here), so a retry after a lost answer
     * returns the delivery the first try made instead of sending a second test.
     */
    test: (id: string, options: CallOptions & { idempotencyKey?: string | undefined } = {}): Promise<Message> => {
      const header = { 'Idempotency-Key': keyOf(options.idempotencyKey) };
      return this.call(
        'keyed',
        (init) =>
          this.client.POST('/v1/notification-endpoints/{endpointId}/test', {
            params: { path: { endpointId: idOf(id, 'notification endpoint') }, header },
            ...init,
          }),
        options,
        MESSAGE,
      );
    },
    /** The latest 20 deliveries to the endpoint, newest first. */
    deliveries: async (id: string, options?: CallOptions): Promise<Message[]> =>
      (
        await this.call<{ items: Message[] }>(
          'safe',
          (init) =>
            this.client.GET('/v1/notification-endpoints/{endpointId}/deliveries', {
              params: { path: { endpointId: idOf(id, 'notification endpoint') } },
              ...init,
            }),
          options,
          MESSAGE_LIST,
        )
      ).items,
  };

  readonly signingSecret = {
    /** The tenant's `whsec_` secret, for your receivers. */
    get: (options?: CallOptions): Promise<SigningSecret> =>
      this.call('safe', (init) => this.client.GET('/v1/signing-secret', { ...init }), options, SIGNING_SECRET),
    /**
     * A new secret; for 24 h deliveries carry signatures by the old and the new one. It carries an
     * Idempotency-Key (yours, or one made here), so a retry after a lost answer rotates nothing more
     * (and spends none of the day's three rotations): it returns the secret that signs now.
     */
    rotate: (options: CallOptions & { idempotencyKey?: string | undefined } = {}): Promise<SigningSecretRotated> => {
      const header = { 'Idempotency-Key': keyOf(options.idempotencyKey) };
      return this.call(
        'keyed',
        (init) => this.client.POST('/v1/signing-secret/rotate', { params: { header }, ...init }),
        options,
        SIGNING_SECRET,
      );
    },
  };

  /** Per-day counts from `from` to `to` (UTC dates; default the last 30 days), the month to date and the plan. */
  usage(
    range: { from?: string | Date | undefined; to?: string | Date | undefined } = {},
    options?: CallOptions,
  ): Promise<Usage> {
    const query = {
      ...(range.from !== undefined && { from: dateOnly(range.from) }),
      ...(range.to !== undefined && { to: dateOnly(range.to) }),
    };
    return this.call('safe', (init) => this.client.GET('/v1/usage', { params: { query }, ...init }), options, USAGE);
  }

  /** The API's liveness, version and clock (no key needed). */
  health(options?: CallOptions): Promise<Health> {
    return this.call('safe', (init) => this.client.GET('/health', { ...init }), options, HEALTH);
  }

  /** For the web console's server only (these take a console session token, not an API key). */
  readonly session = {
    /** The signed-in user's tenant, made at first sign-in. */
    claimTenant: (options?: CallOptions): Promise<SessionTenant> =>
      this.call('safe', (init) => this.client.POST('/v1/session/tenant', { ...init }), options, SESSION_TENANT),
    /** Signs the calling session out: the API refuses its token from then on (revoking twice changes nothing). */
    revoke: async (options?: CallOptions): Promise<void> => {
      await this.call('safe', (init) => this.client.POST('/v1/session/revoke', { ...init }), options, NO_CONTENT);
    },
  };
}
