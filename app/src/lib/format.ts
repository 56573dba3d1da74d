/** Small, pure presentation helpers shared by the pages. */
import type { JsonText } from '@vigil/client';
import { attemptOutcome as outcomeOfAttempt, jsonText, VigilError } from '@vigil/client';
import { isExactNumber } from '@vigil/core/exact-json';
import { CURRENT_ZONE_NAMES } from '@vigil/core/shared/current-zone-names';
import { utcMonthStart } from '@vigil/core/shared/utc-months';
import { indentJson } from './json-indent';
import type { Attempt, AttemptErrorKind, FailureReason } from './types';

const DAY_MS = 86_400_000;

// Always a number ("in 1 day"), never "tomorrow": 25 h ahead is often the day after tomorrow.
const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'always' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * DAY_MS],
  ['month', 30 * DAY_MS],
  ['day', DAY_MS],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/**
 * "in 5 minutes", "3 seconds ago", "now": the largest unit the span reaches, rounded to the nearest
 * (47 h 59 min is "in 2 days", 36 h "in 2 days", 35 h "in 1 day"; never "tomorrow"); a span that
 * rounds up to a whole larger unit is said in it (59 min 40 s ago is "1 hour ago", not "60 minutes ago").
 */
export const relativeTime = (iso: string, now = Date.now()): string => {
  const delta = Date.parse(iso) - now;
  if (Math.abs(delta) < 1000) return 'now';
  const index = UNITS.findIndex(([, ms]) => Math.abs(delta) >= ms);
  if (index === -1) return 'now';
  const [unit, ms] = UNITS[index]!;
  // Math.round rounds -1.5 to -1: round the size, then give it its sign back.
  const size = Math.round(Math.abs(delta) / ms);
  const larger = UNITS[index - 1];
  if (larger && size * ms >= larger[1]) return RELATIVE.format(Math.sign(delta) * 1, larger[0]);
  return RELATIVE.format(Math.sign(delta) * size, unit);
};

/** "2026-11-23 22:41:07.123 UTC": exact, to the millisecond, in one zone for everyone. */
export const absoluteTime = (iso: string): string => `${iso.replace('T', ' ').replace('Z', '')} UTC`;

/**
 * An instant in a viewer's zone, named: `2026-12-01 20:38:43.747 America/New_York (UTC-05:00)`, or
 * to the second (`ms: false`) where a row has little room.
 */
export const zonedTime = (iso: string, zone: string, { ms = true }: { ms?: boolean } = {}): string => {
  const wall = wallTimeIn(iso, zone).replace('T', ' ');
  const withMs = wall.length === 19 ? `${wall}.000` : wall;
  const shown = ms ? withMs : withMs.slice(0, 19);
  if (zone === 'UTC' || zone === 'Etc/UTC') return `${shown} UTC`;
  const offset = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(iso))
    .find((p) => p.type === 'timeZoneName')?.value;
  // `GMT-05:00`, or `GMT` alone at offset zero.
  const utcOffset = offset === undefined || offset === 'GMT' ? 'UTC+00:00' : offset.replace('GMT', 'UTC');
  return `${shown} ${zone} (${utcOffset})`;
};

/**
 * The zone of the browser (or of the server while rendering there): an IANA name such as
 * `Europe/Berlin`, by its current name, as the API stores a message's zone: browsers' ICU reports
 * some by the tz database's old one (`Asia/Calcutta` for `Asia/Kolkata`), which the console would
 * otherwise show, and offer beside the message's own zone as if it were another.
 */
export const browserTimeZone = (reported = Intl.DateTimeFormat().resolvedOptions().timeZone): string => {
  const current = CURRENT_ZONE_NAMES[reported];
  return current !== undefined && isKnownZone(current) ? current : reported;
};

/**
 * Whether two zone names are one zone: the same name, or a link and the zone it leads to. The API
 * keeps a message's zone by the name it was given (`US/Eastern`, `CET`), which a browser in New
 * York reports as `America/New_York`; Intl resolves both to one.
 */
export const isSameZone = (a: string, b: string): boolean => {
  if (a === b) return true;
  try {
    const resolved = (zone: string) => new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    return resolved(a) === resolved(b);
  } catch {
    return false;
  }
};

