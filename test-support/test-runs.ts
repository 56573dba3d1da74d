/**
 * How `npm test` runs the vitest projects (vitest.config.ts): in two vitest processes at once.
 *
 * - The timed run, at normal priority: the unit tests, then the integration tests that time
 *   deliveries (one file at a time), then the README's walk-through ("delivered on time"). The
 *   timed files mostly wait (one keeps about a fifth of the two cores busy), which is why they
 *   once ran alone: the machine idled through them.
 * - The background run, at the lowest priority (`nice -n 19`, which its workers, stacks and browser
 *   inherit): the integration tests that measure nothing in time, then those that wait on a stack
 *   beside the untimed e2e tests. It takes the cores the timed run leaves idle; the kernel gives a
 *   timed test's thread the core as soon as it wakes (a niced thread's share beside it is about 1.5%),
 *   so its lateness is measured as on a quiet machine.
 *
 * A project in neither run would never run under `npm test`: vitest.config.ts refuses to load then.
 */
export const TIMED_RUN = ['unit', 'unit-isolated', 'integration-timed', 'e2e-timed'] as const;
export const BACKGROUND_RUN = ['integration', 'integration-waiting', 'e2e'] as const;

/** The niceness the background run gets: the lowest priority, so it only takes what is idle. */
export const BACKGROUND_NICENESS = 19;
