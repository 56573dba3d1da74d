/**
 * What `npm start` does on Ctrl-C or SIGTERM: stops the stack, letting the work under way finish
 * (at most STOP_DRAIN_MS), or, before its banner, the start where it is; on a second signal it
 * stops at once. The same Ctrl-C often arrives twice (the terminal signals npm and the stack, and
 * npm relays it): a second signal within SAME_SIGNAL_MS is that one, not a second Ctrl-C.
 */

/**
 * How long a Ctrl-C lets the work under way finish: the longest delivery (its 30 s timeout at most)
 * and its record, and any API request (10 s at most), so none is cut off and sent again.
 */
export const STOP_DRAIN_MS = 45_000;
/** A second stop signal this soon after the first is the first again. */
export const SAME_SIGNAL_MS = 1_000;

/**
 * The rule npm start's signals follow, before its banner as after: the first one begins the stop
 * (`stop`); the same Ctrl-C relayed by npm within SAME_SIGNAL_MS counts once; a second one later
 * says `again` and exits at once (130). The texts and the stop are the caller's.
 */
export const onStopSignals = (options: {
  /** What the first signal begins; any text it says and its exit are its own. */
  stop: (signal: string) => void | Promise<void>;
  /** What a second signal, not the first relayed, says before the process exits at once. */
  again: (signal: string) => string;
  /** Done just before that exit, synchronously: what must not be left behind (the data dir's lock). */
  beforeExit?: () => void;
  write: (text: string) => void;
  exit: (code: number) => void;
  now?: () => number;
}) => {
  const now = options.now ?? Date.now;
  let stoppingSince: number | undefined;
  return async (signal: string): Promise<void> => {
    if (stoppingSince !== undefined) {
      if (now() - stoppingSince < SAME_SIGNAL_MS) return;
      options.beforeExit?.();
      options.write(options.again(signal));
      options.exit(130);
      return;
    }
    stoppingSince = now();
    await options.stop(signal);
  };
};

/** The running stack's stop: its work under way drained, then exit 0 (onStopSignals' rule). */
export const stopOnSignal = (options: {
  /** Stops the stack, letting the work under way finish for at most `drainMs`. */
  stop: (drainMs: number) => Promise<void>;
  drainMs: number;
  write: (text: string) => void;
  exit: (code: number) => void;
  /** Told when the stop begins (the stack's own state: no restart of a failed web app meanwhile). */
  beforeStop?: () => void;
  now?: () => number;
}) =>
  onStopSignals({
    stop: async (signal) => {
      options.beforeStop?.();
      options.write(
        `\n${signal}: stopping the Vigil local stack, letting the requests and deliveries under way finish ` +
          `(at most ${options.drainMs / 1000} s; ${signal} again stops it at once)...\n`,
      );
      await options.stop(options.drainMs);
      options.write('Stopped.\n');
      options.exit(0);
    },
    again: (signal) => `\n${signal} again: stopped at once; what was under way is finished after a restart.\n`,
    write: options.write,
    exit: options.exit,
    now: options.now,
  });
