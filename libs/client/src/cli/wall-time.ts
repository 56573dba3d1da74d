/**
 * `--at`: an absolute instant (`2026-12-24T09:00:00Z`, `2026-12-24T09:00+01:00`) or a wall time
 * without an offset (`2026-12-24T09:00`, `2026-12-24 09:00`) read in a time zone: `--tz`, or this
 * machine's zone. A wall time goes to the API as it is, with its zone, so Vigil's server applies one
 * rule for gaps and overlaps (see the README's time-zone rules); the CLI does no offset arithmetic
 * for a send. A filter's bound is an instant the CLI works out (`parseFilterInstant`): the API's
 * filters take instants only.
 */
import { parseDuration } from '../duration';

export type SendTime = { sendAt: string; timezone?: undefined } | { sendAt: string; timezone: string };

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Whether `zone` is an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`). */
export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
};

/** This machine's IANA zone (`TZ`, or the system's), as Intl reports it. */
export const systemTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** What to send for `--at text [--tz zone]`, or a message saying what is wrong with it. */
export const parseSendTime = (
  text: string,
  zone: string | undefined,
  defaultZone: () => string = systemTimeZone,
): SendTime | { error: string } => {
  const match = DATE_TIME.exec(text.trim());
  if (!match) {
    return {
      error: `"${text}" is not a time: write 2026-12-24T09:00 (a wall time, with --tz) or 2026-12-24T09:00:00Z`,
    };
  }
  const [, date, hourMinute, seconds = ':00', offset] = match;
  const wall = `${date}T${hourMinute}${seconds}`;
  if (Number.isNaN(Date.parse(`${wall}Z`))) return { error: `"${text}" is not a valid date and time` };
  if (offset) {
    if (zone !== undefined) {
      return { error: `"${text}" already has an offset (${offset}): drop --tz, or give the time without one` };
    }
    const normalised = offset.toUpperCase() === 'Z' ? 'Z' : offset.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
    return { sendAt: `${wall}${normalised}` };
  }
  const timezone = zone ?? defaultZone();
  if (!isTimeZone(timezone)) {
    return { error: `--tz "${timezone}" is not a time zone: use an IANA name such as Europe/Berlin or UTC` };
  }
  return { sendAt: wall, timezone };
};

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** How far a zone's clock is ahead of UTC at the instant `ms` (whole seconds; offsets are). */
const zoneOffsetMs = (ms: number, zone: string): number => {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(ms / 1000) * 1000;
};

/**
 * The instant a wall time (given as if it were UTC, `wallMs`) shows in `zone`. Two passes settle a
 * change of offset between the guess and the answer; a wall time in a spring-forward gap reads as
 * the instant an hour on (a filter's bound, where an hour's gap in the clock selects no message).
 */
const instantOfWallTime = (wallMs: number, zone: string): number => {
  const guess = wallMs - zoneOffsetMs(wallMs, zone);
  return wallMs - zoneOffsetMs(guess, zone);
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
  { ahead = false, zone = systemTimeZone }: { ahead?: boolean; zone?: () => string } = {},
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
  const [, date, hourMinute, seconds = ':00', offset] = match ?? [];
  const wallMs = match ? Date.parse(`${date}T${hourMinute}${seconds}Z`) : Number.NaN;
  if (Number.isNaN(wallMs)) {
    return {
      error: `"${text}" is not a time: write 2026-12-01T09:00:00Z, 2026-12-01T09:00 or 2026-12-01 (this machine's zone), or a duration such as 2h`,
    };
  }
  if (offset) {
    const normalised = offset.toUpperCase() === 'Z' ? 'Z' : offset.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
    return { instant: new Date(`${date}T${hourMinute}${seconds}${normalised}`).toISOString() };
  }
  return { instant: new Date(instantOfWallTime(wallMs, zone())).toISOString() };
};