/** Whether this runtime's Intl knows `zone` (an older one may lack a new name such as `Europe/Kyiv`). */
const isKnownZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/**
 * When a UTC day (`2026-12-07`) begins on the clocks of `zone`, for a chart of UTC days shown to
 * someone far from UTC: `14:00 in Pacific/Kiritimati`; undefined where it begins at midnight (UTC,
 * London in winter).
 */
export const utcDayStartIn = (date: string, zone: string): string | undefined => {
  const clock = wallTimeIn(`${date}T00:00:00.000Z`, zone).slice(11, 16);
  return clock === '' || clock === '00:00' ? undefined : `${clock} in ${zone}`;
};

/**
 * An instant as the wall time a `datetime-local` input takes, in `zone`, by the zone's rules (Intl),
 * never by offset arithmetic: `2026-03-29T03:30:00`, with `.123` only when there are milliseconds.
 * '' (an empty input) for text that is not an instant, such as a hand-edited URL's `updatedSince=abc`.
 */
export const wallTimeIn = (iso: string, zone: string): string => {
  if (!Number.isFinite(Date.parse(iso))) return '';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const wall = `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
  const ms = part('fractionalSecond');
  return ms === '000' || ms === '' ? wall : `${wall}.${ms}`;
};

/** Now as a `datetime-local` wall time in `zone`, to the second: the bound a date picker offers. */
export const wallTimeNow = (zone: string, now = Date.now()): string =>
  wallTimeIn(new Date(now).toISOString(), zone).slice(0, 19);

/**
 * Whether the instant a wall time names in `zone` (by the API's rule, `instantOfWallTime`) is
 * before the current second: compared as instants, since in the hour a fall-back repeats, wall
 * times out of order with their instants (01:40 EDT came before 01:10 EST) compare wrongly as text.
 */
export const wallTimeHasPassed = (wall: string, zone: string, now = Date.now()): boolean =>
  Date.parse(instantOfWallTime(wall, zone)) < Math.floor(now / 1000) * 1000;

/**
 * The instant a `datetime-local` wall time names in `zone` (the inverse of `wallTimeIn`), as RFC
 * 3339 UTC, by the API's rule (Temporal's `compatible`, libs/core/src/time-zones.ts): a wall time in
 * a fall-back overlap is the earlier of its two instants, one in a spring-forward gap moves forward
 * by the gap. The zone's offsets a day either side are the candidates (a change between them is the
 * one the wall time is near); one that gives back the wall time names it.
 */
export const instantOfWallTime = (wall: string, zone: string): string => {
  const asUtc = Date.parse(`${wall}Z`);
  const offsetAt = (ms: number) => Date.parse(`${wallTimeIn(new Date(ms).toISOString(), zone)}Z`) - ms;
  const before = offsetAt(asUtc - DAY_MS);
  const after = offsetAt(asUtc + DAY_MS);
  const named = [before, after].map((offset) => asUtc - offset).filter((ms) => asUtc - offsetAt(ms) === ms);
  // None in a gap: read with the offset before the change, the wall time lands after it, moved forward.
  return new Date(named.length > 0 ? Math.min(...named) : asUtc - before).toISOString();
};

/**
 * A message's local send time as people read it: `2026-03-29 03:30:00.000 Europe/Berlin (UTC+02:00)`,
 * from the API's `localSendAt` (`2026-03-29T03:30:00.000+02:00`) and `timezone`.
 */
export const localTimeText = (localSendAt: string, timezone: string): string => {
  const offset = localSendAt.slice(23);
  return `${localSendAt.slice(0, 23).replace('T', ' ')} ${timezone} (UTC${offset})`;
};

/** Lines of a body shown before "Show all". */
export const COLLAPSED_LINES = 20;

/**
 * Characters of a body shown before "Show all": about 20 lines' worth in the page's width. A
 * 256 KiB body on one line is one line, and shown whole it filled a box that gave no sign of the
 * 250 KiB below its fold.
 */
export const COLLAPSED_CHARS = 4_000;

/**
 * The first `lines` lines of a text, cut to `chars` characters, how many lines and characters
 * there are in all, whether the head leaves any of it out, and whether it ends within a line.
 */
export const firstLines = (
  text: string,
  lines = COLLAPSED_LINES,
  chars = COLLAPSED_CHARS,
): { head: string; total: number; chars: number; folded: boolean; cutInLine: boolean } => {
  const all = text.split('\n');
  const byLines = all.slice(0, lines).join('\n');
  // Never between the two halves of a character outside the BMP (an emoji).
  let cut = Math.min(byLines.length, chars);
  if (cut < byLines.length && /[\uD800-\uDBFF]/.test(byLines.charAt(cut - 1))) cut -= 1;
  const head = byLines.slice(0, cut);
  return {
    head,
    total: all.length,
    chars: text.length,
    folded: head.length < text.length,
    cutInLine: head.length < byLines.length,
  };
};

/** A value in single quotes for a POSIX shell. */
const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** Between a curl command's lines: a backslash ends each but the last. */
const CURL_LINE_BREAK = ' \\\n';

/** Headers a curl command leaves out of what Vigil sent: its own client sets them, or only Vigil can make them. */
const NOT_REPLAYED = new Set(['host', 'connection', 'content-length', 'webhook-timestamp', 'webhook-signature']);

/**
 * A message's body as its deliveries send it (`vigil.messages.body`): the exact text, and whether it
 * is a JSON body or a string body (sent as text).
 */
export interface SentBody {
  text: string;
  kind: 'json' | 'text';
}

/** The body text the API answered for a message, with its kind (a string `body` is a text body). */
export const sentBodyOf = (message: { body?: unknown }, text: string | undefined): SentBody | undefined =>
  text === undefined ? undefined : { text, kind: typeof message.body === 'string' ? 'text' : 'json' };

/** What of a message a curl of its request is written from (`webhookCurl`, `webhookCurlHead`), its body aside. */
interface CurlMessage {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * A `curl` that sends the request Vigil sends for a message: its method, URL, body (as sent, byte for byte), and the
 * headers an attempt sent (`sentHeaders`, from the attempt list) or, before any attempt, the ones
 * the message will send. The signature headers (`webhook-timestamp`, `webhook-signature`) are
 * left out, since only Vigil can sign: a receiver that verifies signatures will refuse the copy.
 * Header values that look like credentials, and a password or a credential-named query value in the URL, stay masked, as on the page:
 * put the real ones in.
 */
export const webhookCurl = (
  message: CurlMessage & { body?: SentBody | undefined },
  sentHeaders?: Record<string, string>,
): string =>
  curlWithBody(webhookCurlHead({ ...message, bodyKind: message.body?.kind }, sentHeaders), message.body?.text);

/**
 * `webhookCurl` but for its body: the method, the masked URL and headers, and the content type a
 * body of `bodyKind` is sent with (none: the message has no body). The message page's server
 * writes it, where the URL's and headers' secrets are masked, and the browser adds the body it
 * holds (`curlWithBody`), so the body is not sent to the browser again in the command.
 */
export const webhookCurlHead = (
  message: CurlMessage & { bodyKind?: SentBody['kind'] | undefined },
  sentHeaders?: Record<string, string>,
): string => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sentHeaders ?? message.headers)) {
    if (!NOT_REPLAYED.has(name)) headers[name] = maskedHeaderValue(name, value);
  }
  if (sentHeaders === undefined) {
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (message.bodyKind !== undefined && !hasContentType) {
      headers['content-type'] = message.bodyKind === 'text' ? 'text/plain; charset=utf-8' : 'application/json';
    }
    headers['webhook-id'] = message.id;
  }
  const lines = [`curl -X ${message.method} ${shellQuote(maskedUrl(message.url))}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`  -H ${shellQuote(`${name}: ${value}`)}`);
  return lines.join(CURL_LINE_BREAK);
};

