/** `vigil send`, `ls`, `show`, `cancel`, `redeliver` by ids: message API calls, printed for people or as JSON. */
import type { Api, Attempt, CallOptions, AttemptList, CreateMessage, Message, MessageFilter, MessagePage } from './api';
import {
  compactJsonBytes,
  MAX_DATA_READ_BYTES,
  MAX_MESSAGE_BYTES,
  readAtMost,
  readFileAtMost,
  sizeText,
} from './bounded-read';
import { durationArg } from './duration';
import { formatDuration } from './duration';
import { CliError, EXIT, usageError } from './exit-codes';
import type { Output } from './output';
import {
  latenessText,
  localText,
  outcomeText,
  relativeText,
  statusText,
  table,
  timeText,
  truncate,
  visibleLength,
} from './output';
import { JOB_ID, MESSAGE_ID } from './ids';
import type { ZoneLookup } from './wall-time';
import { parseSendTime, systemTimeZone, unknownZone } from './wall-time';
import { attemptOutcome } from '../attempt-outcome';
import { stringifyApiJson } from '../exact-json';
import type { JsonText } from '../json-text';
import { jsonText } from '../json-text';
import type { VigilValidationError } from '../errors';

// ---------------------------------------------------------------------------------------------
// send
// ---------------------------------------------------------------------------------------------

export interface SendOptions {
  in?: string;
  at?: string;
  tz?: string;
  data?: string;
  header?: string[];
  retries?: string;
  method?: string;
  metadata?: string[];
  label?: string[];
  idempotencyKey?: string;
}

/**
 * `--data`: `@file` (or `@-` for stdin) read from there; JSON text, sent as written, when it is JSON,
 * a string body otherwise. Text that starts as JSON does (`{`, `[`) but is not JSON is refused: it is
 * a JSON body with a typo far more often than text, and sent as text it would reach the receiver as
 * `text/plain` it cannot parse. `asText` (a `content-type` header of another kind given) sends it as
 * it is.
 */
