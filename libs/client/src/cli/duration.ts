/**
 * Durations at the command line (`--in`, `--deadline`, `--interval`): the SDK's parser (`90s`,
 * `10m`, `2h`, `3d`, `1h30m`, `500ms`), its refusals turned into usage errors naming the flag.
 */
import { parseDuration } from '../duration';
import { usageError } from './exit-codes';

/** The milliseconds of `text`, or a usage error saying what `flag` takes. */
export const durationArg = (flag: string, text: string): number => {
  try {
    return parseDuration(text);
  } catch (error) {
    throw usageError(`${flag} ${(error as Error).message.replace(/\.$/, '')}`);
  }
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