/** A curl command's head (`webhookCurlHead`) with the body it sends, as written (none: the head alone). */
export const curlWithBody = (head: string, bodyText: string | undefined): string =>
  bodyText === undefined ? head : `${head}${CURL_LINE_BREAK}  --data-raw ${shellQuote(bodyText)}`;

/**
 * The attempt numbers that began a redelivery. Attempts say which delivery (`round`) they belong
 * to, so a change of round is one. Attempts recorded before Vigil kept the round are read from
 * their answers: a round ends with a 2xx, a 410 or its last allowed attempt, so an attempt after
 * one of those is a redelivery's first (a round ended early without a response, e.g. a refused
 * target, is not seen as ended; while earlier attempts are `omitted`, only the 2xx/410 ends are seen).
 */
export const redeliveryStarts = (
  attempts: ReadonlyArray<{ n: number; statusCode?: number; round?: number }>,
  maxAttempts: number,
  omitted = 0,
): Set<number> => {
  const starts = new Set<number>();
  let inRound: number | undefined = omitted > 0 ? undefined : 0;
  let previous: { statusCode?: number; round?: number } | undefined;
  for (const attempt of attempts) {
    if (previous === undefined) {
      // A first delivery that made no attempt (it failed before sending) and was redelivered.
      if (omitted === 0 && attempt.round !== undefined && attempt.round > 0) starts.add(attempt.n);
    } else if (attempt.round !== undefined && previous.round !== undefined) {
      if (attempt.round > previous.round) starts.add(attempt.n);
    } else {
      const code = previous.statusCode;
      const answeredEnd = code !== undefined && ((code >= 200 && code < 300) || code === 410);
      if (answeredEnd || (inRound !== undefined && inRound >= maxAttempts)) starts.add(attempt.n);
    }
    if (starts.has(attempt.n)) inRound = 0;
    if (inRound !== undefined) inRound += 1;
    previous = attempt;
  }
  return starts;
};

