/**
 * `--at`: an absolute instant (`2026-12-24T09:00:00Z`, `2026-12-24T09:00+01:00`) or a wall time
 * without an offset (`2026-12-24T09:00`, `2026-12-24 09:00`) read in a time zone: `--tz`, or this
 * machine's zone. A wall time goes to the API as it is, with its zone, so Vigil's server applies one
 * rule for gaps and overlaps (see the README's time-zone rules); the CLI does no offset arithmetic
 * for a send. A filter's bound is an instant the CLI works out (`parseFilterInstant`): the API's
 * filters take instants only.
 */
import { realpathSync } from 'node:fs';
import { parseDuration } from '../duration';
// The server's table (a message's zone is stored by the same names): data the CLI's build bundles.
import { CURRENT_ZONE_NAMES } from '../../../core/src/shared/current-zone-names';
import type { Env } from './config';

export type SendTime = { sendAt: string; timezone?: undefined } | { sendAt: string; timezone: string };

/** Seconds may have any fraction, as the API's `sendAt` may: past the millisecond, see `notBefore`. */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * `ms`, read by `Date.parse` from seconds written as `seconds`, moved up by one when they name a part
 * of a millisecond more (`:00.0000001`), as the API reads a `sendAt` or a filter's bound: never before
 * the time written (`Date.parse` drops those digits).
 */
const notBefore = (seconds: string, ms: number): number => (/\.\d{3}\d*[1-9]/.test(seconds) ? ms + 1 : ms);

/** Whether `zone` is an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`). */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
};

/** `zone`'s current IANA name when ICU reports an old one (and this runtime knows the new), else `zone`. */
export const modernZoneName = (zone: string): string => {
  const modern = CURRENT_ZONE_NAMES[zone];
  return modern && isTimeZone(modern) ? modern : zone;
};

let zonesByLowerCase: Map<string, string> | undefined;

/**
 * A zone as the tz database spells it (`europe/berlin` is `Europe/Berlin`), so the message shows it
 * so; one this runtime lists under no such spelling (a link such as `US/Eastern`) as given.
 */
export const zoneSpelling = (zone: string): string => {
  zonesByLowerCase ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), ...Object.values(CURRENT_ZONE_NAMES), 'UTC'].map((name) => [
      name.toLowerCase(),
      name,
    ]),
  );
  return zonesByLowerCase.get(zone.toLowerCase()) ?? zone;
};

/** This machine's zone, or undefined when it has no name this runtime knows (`systemTimeZone`). */
export type ZoneLookup = () => string | undefined;

/** Where a path leads once its links are followed, or undefined when it leads to nothing. */
export type LinkFollower = (path: string) => string | undefined;

const followLinks: LinkFollower = (path) => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

/** The zone a file of the tz database is, by its path (`/usr/share/zoneinfo/America/New_York`). */
const zoneOfDatabaseFile = (path: string): string | undefined => {
  const inDatabase = /\/zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(path)?.[1];
  return inDatabase !== undefined && isTimeZone(inDatabase) ? modernZoneName(inDatabase) : undefined;
};

/**
 * The zone a `TZ` that is no zone name still names: a file of the tz database
 * (`/usr/share/zoneinfo/America/New_York`, as the C library takes it) by its name, a link to one
 * (`:/etc/localtime`, a common way to spare the C library its checks) by the file it leads to, and
 * POSIX's `UTC0` / `GMT0` as UTC.
 */
const zoneOfTzValue = (tz: string, follow: LinkFollower): string | undefined => {
  if (/^(?:UTC|GMT|UCT)0$/i.test(tz)) return 'UTC';
  const named = zoneOfDatabaseFile(tz);
  if (named !== undefined || !tz.startsWith('/')) return named;
  const target = follow(tz);
  return target === undefined ? undefined : zoneOfDatabaseFile(target);
};

