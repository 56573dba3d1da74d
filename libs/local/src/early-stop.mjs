/**
 * `npm start`'s first module (`node --import`, ahead of tsx), plain JavaScript so that nothing has
 * to be compiled first: Ctrl-C or SIGTERM while node loads tsx and the stack's modules (a second,
 * more on a busy machine) ends the start with the line a signal before the banner gets, where
 * node's default ended it without a word (130). Nothing is started or locked while modules load, so
 * it exits at once, 0, as a stop does. main.ts imports this module first too (so a start without
 * the preload, tsx main.ts, is covered from then on) and hands the signals to its own handling
 * (handStopSignalsTo) before it starts anything.
 */
import process from 'node:process';

/** What a start stopped before its banner says (main.ts says it too, once it has stopped what it started). */
export const stoppedBeforeUpLine = (signal) =>
  `\n${signal}: stopped before the Vigil local stack was up; nothing of it runs on.\n`;

const stopWhileLoading = (signal) => {
  process.stdout.write(stoppedBeforeUpLine(signal));
  process.exit(0);
};

/**
 * Who handles a signal: the listeners stay, only where they send it changes. Removing a listener
 * stops node's watcher of its signal, and a signal that came during the synchronous load of
 * main.ts's modules, not yet handed to a listener, would go with it: lost, the start going on.
 * One set a process: node's loader evaluates this file for the preload and tsx again for main.ts's
 * import (two copies of the module), so the first copy installs them where the second finds them.
 */
const HANDLING = Symbol.for('vigil.local.stopSignalHandling');
const installed = () => {
  const handling = { handle: stopWhileLoading };
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => handling.handle(signal));
  return handling;
};
const handling = (globalThis[HANDLING] ??= installed());

/** From now on Ctrl-C and SIGTERM go to `handle` (main.ts's), a signal already on its way included. */
export const handStopSignalsTo = (handle) => {
  handling.handle = handle;
};