/**
 * The units a duration is written in, each with its size and how many decimals it keeps (seconds
 * under ten keep two: lateness is read to the hundredth of a second there).
 */
const DURATION_UNITS: Array<{ ms: number; decimals: (value: number) => number; write: (n: string) => string }> = [
  { ms: 1, decimals: () => 0, write: (n) => `${n} ms` },
  { ms: 1000, decimals: (s) => (s < 10 ? 2 : 1), write: (n) => `${n} s` },
  { ms: 60_000, decimals: () => 1, write: (n) => `${n} min` },
  { ms: 3_600_000, decimals: () => 1, write: (n) => `${n} h` },
  { ms: DAY_MS, decimals: () => 1, write: (n) => `${n} ${n === '1' ? 'day' : 'days'}` },
];

/**
 * A duration as people say it: `12 ms`, `1.4 s`, `12.5 s`, `3 min`, `59.5 min`, `1 h`, `1.5 h`,
 * `2 days`. The largest unit it reaches, rounded, without a trailing `.0`; a value that rounds up
 * to the next unit is written in it (59,999 ms is `1 min`, never `60.0 s`; an hour is `1 h`, never
 * `60.0 min`).
 */
export const duration = (ms: number): string => {
  const size = Math.abs(ms);
  let index = DURATION_UNITS.findLastIndex((unit) => size >= unit.ms);
  if (index === -1) index = 0;
  for (;;) {
    const unit = DURATION_UNITS[index]!;
    const value = size / unit.ms;
    const fixed = value.toFixed(unit.decimals(value));
    const text = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
    const next = DURATION_UNITS[index + 1];
    // Rounded up to a whole next unit (999.6 ms, 59.96 s, 59.96 min, 23.96 h): said in that unit.
    if (next && Number(text) * unit.ms >= next.ms) {
      index += 1;
      continue;
    }
    return unit.write(`${ms < 0 ? '-' : ''}${text}`);
  }
};

/** Header names whose values are credentials: shown masked. */
const SECRET_HEADER = /auth|token|secret|key|signature|^sig$|password|cookie|credential|session/i;
const MASK = '••••••••';

export const maskedHeaderValue = (name: string, value: string): string => {
  if (!SECRET_HEADER.test(name)) return value;
  return value.length <= 8 ? MASK : `${value.slice(0, 4)}${MASK}${value.slice(-2)}`;
};

/** A query (`?a=1&token=…`) with the value of each parameter named like a credential masked as such a header's. */
const maskedQuery = (query: string): string =>
  query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq === -1) return pair;
      const name = pair.slice(0, eq).replace(/^\?/, '');
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // Not valid percent-encoding: judged as written.
      }
      return SECRET_HEADER.test(decoded)
        ? `${pair.slice(0, eq)}=${maskedHeaderValue(decoded, pair.slice(eq + 1))}`
        : pair;
    })
    .join('&');