/**
 * This machine's IANA zone: `TZ` when it names one (what the user set, `Asia/Kolkata`, and not the
 * old name ICU reports for it, `Asia/Calcutta`; a tz database file, or a link to one, by its zone's
 * name), else, with `TZ` unset, the system's as Intl reports it, by its current name. Undefined when
 * `TZ` is set to what names no zone here (a POSIX rule such as `EST5EDT,M3.2.0,M11.1.0`, a file
 * outside the tz database): the C library and the shell may read it, but Node's Intl then falls
 * back to UTC or to no zone, and a wall time read so would be hours off (early, west of UTC).
 */
export const systemTimeZone = (env: Env = {}, follow: LinkFollower = followLinks): string | undefined => {
  const fromEnv = env.TZ?.replace(/^:/, '');
  if (fromEnv) return isTimeZone(fromEnv) ? fromEnv : zoneOfTzValue(fromEnv, follow);
  return modernZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
};

/** Why a wall time cannot be read in this machine's zone (`ZoneLookup` found none), and what to give instead. */
const NO_MACHINE_ZONE =
  "this machine's time zone has no IANA name here (TZ is set, but to none this runtime knows, such as a POSIX rule or a file outside the tz database)";

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * What is wrong with a date and time of the right shape (`2026-02-30`, `25:00`), or undefined when
 * it is one; `Date.parse` takes February 30th as March 2nd, and `24:00` as the next midnight.
 */
const calendarProblem = (date: string, hourMinute: string, seconds: string): string | undefined => {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = hourMinute.split(':').map(Number) as [number, number];
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > days) return `${date.slice(0, 7)} has ${days} days`;
  if (hour > 23) return 'hours go from 00 to 23';
  if (minute > 59 || Number(seconds.slice(1, 3)) >= 60) return 'minutes and seconds go from 00 to 59';
  return undefined;
};

/** What is wrong with `--tz zone`, when this runtime knows no such zone. */
export const unknownZone = (zone: string): string | undefined =>
  isTimeZone(zone)
    ? undefined
    : `--tz "${zone}" is not a time zone: give an IANA name such as Europe/Berlin, Asia/Kolkata or UTC`;

/**
 * What to send for `--at text [--tz zone]`, or what is wrong, naming the flag (`--tz "Mars/Base" is
 * not a time zone...`). `defaultZone` is this machine's (systemTimeZone).
 */
export const parseSendTime = (
  text: string,
  zone: string | undefined,
  defaultZone: ZoneLookup = systemTimeZone,
): SendTime | { error: string } => {
  const unknown = zone === undefined ? undefined : unknownZone(zone);
  if (unknown) return { error: unknown };
  const match = DATE_TIME.exec(text.trim());
  if (!match) {
    return {
      error: `--at "${text}" is not a time: write 2026-12-24T09:00 (a wall time, with --tz) or 2026-12-24T09:00:00Z`,
    };
  }
  const [, date = '', hourMinute = '', seconds = ':00', offset] = match;
  const wall = `${date}T${hourMinute}${seconds}`;
  const problem = calendarProblem(date, hourMinute, seconds);
  if (problem) return { error: `--at "${text}" is not a date and time: ${problem}` };
  if (offset) {
    if (zone !== undefined) {
      return { error: `--at "${text}" already has an offset (${offset}): drop --tz, or give the time without one` };
    }
    const normalised = offset.toUpperCase() === 'Z' ? 'Z' : offset.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
    return { sendAt: `${wall}${normalised}` };
  }
  const timezone = zone === undefined ? defaultZone() : zoneSpelling(zone);
  if (timezone === undefined) {
    return {
      error: `--at "${text}" is a wall time, and ${NO_MACHINE_ZONE}: give --tz (such as America/New_York), or an offset in --at`,
    };
  }
  return { sendAt: wall, timezone };
};

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** How far a zone's clock is ahead of UTC at the instant `ms` (whole seconds; offsets are). */
const zoneOffsetMs = (ms: number, zone: string): number => {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  // The year as RFC 3339 counts it (1 BC is 0000), set with setUTCFullYear: Date.UTC would read a
  // year 0 to 99 as 1900 to 1999, and a bound in 0050 would be sent as one in 1850 BC.
  const bc = parts.find((p) => p.type === 'era')?.value === 'BC';
  const wall = new Date(0).setUTCFullYear(bc ? 1 - part('year') : part('year'), part('month') - 1, part('day'));
  return wall + ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 - Math.floor(ms / 1000) * 1000;
};

