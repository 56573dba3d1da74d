/**
 * `--at`: an absolute instant (`2026-12-24T09:00:00Z`, `2026-12-24T09:00+01:00`) or a wall time
 * without an offset (`2026-12-24T09:00`, `2026-12-24 09:00`) read in a time zone: `--tz`, or this
 * machine's zone. A wall time goes to the API as it is, with its zone, so Vigil's server applies one
 * rule for gaps and overlaps (see the README's time-zone rules); the CLI does no offset arithmetic.
 */

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