/**
 * A URL as the console shows it: a password in it (`https://user:pass@host/`, which Vigil sends as
 * Basic authentication) masked like a credential header's value, read by the WHATWG URL parser as
 * the sender reads it, and so is the value of a query parameter named like a credential
 * (`?token=…`, `api_key=…`, `sig=…`); the rest as written.
 */
export const maskedUrl = (url: string): string => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password !== '') {
    return `${parsed.protocol}//${parsed.username}:${MASK}@${parsed.host}${parsed.pathname}${maskedQuery(parsed.search)}${parsed.hash}`;
  }
  const start = url.indexOf('?');
  if (start === -1) return url;
  const hash = url.indexOf('#', start);
  const end = hash === -1 ? url.length : hash;
  return `${url.slice(0, start)}${maskedQuery(url.slice(start, end))}${url.slice(end)}`;
};

/** A secret with only its start visible: `whsec_MfKQ••••••••`. */
export const maskedSecret = (secret: string, visible = 10): string => `${secret.slice(0, visible)}${'•'.repeat(16)}`;

/**
 * A body's text as it is best read: JSON (a JSON body, or a text that holds JSON) indented, its
 * tokens as written and where they were (indentJson: whitespace added, nothing reordered, unescaped
 * or rounded); other text as it is.
 */
export const prettyBody = (text: string): { text: string; json: boolean } => {
  const indented = indentJson(text);
  return indented === undefined ? { text, json: false } : { text: indented, json: true };
};

/**
 * What the message page says under a body: how many bytes are sent (what each attempt's
 * `content-length` says), and, where the view is indented, that only whitespace was added and the
 * copy is the exact text.
 */
export const bodyNote = (text: string, indented: boolean): string => {
  const bytes = new TextEncoder().encode(text).length;
  const size = `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
  return indented
    ? `Sent as ${size}. Indented here for reading (only spaces and line breaks added: every name, escape and digit as sent, in its place); Copy body copies the text exactly as it is sent.`
    : `Sent as ${size}, as it is: nothing added or changed for reading.`;
};

/** The p-th percentile (nearest rank) of some numbers, or undefined when there are none. */
export const percentile = (values: number[], p: number): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

export const count = (n: number): string => n.toLocaleString('en-US');

/** YYYY-MM-DD of a day `daysAgo` before today (UTC). */
export const utcDate = (daysAgo = 0, now = Date.now()): string =>
  new Date(now - daysAgo * DAY_MS).toISOString().slice(0, 10);

/** When a monthly quota used up at `now` renews: the start of the next UTC month, as an ISO instant. */
export const quotaRenewal = (now = Date.now()): string => new Date(utcMonthStart(now, 1)).toISOString();

/** The API leaves out days without usage; a chart wants every day from `from` to `to`, zeros included. */
export const everyDay = <D extends { date: string }>(
  from: string,
  to: string,
  days: D[],
  empty: (date: string) => D,
): D[] => {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const out: D[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    out.push(byDate.get(date) ?? empty(date));
  }
  return out;
};

/** Whether the API is on this machine (the local stack): then webhooks go to a local receiver. */
export const isLocalApi = (apiUrl: string): boolean => /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(apiUrl);

/**
 * The local receiver the quickstart's webhook goes to, as README's walk-through starts it: the
 * signing secret (a placeholder, `whsec_…`) in its environment, so it verifies signatures.
 */
export const LOCAL_RECEIVER_COMMAND = 'VIGIL_SIGNING_SECRET=whsec_… npm run receiver -- 9000';

/** A ready `curl` that schedules a webhook 10 seconds from now with `key` (a whole key, or its prefix…). */
export const quickstartCurl = (apiUrl: string, key: string): string =>
  [
    `curl ${apiUrl}/v1/messages \\`,
    `  -H 'Authorization: Bearer ${key}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"url":"${isLocalApi(apiUrl) ? 'http://127.0.0.1:9000/hook' : 'https://example.com/hook'}","delay":10,"body":{"hello":"world"}}'`,
  ].join('\n');