const DAY_MS = 86_400_000;

/**
 * The instant a wall time (given as if it were UTC, `wallMs`) shows in `zone`, by the API's rule
 * for a sendAt (the README's time-zone rules, Temporal's `compatible`): a wall time that happens
 * twice (fall back) is the earlier of its instants, one the clocks skip (spring forward) moves
 * forward by the gap. The zone's offsets a day either side are the candidates (a change between
 * them is the one the wall time is near); one that shows the wall time again names it.
 */
const instantOfWallTime = (wallMs: number, zone: string): number => {
  const before = zoneOffsetMs(wallMs - DAY_MS, zone);
  const after = zoneOffsetMs(wallMs + DAY_MS, zone);
  const named = [before, after].map((offset) => wallMs - offset).filter((ms) => ms + zoneOffsetMs(ms, zone) === wallMs);
  // None in a gap: read with the offset before the change, the wall time lands after it, moved forward.
  return named.length > 0 ? Math.min(...named) : wallMs - before;
};

/**
 * A filter's bound (`--created-after`, `--send-before`...) as the API's RFC 3339 instant: an instant
 * with an offset (`2026-12-01T09:00:00Z`, `2026-12-01T10:00+01:00`), a wall time or a date (midnight)
 * in this machine's zone (`2026-12-01T09:00`, `2026-12-01`), or a duration (`2h`, `7d`) from now:
 * ago, or ahead when `ahead` (a send time: `--send-before 2h` is due within two hours).
 */
export const parseFilterInstant = (
  text: string,
  now: number,
  { ahead = false, zone = systemTimeZone }: { ahead?: boolean; zone?: ZoneLookup } = {},
): { instant: string } | { error: string } => {
  const trimmed = text.trim();
  if (/^\d[\d.]*(ms|s|m|h|d)/.test(trimmed)) {
    try {
      const ms = parseDuration(trimmed);
      return { instant: new Date(ahead ? now + ms : now - ms).toISOString() };
    } catch {
      // Not a duration after all: read as a time below.
    }
  }
  const match = DATE_TIME.exec(DATE_ONLY.test(trimmed) ? `${trimmed}T00:00` : trimmed);
  const [, date = '', hourMinute = '', seconds = ':00', offset] = match ?? [];
  const wallMs = match ? notBefore(seconds, Date.parse(`${date}T${hourMinute}${seconds}Z`)) : Number.NaN;
  if (Number.isNaN(wallMs)) {
    return {
      error: `"${text}" is not a time: write 2026-12-01T09:00:00Z, 2026-12-01T09:00 or 2026-12-01 (this machine's zone), or a duration such as 2h`,
    };
  }
  const problem = calendarProblem(date, hourMinute, seconds);
  if (problem) return { error: `"${text}" is not a date and time: ${problem}` };
  if (offset) {
    const normalised = offset.toUpperCase() === 'Z' ? 'Z' : offset.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
    const at = notBefore(seconds, Date.parse(`${date}T${hourMinute}${seconds}${normalised}`));
    return { instant: new Date(at).toISOString() };
  }
  const machineZone = zone();
  if (machineZone === undefined) {
    return {
      error: `"${text}" is a wall time, and ${NO_MACHINE_ZONE}: give an offset (${date}T${hourMinute}${seconds}Z, or e.g. -05:00), a duration, or set TZ to an IANA name`,
    };
  }
  return { instant: new Date(instantOfWallTime(wallMs, machineZone)).toISOString() };
};
