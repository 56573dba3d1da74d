/**
 * Wall times in IANA time zones (`2026-03-29T02:30` in `Europe/Berlin`), turned into instants by
 * Luxon's zone rules (the tz data of the runtime's Intl), never by offset arithmetic of our own.
 * Pure: no clock, no I/O.
 *
 * A wall time maps to one instant, except around a daylight-saving change (Temporal's
 * `compatible` rule, which is also what calendar apps do):
 * - **gap** (spring forward: the wall time does not exist): it moves forward by the length of the
 *   gap, so 02:30 in Berlin on 2026-03-29 is 03:30 CEST (01:30Z), and 02:15 on Lord Howe Island
 *   on 2026-10-04 (a 30-minute gap) is 02:45;
 * - **overlap** (fall back: the wall time happens twice): the earlier of the two instants, so
 *   02:30 in Berlin on 2026-10-25 is 02:30 CEST (00:30Z), not 02:30 CET an hour later.
 */
import { DateTime, IANAZone } from 'luxon';
import { CURRENT_ZONE_NAMES } from './shared/current-zone-names';

/** The longest zone name taken (the longest IANA name is 32 characters): openapi's TimeZone maxLength. */
export const MAX_TIME_ZONE_LENGTH = 64;

/** True for a zone the runtime's tz data knows by its IANA name (`Europe/Berlin`, `UTC`). */
export const isKnownTimeZone = (name: string): boolean =>
  name.length > 0 && name.length <= MAX_TIME_ZONE_LENGTH && IANAZone.isValidZone(name);

let zonesByLowerCase: Map<string, string> | undefined;

/**
 * A known zone by the name it was given, as the tz database spells it: `europe/berlin` →
 * `Europe/Berlin`, by its current name where ICU lags a rename (`Asia/Calcutta` and `asia/kolkata`
 * → `Asia/Kolkata`, `Europe/Kiev` → `Europe/Kyiv`). A link to another zone's name keeps its own
 * (`US/Eastern`, `EST`, `CET`, `GMT`, `Etc/UTC`): ICU would answer `America/New_York`,
 * `America/Panama`, `Europe/Brussels`, `UTC` (and another runtime's ICU another), which a tenant who
 * wrote `CET` would not recognise. Its rules are the zone's it links to, since Intl reads it so.
 * A link written in another case than the runtime lists (none lists `US/Eastern`) stays as written.
 */
export const zoneAsNamed = (name: string): string => {
  zonesByLowerCase ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), ...Object.values(CURRENT_ZONE_NAMES), 'UTC'].map((zone) => [
      zone.toLowerCase(),
      zone,
    ]),
  );
  const spelled = zonesByLowerCase.get(name.toLowerCase()) ?? name;
  const current = CURRENT_ZONE_NAMES[spelled];
  return current !== undefined && IANAZone.isValidZone(current) ? current : spelled;
};

/** A date-time ending in `Z` or a numeric offset names its instant by itself. */
const UTC_OFFSET = /(?:Z|[+-]\d{2}:\d{2})$/i;

export const hasUtcOffset = (dateTime: string): boolean => UTC_OFFSET.test(dateTime);

/**
 * `ms`, the whole milliseconds parsed from `dateTime`, moved up by one when the text names a part
 * of a millisecond more (`…00.9999999Z`): `Date.parse` and Luxon drop those digits, which would put
 * a message due at it a fraction of a millisecond early, and a range's bound before its instant.
 */
export const notBeforeSubMillisecond = (dateTime: string, ms: number): number =>
  /\.\d{3}\d*[1-9]/.test(dateTime) ? ms + 1 : ms;

/**
 * The instant (epoch ms) of a wall time without an offset in `zone`, by the gap and overlap rules
 * above; undefined if it is no date-time or the zone is unknown.
 */
export const wallTimeToInstant = (wallTime: string, zone: string): number | undefined => {
  if (hasUtcOffset(wallTime) || !isKnownTimeZone(zone)) return undefined;
  // Whole milliseconds only: Luxon reads the fraction as a float, so 17 nines or more make it 1000
  // ms and the time invalid. Digits past the millisecond only move the instant up by one
  // (notBeforeSubMillisecond), as Date.parse's dropping them does for a time with an offset.
  const local = DateTime.fromISO(wallTime.replace(/(\.\d{3})\d+/, '$1'), { zone });
  if (!local.isValid) return undefined;
  // Luxon reads a wall time in a gap as the time moved forward by the gap; in an overlap it offers
  // both instants here, and the earlier one is the rule.
  return Math.min(...local.getPossibleOffsets().map((candidate) => candidate.toMillis()));
};

/**
 * The instant as a wall time in `zone`, with its numeric offset: `2026-03-29T03:30:00.000+02:00`,
 * and `+00:00` in UTC too (Luxon's `toISO` would write `Z` there, for `UTC` but not `Etc/UTC`).
 */
export const localTimeOf = (instant: number, zone: string): string => {
  const local = DateTime.fromMillis(instant, { zone });
  if (!local.isValid) throw new RangeError(`cannot show ${instant} in time zone ${zone}: ${local.invalidExplanation}`);
  return local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
};