const FAILURE_TITLES: Record<FailureReason['code'], string> = {
  'record-failed': 'An attempt was sent but could not be recorded',
  poison: 'Vigil could not deliver this message and stopped trying',
  'signing-failed': 'The request could not be signed',
  'tenant-gone': 'The account this message belongs to no longer exists',
  'flow-control': 'Its flow control key never had a free turn for it, so it was not sent',
};

const LATENESS_REASONS: Record<NonNullable<Attempt['latenessReason']>, string> = {
  'flow-control': 'held back by flow control',
  recovered: 'recovered by Vigil’s sweep after its queue ticket was lost or late',
  'timer-missed': 'its far-future timer did not fire in time, so Vigil’s sweep sent it',
  'engine-busy': 'the engine was too busy (or paused) at the instant it was due',
  'receiver-busy':
    'it waited for a connection to the receiver: every one was in use by requests still waiting on its answers',
};

/** Why an attempt went out late, in words (the API's `latenessReason`); a reason with no words yet, as the API names it. */
export const latenessReasonText = (reason: NonNullable<Attempt['latenessReason']>): string =>
  Object.hasOwn(LATENESS_REASONS, reason) ? LATENESS_REASONS[reason] : `late: ${reason}`;

/** Why a message ended failed, in words: a title for the code, then Vigil's detail. */
export const failureReasonText = (reason: FailureReason): { title: string; detail: string } => ({
  title: FAILURE_TITLES[reason.code] ?? `Failed (${reason.code})`,
  detail: reason.detail,
});

/**
 * What the sender's error texts (and their errno codes) mean, in a few words: only for attempts
 * recorded before the API said it as `errorKind`.
 */
const ERROR_WORDS: Array<[RegExp, string]> = [
  [/ECONNREFUSED/, 'connection refused'],
  [/ECONNRESET|socket hang up/, 'connection reset'],
  // getaddrinfo's temporary failure: the host may exist, and the retry find it.
  [/EAI_AGAIN/, 'temporary name server failure'],
  [/ENOTFOUND|getaddrinfo/, 'host not found'],
  [/ETIMEDOUT|ENETUNREACH|EHOSTUNREACH/, 'host unreachable'],
  [/CERT|certificate|SSL|TLS|EPROTO/i, 'secure connection (TLS) failed'],
  [/not allowed|private|loopback|link-local/i, 'address refused by Vigil'],
];

/**
 * How an attempt ended, in a few words for a list row: `HTTP 503`, `timed out after 10 s`,
 * `connection refused`; from its `errorKind` in the words the CLI uses too (`@vigil/client`), or,
 * for an attempt recorded before there was one (or of a kind Vigil has no words for), from its
 * error text (shown as it is when no pattern knows it, cut at 60 characters).
 */
export const attemptOutcome = (attempt: {
  statusCode?: number;
  error?: string;
  errorKind?: AttemptErrorKind;
  durationMs?: number;
}): string => {
  const { statusCode, errorKind } = attempt;
  if (statusCode !== undefined || (errorKind !== undefined && errorKind !== 'other')) {
    return outcomeOfAttempt(attempt, duration);
  }
  const error = attempt.error ?? 'no answer';
  const timeout = /^timeout after (\d+) ms/.exec(error);
  if (timeout) return `timed out after ${duration(Number(timeout[1]))}`;
  const words = ERROR_WORDS.find(([pattern]) => pattern.test(error));
  if (words) return words[1];
  return error.length > 60 ? `${error.slice(0, 59)}…` : error;
};

/** The test webhook's payload until the user edits it. */
export const DEFAULT_TEST_PAYLOAD = JSON.stringify(
  { type: 'vigil.test', message: 'A test webhook sent from the Vigil web app.' },
  null,
  2,
);

/**
 * A payload typed as JSON text, checked: the text to send as typed (jsonText: names in their order,
 * escapes and every number's digits as written), or why it is not JSON, in words.
 */
export const checkPayload = (text: string): { ok: true; body: JsonText } | { ok: false; error: string } => {
  if (text.trim() === '') return { ok: false, error: 'Write the payload as JSON (for an empty object: {}).' };
  try {
    return { ok: true, body: jsonText(text) };
  } catch (error) {
    const reason = error instanceof VigilError ? error.errors[0]?.message : undefined;
    return { ok: false, error: `The payload ${reason ?? 'is not valid JSON'}.` };
  }
};

