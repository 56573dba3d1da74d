/**
 * Durations as people write them: `90s`, `10m`, `2h`, `3d`, `500ms`, or several together (`1h30m`).
 * The client sends a duration as the API's `delay` (seconds from now), so the API's clock decides
 * the instant, not the caller's.
 */

/** A duration string (`'10m'`) or a number of seconds. */
export type Duration = string | number;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** The milliseconds of `90s`, `10m`, `2h`, `3d`, `500ms`, `1h30m`; a number is seconds. Throws a RangeError otherwise. */
export const parseDuration = (duration: Duration): number => {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0)
      throw new RangeError(`A duration must be 0 or more seconds, got ${duration}.`);
    return Math.round(duration * 1000);
  }
  const text = duration.trim();
  PART.lastIndex = 0;
  let total = 0;
  let read = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    read = PART.lastIndex;
  }
  if (text === '' || read !== text.length) {
    throw new RangeError(`"${duration}" is not a duration: write it like 90s, 10m, 2h, 3d or 1h30m.`);
  }
  return Math.round(total);
};
