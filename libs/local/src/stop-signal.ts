/**
 * What `npm start` does on Ctrl-C or SIGTERM: stops the stack, letting the work under way finish
 * (at most STOP_DRAIN_MS), and on a second signal stops at once. The same Ctrl-C often arrives
 * twice (the terminal signals npm and the stack, and npm relays it): a second signal within
 * SAME_SIGNAL_MS is that one, not a second Ctrl-C.
 */

/**
 * How long a Ctrl-C lets the work under way finish: the longest delivery (its 30 s timeout at most)
 * and its record, and any API request (10 s at most), so none is cut off and sent again.
 */
export const STOP_DRAIN_MS = 45_000;
/** A second stop signal this soon after the first is the first again. */
export const SAME_SIGNAL_MS = 1_000;

export const stopOnSignal = (options: {
  /** Stops the stack, letting the work under way finish for at most `drainMs`. */
  stop: (drainMs: number) => Promise<void>;
  drainMs: number;
  write: (text: string) => void;
  exit: (code: number) => void;
  /** Told when the stop begins (the stack's own state: no restart of a failed web app meanwhile). */
  beforeStop?: () => void;
  now?: () => number;
}) => {
  const now = options.now ?? Date.now;
  let stoppingSince: number | undefined;
  return async (signal: string): Promise<void> => {
    if (stoppingSince !== undefined) {
      if (now() - stoppingSince < SAME_SIGNAL_MS) return;
      options.write(`\n${signal} again: stopped at once; what was under way is finished after a restart.\n`);
      options.exit(130);
      return;
    }
    stoppingSince = now();
    options.beforeStop?.();
    options.write(
      `\n${signal}: stopping the Vigil local stack, letting the requests and deliveries under way finish ` +
        `(at most ${options.drainMs / 1000} s; ${signal} again stops it at once)...\n`,
    );
    await options.stop(options.drainMs);
    options.write('Stopped.\n');
    options.exit(0);
  };
};