/** Who revoked a key, in words: the console, the key itself, another key by name, or Vigil's operators. */
export const revokerText = (
  key: { id: string; revokedBy?: string },
  keys: ReadonlyArray<{ id: string; name: string; prefix: string }>,
): string => {
  const by = key.revokedBy;
  if (by === 'session') return 'from the web console';
  if (by === 'operator') return "by Vigil's operators";
  if (by === key.id) return 'by itself (with its own secret)';
  const revoker = keys.find((k) => k.id === by);
  if (revoker) return `with the key “${revoker.name}” (${revoker.prefix}…)`;
  return by && by !== 'unknown' ? `with a key no longer listed (${by})` : 'by someone not recorded';
};

/**
 * A message's target as a row names it: `POST example.com/hooks/order` (method, host and path, no
 * credentials, query or fragment), as written, as its page shows it: `bücher.example/straße`, not
 * the parser's `xn--bcher-kva.example/stra%C3%9Fe`.
 */
export const targetText = (message: { method: string; url: string }): string => {
  const written = /^[a-z][a-z\d+.-]*:\/\/(?:[^@/?#]*@)?([^?#]*)/i.exec(message.url)?.[1];
  return `${message.method} ${written ?? message.url}`;
};

/** The parts of a request an attempt's `differs` names, in words. */
const REQUEST_PART_WORDS: Record<string, string> = {
  url: 'address',
  method: 'method',
  headers: 'headers',
  body: 'body',
};

/** An attempt's `differs` as words, listed: `address`, `address and body`, `method, headers and body`. */
const partsListed = (parts: readonly string[]): string =>
  parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;

/**
 * What an attempt sent before the message was changed says of it, for its place in the attempt
 * list: where it went (`sentTo`, its method and address, masked as the page masks the message's),
 * when the address or the method differ from the message's now, and which parts of its request
 * differ (`note`); undefined for an attempt sent as the message is now.
 */
export const attemptRequestText = (attempt: {
  url?: string;
  method?: string;
  differs?: readonly string[];
}): { sentTo?: string; note: string } | undefined => {
  const differs = attempt.differs ?? [];
  if (differs.length === 0) return undefined;
  const parts = differs.map((part) => REQUEST_PART_WORDS[part] ?? part);
  const listed = partsListed(parts);
  const moved = differs.includes('url') || differs.includes('method');
  const sentTo = !moved
    ? undefined
    : attempt.url === undefined
      ? `${attempt.method ?? ''} an address Vigil no longer keeps (the message was changed many times since)`.trim()
      : `${attempt.method ?? ''} ${maskedUrl(attempt.url)}`.trim();
  return {
    ...(sentTo !== undefined && { sentTo }),
    note: `Sent before the message was changed: its ${listed} ${parts.length === 1 && parts[0] !== 'headers' ? 'differs' : 'differ'} from the message's now.`,
  };
};

/**
 * A listed message's last attempt, when it was sent before the message was changed: where it went
 * and what of it differs, in a line (`Sent to POST https://old.example/hook before a change of its
 * address and body`); undefined for one sent as the message is.
 */
export const lastAttemptChangeText = (attempt: {
  url?: string;
  method?: string;
  differs?: readonly string[];
}): string | undefined => {
  const request = attemptRequestText(attempt);
  if (request === undefined) return undefined;
  const listed = partsListed((attempt.differs ?? []).map((part) => REQUEST_PART_WORDS[part] ?? part));
  return `Sent ${request.sentTo === undefined ? '' : `to ${request.sentTo} `}before a change of its ${listed}`;
};

/**
 * Data a server action hands the browser, as React can carry it: plain objects only, so a body's
 * number kept as written (a LosslessNumber, a class) goes as its digits, a string.
 */
export const plainData = <T>(data: T): T =>
  data === undefined
    ? data
    : (JSON.parse(
        JSON.stringify(data, (_name, value: unknown) => (isExactNumber(value) ? value.toString() : value)),
      ) as T);
