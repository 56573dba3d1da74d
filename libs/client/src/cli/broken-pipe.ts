/**
 * What the CLI does when its stdout or stderr goes away: `vigil ls | head -1` closes the pipe after
 * one line, and Node reports the next write as an `error` event (EPIPE) that, unhandled, crashed
 * the CLI with a stack trace and exit 1. A reader that stopped reading got what it wanted, so the
 * CLI stops there and exits 0, as `cat file | head -1` does. `vigil run` goes on instead: its
 * command is still running, and its alerts must still go when it ends; only the output is dropped.
 */
import { EXIT } from './exit-codes';

interface ErrorSource {
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}

export interface BrokenPipeOptions {
  /** Whether to keep running when the output is gone (`vigil run`). */
  keepRunning: boolean;
  exit: (code: number) => void;
}

/** Handles the errors of the CLI's output streams (`process.stdout`, `process.stderr`). */
export const handleOutputErrors = (streams: ErrorSource[], { keepRunning, exit }: BrokenPipeOptions): void => {
  for (const stream of streams) {
    stream.on('error', (error) => {
      const gone = error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
      if (gone && keepRunning) return;
      // Any other failure to write cannot be printed either (stderr may be the stream that failed).
      exit(gone ? EXIT.ok : EXIT.failure);
    });
  }
};
