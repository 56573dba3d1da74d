/**
 * Which messages, at the command line: `vigil ls`, `vigil cancel` and `vigil redeliver` take the
 * same flags, one per field of the API's message filter (`GET /v1/messages`'s query, a bulk job's
 * `filter`), so what `ls` shows is what a bulk job with the same flags acts on.
 */
import type { Command } from 'commander';
import type { MessageFilter, MessageOriginKind, MessageStatus } from './api';
import { usageError } from './exit-codes';
import type { ZoneLookup } from './wall-time';
import { parseFilterInstant } from './wall-time';
// The server's lists (what it stores and filters by): data the CLI's build bundles.
import { MESSAGE_ORIGIN_KINDS, MESSAGE_STATUSES } from '../../../core/src/shared/message-values';

/** What `--status` takes: the server's statuses, in the order it shows them. */
export const STATUSES: readonly MessageStatus[] = MESSAGE_STATUSES;

/** Who made a message: you, or Vigil (a callback, a notification endpoint's alert). */
export const ORIGINS: readonly MessageOriginKind[] = MESSAGE_ORIGIN_KINDS;

/** The flags as commander parses them (lists and times still as typed). */
export interface FilterOptions {
  status?: string;
  origin?: string;
  label?: string;
  urlPrefix?: string;
  idContains?: string;
  sendAfter?: string;
  sendBefore?: string;
  createdAfter?: string;
  createdBefore?: string;
  updatedSince?: string;
}

/** The flag of each filter field, to name it back to the user (an error, the command for the next page). */
export const FILTER_FLAGS: Readonly<Record<keyof MessageFilter, string>> = {
  status: '--status',
  label: '--label',
  urlPrefix: '--url-prefix',
  idContains: '--id-contains',
  sendAtFrom: '--send-after',
  sendAtTo: '--send-before',
  createdAtFrom: '--created-after',
  createdAtTo: '--created-before',
  updatedSince: '--updated-since',
  origin: '--origin',
};

/** The time flags, each with its filter field and whether a duration counts ahead (a send time) or back. */
const TIME_FLAGS = [
  ['sendAfter', 'sendAtFrom', true],
  ['sendBefore', 'sendAtTo', true],
  ['createdAfter', 'createdAtFrom', false],
  ['createdBefore', 'createdAtTo', false],
  ['updatedSince', 'updatedSince', false],
] as const;

/**
 * `--status failed,retrying`, `--origin message`: known values, each once; a usage error naming the
 * flag and the value it does not know (`--status done: done is not a status`) otherwise.
 */
const listOf = <T extends string>(
  flag: string,
  text: string,
  known: readonly T[],
  [one, many]: [string, string],
): T[] => {
  const given = text.split(',').map((s) => s.trim());
  const unknown = given.filter((s) => !known.includes(s as T));
  if (unknown.length > 0) {
    const named = unknown.map((s) => (s === '' ? '""' : s)).join(', ');
    throw usageError(
      `${flag} ${text}: ${named} ${unknown.length === 1 ? `is not ${one}` : `are not ${many}`}`,
      `give a comma list of ${known.join(', ')}`,
    );
  }
  return [...new Set(given)] as T[];
};

/** How a time flag is written. */
const TIME_HELP = '2026-12-01T09:00:00Z, or 2026-12-01T09:00 or 2026-12-01 in this zone';

/** Adds the filter flags to `command`. */
export const withFilterOptions = (command: Command): Command =>
  command
    .option('--status <list>', `only messages in one of these statuses, a comma list (${STATUSES.join(', ')})`)
    .option(
      '--origin <list>',
      "only messages made by one of these, a comma list: message (yours), callback, notification (Vigil's own event deliveries)",
    )
    .option('--label <label>', 'only messages carrying this label')
    .option('--url-prefix <text>', 'only messages whose URL starts with this')
    .option('--id-contains <text>', 'only messages whose id contains this text (msg_...: ids starting so)')
    .option('--send-after <time>', `only messages due at or after this time (${TIME_HELP}, or 2h: two hours from now)`)
    .option('--send-before <time>', 'only messages due before this time')
    .option(
      '--created-after <time>',
      `only messages created at or after this time (${TIME_HELP}, or 2h: two hours ago)`,
    )
    .option('--created-before <time>', 'only messages created before this time')
    .option('--updated-since <time>', 'only messages changed since this time (a finished one: when it finished)');

/** The API's filter for the flags given (empty when none), times as instants; a time it cannot read is a usage error. */
export const filterFromOptions = (options: FilterOptions, now: number, zone?: ZoneLookup): MessageFilter => {
  const filter: MessageFilter = {
    ...(options.status !== undefined && {
      status: listOf('--status', options.status, STATUSES, ['a status', 'statuses']),
    }),
    ...(options.origin !== undefined && {
      origin: listOf('--origin', options.origin, ORIGINS, ['an origin', 'origins']),
    }),
    ...(options.label !== undefined && { label: options.label }),
    ...(options.urlPrefix !== undefined && { urlPrefix: options.urlPrefix }),
    ...(options.idContains !== undefined && { idContains: options.idContains }),
  };
  for (const [option, field, ahead] of TIME_FLAGS) {
    const text = options[option];
    if (text === undefined) continue;
    const parsed = parseFilterInstant(text, now, { ahead, ...(zone !== undefined && { zone }) });
    if ('error' in parsed) throw usageError(`${FILTER_FLAGS[field]} ${parsed.error}`);
    filter[field] = parsed.instant;
  }
  return filter;
};

/** `text` as one shell word: as it is when it is safe, single-quoted otherwise. */
export const shellWord = (text: string): string =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

/** The flags that give `filter` again (times as the instants they were read as), for a command to print. */
export const filterFlags = (filter: MessageFilter): string[] =>
  (Object.keys(FILTER_FLAGS) as Array<keyof MessageFilter>).flatMap((field) => {
    const value = filter[field];
    if (value === undefined) return [];
    return [FILTER_FLAGS[field], shellWord(Array.isArray(value) ? value.join(',') : String(value))];
  });
