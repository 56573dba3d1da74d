/**
 * Durations as people type them at a terminal: `90s`, `10m`, `2h`, `3d`, and sums of them
 * (`1h30m`); a unit is required, so `90` is refused rather than guessed.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/** The milliseconds in `text`, or a message saying what is wrong with it. */
export const parseDuration = (text: string): { ms: number } | { error: string } => {
  const trimmed = text.trim();
  if (trimmed === '') return { error: 'is empty: give a duration such as 90s, 10m, 2h or 3d' };
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return { error: `"${trimmed}" has no unit: write ${trimmed}s, ${trimmed}m, ${trimmed}h or ${trimmed}d` };
  }
  let ms = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  if (consumed !== trimmed.length) {
    return { error: `"${trimmed}" is not a duration: use a number and a unit (s, m, h, d), e.g. 90s, 10m, 2h, 1h30m` };
  }
  return { ms: Math.round(ms) };
};

/** A duration for people: the two largest units, `1h 30m`, `45s`, `250 ms`. */
export const formatDuration = (ms: number): string => {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
};