export const readData = async (
  data: string,
  stdin: NodeJS.ReadableStream,
  asText = false,
): Promise<JsonText | string> => {
  let text = data;
  if (data.startsWith('@')) {
    const path = data.slice(1);
    let bytes: Buffer | undefined;
    if (path === '-') {
      bytes = await readAtMost(stdin as NodeJS.ReadableStream & { destroy?: () => void }, MAX_DATA_READ_BYTES);
    } else {
      try {
        bytes = await readFileAtMost(path, MAX_DATA_READ_BYTES);
      } catch (error) {
        throw usageError(`--data ${data}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    if (bytes === undefined) throw tooLarge(data, `more than ${sizeText(MAX_DATA_READ_BYTES)}`);
    // Nothing read: a pipe whose writer failed, a closed stdin, a file truncated by a failed export.
    // Sent, it would be a webhook with no body; an empty body is asked for as --data ''.
    if (bytes.length === 0) {
      throw usageError(
        `--data ${data}: ${path === '-' ? 'stdin gave nothing (closed, or nothing piped)' : `${path} is empty`}, so there is no body to send`,
        "send an empty body with --data '', or none by leaving --data out",
      );
    }
    // A body is text: bytes that are not UTF-8 are refused, not sent with U+FFFD in their place.
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw usageError(
        `--data ${data}: the body is not UTF-8 text`,
        'a message body is JSON or text; send binary data as base64',
      );
    }
  }
  let body: JsonText | string;
  try {
    // Sent as written: `{"b":1,"1":2}` in that order, escapes and a 20-digit id as typed.
    body = jsonText(text);
  } catch (error) {
    if (!asText && /^\s*[[{]/.test(text)) {
      const reason = (error as VigilValidationError).errors[0]?.message ?? 'is not valid JSON';
      throw usageError(
        `${dataFlag(data)}: looks like JSON but ${reason}`,
        'fix the JSON; to send this text as it is, add --header content-type:text/plain',
      );
    }
    body = text;
  }
  // As the API counts it: a JSON body without the whitespace between tokens, a text body's UTF-8.
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : compactJsonBytes(body.text);
  if (size > MAX_MESSAGE_BYTES) throw tooLarge(data, `${size.toLocaleString('en-US')} bytes`);
  return body;
};

/** `--data` as an error names it: `--data @file` as given, an inline body as `--data <inline>` (not echoed). */
const dataFlag = (data: string): string => `--data ${data.startsWith('@') ? data : '<inline>'}`;

/** `--data` larger than a message can be: refused before anything is sent, as the API would (413). */
const tooLarge = (data: string, size: string) =>
  usageError(
    `${dataFlag(data)}: the body is ${size}, over the ${sizeText(MAX_MESSAGE_BYTES)} a message holds`,
    'send a smaller body (a link to the data, say)',
  );

/** `--header name:value`, split at the first colon, as curl takes it. */
const parseHeaders = (headers: string[] = []): Record<string, string> => {
  const result: Record<string, string> = {};
  for (const header of headers) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw usageError(`--header "${header}" is not name:value`, 'write it as --header x-kind:invoice');
    result[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  return result;
};

/** Whether `--header content-type:...` names a type that is not JSON (`text/plain`, `application/xml`). */
const declaresText = (headers: Record<string, string>): boolean =>
  Object.entries(headers).some(([name, value]) => name.toLowerCase() === 'content-type' && !/\bjson\b/i.test(value));

const parseMetadata = (pairs: string[] = []): Record<string, string> => {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw usageError(`--metadata "${pair}" is not name=value`);
    result[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return result;
};

/** The message `vigil send <url> [options]` asks for (checked here, before any call). */
export const messageFromOptions = async (
  url: string,
  options: SendOptions,
  stdin: NodeJS.ReadableStream,
  zone: ZoneLookup = systemTimeZone,
): Promise<CreateMessage & { idempotencyKey?: string }> => {
  if (options.in !== undefined && options.at !== undefined) {
    throw usageError('give --in or --at, not both');
  }
  if (options.tz !== undefined && options.at === undefined) {
    // An unknown zone is named first: it is wrong with or without --at.
    const unknown = unknownZone(options.tz);
    if (unknown) throw usageError(unknown);
    throw usageError('--tz goes with --at', `write --at 2026-12-24T09:00 --tz ${options.tz}`);
  }
  const message: CreateMessage & { idempotencyKey?: string } = { url };
  if (options.at !== undefined) {
    const time = parseSendTime(options.at, options.tz, zone);
    if ('error' in time) throw usageError(time.error);
    message.sendAt = time.sendAt;
    if (time.timezone) message.timezone = time.timezone;
  } else {
    message.delay = options.in === undefined ? 0 : durationArg('--in', options.in, { ahead: true }) / 1000;
  }
  const headers = parseHeaders(options.header);
  if (options.data !== undefined) message.body = await readData(options.data, stdin, declaresText(headers));
  if (Object.keys(headers).length > 0) message.headers = headers;
  const metadata = parseMetadata(options.metadata);
  if (Object.keys(metadata).length > 0) message.metadata = metadata;
  if (options.label && options.label.length > 0) message.labels = options.label;
  if (options.retries !== undefined) {
    const retries = Number(options.retries);
    if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
      throw usageError(`--retries ${options.retries}: give a whole number from 0 to ${MAX_RETRIES}`);
    }
    message.retry = { maxAttempts: retries + 1 };
  }
  if (options.idempotencyKey !== undefined) message.idempotencyKey = checkedIdempotencyKey(options.idempotencyKey);
  if (options.method !== undefined) {
    const method = options.method.toUpperCase();
    if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') {
      throw usageError(`--method ${options.method}: give POST, PUT or PATCH`);
    }
    message.method = method;
  }
  return message;
};

/**
 * `Scheduled msg_... for 2026-12-24 08:00:00Z (in 3d 2h) → POST https://...`; for a `repeat` (a keyed
 * send the API answered with the message an earlier run made, 200) `Already scheduled by an earlier
 * run with this --idempotency-key: msg_... for ...`, with where it stands when it has moved on
 * (`; now delivered`), and with --json the message as ever and a note on stderr that says so.
 */
export const printScheduled = (output: Output, message: Message, now: number, repeat = false) => {
  if (output.json) {
    output.data(message);
    if (repeat) {
      output.note(
        `vigil: already scheduled as ${message.id} by an earlier run with this --idempotency-key: nothing new was scheduled`,
      );
    }
    return;
  }
  const { color } = output;
  const local = localText(message) ? `, ${localText(message)}` : '';
  const what = `${color.bold(message.id)} for ${timeText(message.sendAt)} (${relativeText(message.sendAt, now, formatDuration)}${local}) → ${message.method} ${message.url}`;
  if (!repeat) return output.line(`Scheduled ${what}`);
  const moved =
    message.status === 'scheduled' || message.status === 'queued' ? '' : `; now ${statusText(message.status, color)}`;
  output.line(`Already scheduled by an earlier run with this --idempotency-key: ${what}${moved}`);
};

// ---------------------------------------------------------------------------------------------
// ls
// ---------------------------------------------------------------------------------------------

/** Requests one `vigil ls` makes at most (each reads at most 1,000 stored messages): 100 full pages of 100. */
export const MAX_LIST_REQUESTS = 100;

// The API's bounds the CLI checks before it calls (contract/cli-rules.test.ts holds each to the API's own).
/** `--retries`: the API's `retry.maxAttempts` is at most 20, the first attempt included. */
export const MAX_RETRIES = 19;
/** The retries a message gets when `--retries` is not given (the API's default `retry.maxAttempts`, 8). */
export const DEFAULT_RETRIES = 7;
/** The most items one page of a listing holds (the API's `limit`). */
export const PAGE_MAX = 100;
/** The longest Idempotency-Key the API takes. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Where `vigil ls` starts: a page's `nextCursor` (reads on down) or its `previousCursor` (reads on up). */
export type ListStart = { cursor: string; upwards: boolean };

/** How `listMessages` reads: from where, with what call options, and in how many requests at most. */
export interface ListOptions {
  start?: ListStart | undefined;
  call?: CallOptions | undefined;
  /** The most requests it makes (MAX_LIST_REQUESTS unless given: a dry run counts in more). */
  maxRequests?: number | undefined;
}

export interface MessageList {
  items: Message[];
  /** Where the page after these starts, and the page before them. */
  nextCursor?: string;
  previousCursor?: string;
  /** Whether it stopped at its most requests with fewer than asked for (a filter few messages match). */
  stopped: boolean;
}

/**
 * Up to `limit` messages of `filter`, newest first, reading pages of at most 100: from the newest, or
 * from `start` on down (a next cursor) or up (a previous cursor, each page above the last). A
 * filter checked on each message may answer pages with few items, so it stops after
 * `maxRequests` requests whatever it found, with the cursors to go on from. The one reading of a
 * filter the CLI has: `vigil ls`, a dry run's count, tail's pending messages.
 */
export const listMessages = async (
  api: Api,
  filter: MessageFilter,
  limit: number,
  { start, call, maxRequests = MAX_LIST_REQUESTS }: ListOptions = {},
): Promise<MessageList> => {
  const upwards = start?.upwards ?? false;
  const pages: MessagePage[] = [];
  const seen = new Set<string>();
  let items: Message[] = [];
  let cursor = start?.cursor;
  do {
    const page = await api.messages.listPage(
      {
        ...filter,
        limit: Math.min(PAGE_MAX, limit - items.length),
        ...(cursor && { cursor }),
      },
      call,
    );
    pages.push(page);
    // A page read upwards that reaches the newest messages is the whole first page: it may repeat some.
    const fresh = page.items.filter((m) => !seen.has(m.id));
    for (const m of fresh) seen.add(m.id);
    items = upwards ? [...fresh, ...items] : [...items, ...fresh];
    cursor = (upwards ? page.previousCursor : page.nextCursor) ?? undefined;
  } while (cursor && items.length < limit && pages.length < maxRequests);
  const [top, bottom] = upwards ? [pages.at(-1)!, pages[0]!] : [pages[0]!, pages.at(-1)!];
  return {
    items,
    ...(bottom.nextCursor && { nextCursor: bottom.nextCursor }),
    ...(top.previousCursor && { previousCursor: top.previousCursor }),
    stopped: cursor !== undefined && items.length < limit,
  };
};

/**
 * `2/3`: attempts made of the round's most; after a redelivery (`maxAttempts` is per round) the
 * count across rounds alone, `9`, so it never reads as more than allowed.
 */
const attemptsText = (message: Message): string =>
  (message.lastAttempt?.round ?? 0) > 0 ? String(message.attempts) : `${message.attempts}/${message.maxAttempts}`;

/**
 * When a `retrying` message tries again, as SEND AT tells its time: `next try in 42s` on a terminal
 * (`next try now` once due), the instant when piped (a relative time read later would be wrong).
 */
const nextTryText = (message: Message, output: Output, now: number): string | undefined => {
  if (message.status !== 'retrying' || !message.nextAttemptAt) return undefined;
  if (!output.width) return `next try ${timeText(message.nextAttemptAt)}`;
  const due = Date.parse(message.nextAttemptAt) - now < 1_000;
  return `next try ${due ? 'now' : relativeText(message.nextAttemptAt, now, formatDuration)}`;
};

/**
 * Where a last attempt went when that is not the message's URL now (a `PATCH` changed it since):
 * `METHOD URL` as the attempt says it; undefined for one sent to the message's URL.
 */
export const sentElsewhere = (attempt: Attempt): string | undefined =>
  attempt.differs?.includes('url')
    ? `${attempt.method ?? 'POST'} ${attempt.url ?? 'an address no longer kept'}`
    : undefined;

/**
 * What the last attempt did (`HTTP 500`), that it went to an earlier URL when the message's has
 * changed since (the row's URL is not where it failed), and, for a message that will try again,
 * when (`next try in 42s`).
 */
const lastText = (message: Message, output: Output, now: number) => {
  const outcome = message.lastAttempt ? outcomeText(message.lastAttempt, output.color) : '-';
  const next = nextTryText(message, output, now);
  const notes = [
    ...(message.lastAttempt && sentElsewhere(message.lastAttempt) ? ['to an earlier URL'] : []),
    ...(next ? [next] : []),
  ];
  return notes.length > 0 ? `${outcome}${output.color.yellow(`, ${notes.join(', ')}`)}` : outcome;
};

/** Columns two spaces apart, as `table` pads them: what is left of the terminal's width is the URL's. */
const COLUMN_GAP = 2;

/** The least a URL is cut to: shorter, it tells no endpoint from another (`http://127.0.0.1:97…`). */
const MIN_URL_WIDTH = 30;

/**
 * Messages as a table; on a terminal, each row fits its width where it can: the URL (last) is cut
 * to the room the other columns leave, the due time's "36s ago" left out when that makes the room
 * (at 80 columns, say). Where even that leaves less than MIN_URL_WIDTH, the row wraps anyway: the
 * URL is then shown whole, which cutting would not have saved.
 */
export const printList = (output: Output, messages: Message[], now: number) => {
  if (output.json) return output.data(messages);
  if (messages.length === 0) return output.line('No messages.');
  const header = ['ID', 'STATUS', 'SEND AT', 'ATTEMPTS', 'LAST', 'URL'];
  const rowsOf = (relative: boolean) =>
    messages.map((m) => [
      m.id,
      statusText(m.status, output.color),
      `${timeText(m.sendAt)}${relative ? output.color.dim(` ${relativeText(m.sendAt, now, formatDuration)}`) : ''}`,
      attemptsText(m),
      lastText(m, output, now),
    ]);
  /** What the terminal leaves the URL beside `rows`' columns (each as wide as its widest cell) and their gaps. */
  const roomBeside = (rows: string[][]) =>
    (output.width ?? Infinity) -
    header
      .slice(0, -1)
      .reduce(
        (sum, h, i) => sum + COLUMN_GAP + Math.max(visibleLength(h), ...rows.map((row) => visibleLength(row[i]!))),
        0,
      );
  let rows = rowsOf(output.width !== undefined);
  let room = roomBeside(rows);
  if (room < MIN_URL_WIDTH && output.width !== undefined) {
    rows = rowsOf(false);
    room = roomBeside(rows);
  }
  const urlWidth = room >= MIN_URL_WIDTH ? room : Infinity;
  const withUrls = rows.map((row, i) => [...row, truncate(messages[i]!.url, urlWidth)]);
  for (const line of table(header, withUrls, output.color)) output.line(line);
};

/** The messages to one URL, counted: `vigil ls --summary`'s group. */
export interface UrlSummary {
  url: string;
  count: number;
  /** How many are in each status, most first. */
  statuses: Record<string, number>;
  /**
   * How their last attempts sent to this URL ended, in words (`HTTP 500`, `timed out after 10s`),
   * most first; `not attempted` for none.
   */
  lastAttempts: Record<string, number>;
  /**
   * Their last attempts that went elsewhere, sent before a change of the message's URL: by where
   * they went (`POST https://old.example/hook`), how they ended, most first. Absent when none did.
   */
  lastAttemptsElsewhere?: Record<string, Record<string, number>>;
  /** The earliest any was due: about when the failures began, for a filter of failing ones. */
  firstSendAt: string;
  /** The latest attempt any of them made to this URL, if any did. */
  lastAttemptAt?: string;
}

/** Counts by key, most first (ties in the order first seen). */
const countedMostFirst = (keys: string[]): Record<string, number> => {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
};

/** Adds `item` to its group in `groups`, in place (a copy of the group at each item is quadratic: 10,000 in one). */
const addToGroup = <T>(groups: Map<string, T[]>, key: string, item: T): void => {
  const group = groups.get(key);
  if (group) group.push(item);
  else groups.set(key, [item]);
};

/** `messages` grouped by URL, the largest group first: which endpoints, in what state, failing how, since when. */
export const summarize = (messages: Message[]): UrlSummary[] => {
  const byUrl = new Map<string, Message[]>();
  for (const message of messages) addToGroup(byUrl, message.url, message);
  return [...byUrl]
    .map(([url, group]) => {
      const here: Message[] = [];
      const elsewhere = new Map<string, Attempt[]>();
      for (const message of group) {
        const where = message.lastAttempt && sentElsewhere(message.lastAttempt);
        if (where === undefined) here.push(message);
        else addToGroup(elsewhere, where, message.lastAttempt!);
      }
      const attempted = here.flatMap((m) => (m.lastAttempt ? [m.lastAttempt.startedAt] : [])).sort();
      const ended = (attempts: Attempt[]) => countedMostFirst(attempts.map((a) => attemptOutcome(a, formatDuration)));
      return {
        url,
        count: group.length,
        statuses: countedMostFirst(group.map((m) => m.status)),
        lastAttempts: countedMostFirst(
          here.map((m) => (m.lastAttempt ? attemptOutcome(m.lastAttempt, formatDuration) : 'not attempted')),
        ),
        ...(elsewhere.size > 0 && {
          lastAttemptsElsewhere: Object.fromEntries(
            [...elsewhere]
              .sort((a, b) => b[1].length - a[1].length)
              .map(([where, attempts]) => [where, ended(attempts)]),
          ),
        }),
        firstSendAt: group.map((m) => m.sendAt).sort()[0]!,
        ...(attempted.length > 0 && { lastAttemptAt: attempted.at(-1)! }),
      };
    })
    .sort((a, b) => b.count - a.count);
};

/** `150 failed, 100 retrying`. */
const countsOf = (counts: Record<string, number>, word: (key: string) => string = (key) => key) =>
  Object.entries(counts)
    .map(([key, n]) => `${n} ${word(key)}`)
    .join(', ');

/** One block a URL, so it reads the same at 80 columns as at 200, and in a file. */
export const printSummary = (output: Output, groups: UrlSummary[], now: number) => {
  if (output.json) return output.data(groups);
  if (groups.length === 0) return output.line('No messages.');
  const { color } = output;
  const when = (iso: string) => `${timeText(iso)} (${relativeText(iso, now, formatDuration)})`;
  for (const [i, group] of groups.entries()) {
    if (i > 0) output.line();
    output.line(color.bold(group.url));
    const fields: Array<[string, string]> = [
      [
        group.count === 1 ? 'message' : 'messages',
        `${group.count}: ${countsOf(group.statuses, (status) => statusText(status, color))}`,
      ],
    ];
    if (Object.keys(group.lastAttempts).length > 0) fields.push(['last attempts', countsOf(group.lastAttempts)]);
    // Sent before its URL changed: where they failed is not this block's URL.
    for (const [where, ended] of Object.entries(group.lastAttemptsElsewhere ?? {})) {
      fields.push(['earlier URL', `${countsOf(ended)} at ${where}`]);
    }
    fields.push(['first due', when(group.firstSendAt)]);
    if (group.lastAttemptAt) fields.push(['last attempt', when(group.lastAttemptAt)]);
    for (const [name, value] of fields) output.line(`  ${color.dim(name.padEnd(14))}${value}`);
  }
};

// ---------------------------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------------------------

/**
 * Where an attempt sent before the message was changed went, and what of it differs from the
 * message now (the attempt list's `url`, `method` and `differs`); '' for one sent as the message is.
 */
const changedSinceText = (attempt: Attempt, output: Output): string => {
  const differs = attempt.differs ?? [];
  if (differs.length === 0) return '';
  const moved = differs.includes('url') || differs.includes('method');
  const to = [attempt.method, attempt.url ?? 'an address no longer kept'].filter(Boolean).join(' ');
  const parts = differs.length === 1 ? differs[0] : `${differs.slice(0, -1).join(', ')} and ${differs.at(-1)}`;
  return `  ${output.color.yellow(`${moved ? `sent to ${to}` : 'sent'} before a change of its ${parts}`)}`;
};

const attemptLine = (attempt: Attempt, output: Output) => {
  const { color } = output;
  const snippet = attempt.responseSnippet
    ? `  ${color.dim(JSON.stringify(truncate(attempt.responseSnippet, 60)))}`
    : '';
  const retryAfter =
    attempt.retryAfterMs !== undefined ? `, asked to wait ${formatDuration(attempt.retryAfterMs)}` : '';
  return `attempt ${attempt.n}  ${outcomeText(attempt, color)}  ${attempt.durationMs} ms, ${latenessText(attempt)}${retryAfter}${changedSinceText(attempt, output)}${snippet}`;
};

/**
 * Why a message failed: the API's reason when it gives one (a failure other than the attempts'),
 * else what its last attempts tell: a 410 that stops retries, or the round's attempts all spent.
 */
const failedText = (message: Message, attempts: AttemptList): string => {
  const reason = attempts.failureReason ?? message.failureReason;
  if (reason) return `failed: ${reason.code} (${reason.detail})`;
  const last = attempts.items.at(-1) ?? message.lastAttempt;
  if (last?.statusCode === 410) return 'failed: the endpoint answered 410 Gone, which stops the retries';
  if (!last) return 'failed';
  // The first round's attempts are all the message's; a redelivery's are those of the list in its round.
  const lastRound = last.round ?? 0;
  const spent =
    lastRound === 0 ? message.attempts : attempts.items.filter((attempt) => (attempt.round ?? 0) === lastRound).length;
  if (spent < message.maxAttempts) return 'failed';
  const which = lastRound === 0 ? '' : ' of the redelivery';
  return message.maxAttempts === 1
    ? `failed: its one attempt${which} failed`
    : `failed: all ${message.maxAttempts} attempts${which} failed`;
};

/** What happened to a message, in order: created, due, each attempt, and where it stands now. */
export const timeline = (
  message: Message,
  attempts: AttemptList,
  output: Output,
  now: number,
): Array<[string, string]> => {
  const { color } = output;
  const events: Array<[string, string]> = [[message.createdAt, 'created']];
  const local = localText(message) ? ` (${localText(message)})` : '';
  events.push([message.sendAt, `due${local}`]);
  if (attempts.omitted > 0)
    events.push([
      attempts.items[0]?.startedAt ?? message.sendAt,
      color.dim(`${attempts.omitted} earlier attempts not kept`),
    ]);
  let round = 0;
  for (const attempt of attempts.items) {
    // A redelivery starts a round: said before its first attempt (same instant, kept in order by the stable sort).
    if ((attempt.round ?? 0) > round) events.push([attempt.startedAt, color.cyan('redelivered')]);
    round = attempt.round ?? 0;
    events.push([attempt.startedAt, attemptLine(attempt, output)]);
  }
  if (message.deliveredAt && message.status === 'delivered')
    events.push([message.deliveredAt, color.green('delivered')]);
  if (message.nextAttemptAt && message.status === 'retrying') {
    // When, as `send at` says it: a person reading a retrying message asks "how long until it tries again".
    const when = relativeText(message.nextAttemptAt, now, formatDuration);
    events.push([message.nextAttemptAt, color.yellow(`next attempt (${when})`)]);
  }
  if (message.status === 'failed') events.push([message.updatedAt, color.red(failedText(message, attempts))]);
  if (message.status === 'cancelled') events.push([message.updatedAt, color.dim('cancelled')]);
  return events.sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]));
};

/**
 * A message and its attempts; `body` is its body as it is sent (`messages.body`), shown in place of
 * `message.body` read into values. As JSON, the three as the API answers them: the message and its
 * attempts, and `body` the body's exact text (left out for a message without one), since the
 * message's `body` is JSON read into values ("1" before "b", the text as sent lost).
 */
export const printShow = (output: Output, message: Message, attempts: AttemptList, now: number, body?: string) => {
  if (output.json) return output.data({ message, attempts, ...(body !== undefined && { body }) });
  const { color } = output;
  // A retrying message's next attempt where a person looks first, beside its status (the timeline's last line says it too).
  const next =
    message.status === 'retrying' && message.nextAttemptAt
      ? color.yellow(
          `, next attempt ${timeText(message.nextAttemptAt)} (${relativeText(message.nextAttemptAt, now, formatDuration)})`,
        )
      : '';
  output.line(`${color.bold(message.id)}  ${statusText(message.status, color)}${next}`);
  const fields: Array<[string, string]> = [
    ['url', `${message.method} ${message.url}`],
    ['send at', `${timeText(message.sendAt)} (${relativeText(message.sendAt, now, formatDuration)})`],
    ['attempts', `${message.attempts} (at most ${message.maxAttempts} per round), timeout ${message.timeoutMs} ms`],
  ];
  if (Object.keys(message.headers).length > 0) {
    fields.push([
      'headers',
      Object.entries(message.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    ]);
  }
  if (message.labels.length > 0) fields.push(['labels', message.labels.join(', ')]);
  if (Object.keys(message.metadata).length > 0) {
    fields.push([
      'metadata',
      Object.entries(message.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ]);
  }
  if (message.body !== undefined) {
    const sent = body ?? (typeof message.body === 'string' ? message.body : stringifyApiJson(message.body));
    fields.push(['body', truncate(sent, 200)]);
  }
  for (const [name, value] of fields) output.line(`  ${color.dim(name.padEnd(9))}${value}`);
  output.line();
  for (const [at, what] of timeline(message, attempts, output, now))
    output.line(`  ${color.dim(timeText(at))}  ${what}`);
};

// ---------------------------------------------------------------------------------------------
// cancel, redeliver
// ---------------------------------------------------------------------------------------------

/**
 * `--idempotency-key`, checked before any call: sent as a header, so printable ASCII (a line break
 * or a non-Latin-1 character cannot be sent, and the API answers 400 to any other), at most `max`
 * long (IDEMPOTENCY_KEY_MAX_LENGTH, as the API takes it; less where the CLI adds to it), no space at either end (HTTP drops it).
 */
export const checkedIdempotencyKey = (key: string, max = IDEMPOTENCY_KEY_MAX_LENGTH): string => {
  const pattern = new RegExp(`^[\\x21-\\x7e]([\\x20-\\x7e]{0,${max - 2}}[\\x21-\\x7e])?$`);
  if (!pattern.test(key)) {
    throw usageError(
      `--idempotency-key: give 1 to ${max} printable ASCII characters, not starting or ending with a space`,
      'e.g. --idempotency-key invoice-42-reminder',
    );
  }
  return key;
};

/**
 * Checks an id looks like one before calling: a typo is a usage error, not a 404, and a job's id
 * given for a message's says where it goes.
 */
export const checkId = (id: string) => {
  if (MESSAGE_ID.test(id)) return;
  if (JOB_ID.test(id)) {
    throw usageError(`${id} is a job id, not a message id`, `see the job with vigil jobs show ${id}`);
  }
  throw new CliError(
    `"${id}" is not a message id (msg_ and 26 capital letters and digits)`,
    EXIT.usage,
    'see the ids with vigil ls',
  );
};
