/** Counting events in time, for tests of limits per second. */

/** The most of `times` (ms) inside any one-second window (half-open), sliding over every one of them. */
export const mostInOneSecond = (times: readonly number[]): number => {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i += 1) {
    while (sorted[i]! - sorted[j]! >= 1_000) j += 1;
    most = Math.max(most, i - j + 1);
  }
  return most;
};
