/** Small, pure presentation helpers shared by the pages. */
import type { FailureReason } from './types';

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "in 5 minutes", "3 seconds ago", "now". */
export const relativeTime = (iso: string, now = Date.now()): string => {
  const delta = Date.parse(iso) - now;
  if (Math.abs(delta) < 1000) return 'now';
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms) return RELATIVE.format(Math.trunc(delta / ms), unit);
  }
  return 'now';
};

/** "2026-11-23 22:41:07.123 UTC": exact, to the millisecond, in one zone for everyone. */
export const absoluteTime = (iso: string): string => `${iso.replace('T', ' ').replace('Z', '')} UTC`;

/** The zone of the browser (or of the server while rendering there): an IANA name such as `Europe/Berlin`. */
export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * An instant as the wall time a `datetime-local` input takes, in `zone`, by the zone's rules (Intl),
 * never by offset arithmetic: `2026-03-29T03:30:00`, with `.123` only when there are milliseconds.
 */
export const wallTimeIn = (iso: string, zone: string): string => {
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

/**
 * A message's local send time as people read it: `2026-03-29 03:30:00.000 Europe/Berlin (UTC+02:00)`,
 * from the API's `localSendAt` (`2026-03-29T03:30:00.000+02:00`) and `timezone`.
 */
export const localTimeText = (localSendAt: string, timezone: string): string => {
  const offset = localSendAt.slice(23);
  return `${localSendAt.slice(0, 23).replace('T', ' ')} ${timezone} (UTC${offset})`;
};

/** 12 ms, 1.4 s, 3 min. */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
};

/** Header names whose values are credentials: shown masked. */
const SECRET_HEADER = /auth|token|secret|key|signature|password|cookie|credential|session/i;

export const maskedHeaderValue = (name: string, value: string): string => {
  if (!SECRET_HEADER.test(name)) return value;
  return value.length <= 8 ? '••••••••' : `${value.slice(0, 4)}••••••••${value.slice(-2)}`;
};

/** A secret with only its start visible: `whsec_MfKQ••••••••`. */
export const maskedSecret = (secret: string, visible = 10): string => `${secret.slice(0, visible)}${'•'.repeat(16)}`;

/** A body as it is best read: JSON pretty-printed, a string as is (pretty too if it holds JSON). */
export const prettyBody = (body: unknown): { text: string; json: boolean } => {
  if (typeof body === 'string') {
    try {
      return { text: JSON.stringify(JSON.parse(body), null, 2), json: true };
    } catch {
      return { text: body, json: false };
    }
  }
  return { text: JSON.stringify(body, null, 2), json: true };
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
  new Date(now - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** The API leaves out days without usage; a chart wants every day from `from` to `to`, zeros included. */
export const everyDay = <D extends { date: string }>(
  from: string,
  to: string,
  days: D[],
  empty: (date: string) => D,
): D[] => {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const out: D[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    out.push(byDate.get(date) ?? empty(date));
  }
  return out;
};

/** Whether the API is on this machine (the local stack): then webhooks go to a local receiver. */
export const isLocalApi = (apiUrl: string): boolean => /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(apiUrl);

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
};

/** Why a message ended failed, in words: a title for the code, then Vigil's detail. */
export const failureReasonText = (reason: FailureReason): { title: string; detail: string } => ({
  title: FAILURE_TITLES[reason.code] ?? `Failed (${reason.code})`,
  detail: reason.detail,
});
