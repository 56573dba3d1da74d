/**
 * How the CLI prints: tables and colour for people on a terminal, plain tables when piped, JSON
 * with `--json`; errors as one line on stderr that says what to do.
 */
import pc from 'picocolors';
import { attemptOutcome } from '../attempt-outcome';
import { stringifyApiJson } from '../exact-json';
import type { Attempt } from '../types';
import type { Env } from './config';
import { formatDuration } from './duration';

export type Colors = ReturnType<typeof pc.createColors>;

export interface Streams {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface Output {
  json: boolean;
  color: Colors;
  /** The terminal's width, when stdout is one. */
  width?: number;
  line(text?: string): void;
  /** A JSON document on stdout (one line per value with `ndjson`, for streams such as tail). */
  data(value: unknown, ndjson?: boolean): void;
  /** A note on stderr: progress and warnings, never mixed into what a script reads. */
  note(text: string): void;
  error(message: string, hint?: string): void;
}

/** Colour when stdout is a terminal and NO_COLOR is not set, or when FORCE_COLOR asks for it. */
export const colorEnabled = (stream: { isTTY?: boolean }, env: Env): boolean => {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
};

export const createOutput = (streams: Streams, env: Env, json: boolean): Output => {
  const color = pc.createColors(colorEnabled(streams.stdout, env));
  const errorColor = pc.createColors(colorEnabled(streams.stderr, env));
  return {
    json,
    color,
    ...(streams.stdout.isTTY && streams.stdout.columns && { width: streams.stdout.columns }),
    line: (text = '') => void streams.stdout.write(`${text}\n`),
    data: (value, ndjson = false) => void streams.stdout.write(`${stringifyApiJson(value, ndjson ? 0 : 2)}\n`),
    note: (text) => void streams.stderr.write(`${text}\n`),
    error: (message, hint) =>
      void streams.stderr.write(`${errorColor.red('vigil:')} ${message}${hint ? `: ${hint}` : ''}\n`),
  };
};

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/** Visible width: ANSI colour codes take no room. */
// eslint-disable-next-line no-control-regex
export const visibleLength = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').length;

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visibleLength(text)));

/** Rows under a header, columns padded to their widest cell, two spaces apart; the last column is not padded. */
export const table = (header: string[], rows: string[][], color: Colors): string[] => {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [color.bold(render(header)), ...rows.map(render)];
};

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** A status in its colour: green delivered, red failed, yellow retrying, dim cancelled. */
export const statusText = (status: string, color: Colors): string => {
  switch (status) {
    case 'delivered':
      return color.green(status);
    case 'failed':
      return color.red(status);
    case 'retrying':
      return color.yellow(status);
    case 'cancelled':
      return color.dim(status);
    case 'delivering':
      return color.blue(status);
    default:
      return color.cyan(status);
  }
};

/** How an attempt ended (attempt-outcome.ts), green for a 2xx answer, red otherwise. */
export const outcomeText = (attempt: Parameters<typeof attemptOutcome>[0], color: Colors): string => {
  const words = attemptOutcome(attempt, formatDuration);
  const succeeded = attempt.statusCode !== undefined && attempt.statusCode < 300 && attempt.errorKind === undefined;
  return succeeded ? color.green(words) : color.red(words);
};

/** Why an attempt went out late, in a few words (openapi.yaml AttemptOut's `latenessReason`). */
const LATENESS_WORDS: Readonly<Record<NonNullable<Attempt['latenessReason']>, string>> = {
  'flow-control': 'held back by flow control',
  recovered: 'recovered by the sweep',
  'timer-missed': 'its timer missed, sent by the sweep',
  'engine-busy': 'the engine was too busy',
  'receiver-busy': 'every connection to the receiver was in use',
};

/**
 * How late an attempt went out, with why when Vigil knows: `3 ms late`, `61000 ms late (recovered by
 * the sweep)`; a reason this CLI has no words for (a newer server's) as the API names it.
 */
export const latenessText = (attempt: Pick<Attempt, 'latenessMs' | 'latenessReason'>): string => {
  const reason = attempt.latenessReason;
  const why =
    reason === undefined ? '' : ` (${Object.hasOwn(LATENESS_WORDS, reason) ? LATENESS_WORDS[reason] : reason})`;
  return `${attempt.latenessMs} ms late${why}`;
};

/** `2026-12-01T09:00:00.000Z` as `2026-12-01 09:00:00Z` (milliseconds only when there are some). */
export const timeText = (iso: string | undefined): string => {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = date.toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 19)}${text.endsWith('.000Z') ? '' : text.slice(19, 23)}Z`;
};

/** A message's local time in its zone: `2026-12-24 09:00:00+01:00 Europe/Berlin` (milliseconds only when there are some). */
export const localText = (message: { timezone?: string; localSendAt?: string }): string | undefined =>
  message.timezone && message.localSendAt
    ? `${message.localSendAt.replace('T', ' ').replace('.000', '')} ${message.timezone}`
    : undefined;

/** How far `iso` is from `now`: `in 10m`, `3s ago`. */
export const relativeText = (iso: string, now: number, formatDuration: (ms: number) => string): string => {
  const delta = Date.parse(iso) - now;
  if (Math.abs(delta) < 1_000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
};

/** `text` cut to `max` characters with an ellipsis. */
export const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
