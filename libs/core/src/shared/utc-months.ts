/**
 * When a monthly quota renews: the first instant of a UTC month.
 *
 * One definition for the server (usage.ts: a quota-exceeded 429 says in how many seconds it
 * renews) and the console (app format.ts and api.ts: the instant it renews, shown on the page).
 * Arithmetic on the calendar, importing nothing (eslint.config.mjs: the `shared` layer).
 */

/** The first instant (ms since the epoch) of the UTC month `at` is in, or (`months` 1) of the next one. */
export const utcMonthStart = (at: number, months = 0): number => {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
};
