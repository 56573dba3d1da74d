/**
 * Durations at the command line (`--in`, `--deadline`, `--interval`): the SDK's parser (`90s`,
 * `10m`, `2h`, `3d`, `1h30m`, `500ms`), its refusals turned into usage errors naming the flag.
 */
import { parseDuration } from '../duration';
import { usageError } from './exit-codes';

/** How far ahead Vigil schedules a message at most: 365 days (the API's largest `delay`, 31,536,000 s). */
export const MAX_AHEAD_MS = 365 * 86_400_000;

/**
 * The milliseconds of `text`, or a usage error saying what `flag` takes; one that schedules a
 * message (`--in`, `--deadline`) is at most MAX_AHEAD_MS, said in days (the API says `<=31536000`).
 */
export const durationArg = (flag: string, text: string, { ahead = false }: { ahead?: boolean } = {}): number => {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw usageError(`${flag} ${(error as Error).message.replace(/\.$/, '')}`);
  }
  if (ahead && ms > MAX_AHEAD_MS) {
    throw usageError(`${flag} ${text} is too far ahead`, `give at most 365 days (1 year), e.g. ${flag} 365d`);
  }
  return ms;
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
