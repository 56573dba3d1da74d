/**
 * The process side of `vigil run`: starts the command with its output streaming through (and the
 * last 4 KB kept for the alert), forwards the signals vigil receives to it, and reports how it
 * ended. Exit codes follow the shell's: the command's own code, 128 + the signal number when a
 * signal ended it, 127 when it was not found and 126 when it could not be executed.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** How much of the command's output the completion alert carries: its last 4 KB. */
export const OUTPUT_TAIL_BYTES = 4096;

/** Signals vigil passes on to the command rather than dying of them. */
export const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** The last `limit` bytes of everything pushed, as text that starts on a whole UTF-8 character. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = OUTPUT_TAIL_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    let start = Math.max(0, all.length - this.limit);
    // Never begin in the middle of a character: skip UTF-8 continuation bytes (10xxxxxx).
    while (start < all.length && start > 0 && (all[start]! & 0xc0) === 0x80) start += 1;
    return all.subarray(start).toString('utf8');
  }
}

export interface RunOutcome {
  /** The code the command exited with; null when a signal ended it or it never started. */
  exitCode: number | null;
  /** The signal that ended it (`SIGTERM`), or null. */
  signal: NodeJS.Signals | null;
  /** What vigil exits with: the code, 128 + signal number, 127 not found, 126 not executable. */
  code: number;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  outputTail: string;
  /** Why it could not be started, when it could not. */
  spawnError?: string;
}

export interface RunOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
  /**
   * Whether vigil runs in a terminal's foreground: Ctrl-C and Ctrl-\ then reach the command from
   * the terminal itself (it is in vigil's process group), so SIGINT and SIGQUIT are not sent twice.
   */
  interactive: boolean;
  /** Called once the command has started (or failed to). */
  onStart?: (startedAt: Date) => void;
}

/** How long output may still arrive after the command exited (from what it left running). */
const PIPE_GRACE_MS = 500;

export const signalNumber = (signal: NodeJS.Signals): number => constants.signals[signal] ?? 0;

/** Runs `argv` to its end; resolves with how it ended (never rejects for the command's sake). */
export const runProcess = (argv: string[], options: RunOptions): Promise<RunOutcome> =>
  new Promise((resolve) => {
    const [file, ...args] = argv;
    const tail = new OutputTail();
    const startedAt = new Date();
    const child = spawn(file!, args, { stdio: ['inherit', 'pipe', 'pipe'], env: options.env ?? process.env });
    options.onStart?.(startedAt);

    const forward = (signal: NodeJS.Signals) => {
      if (options.interactive && (signal === 'SIGINT' || signal === 'SIGQUIT')) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const stopForwarding = () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };

    child.stdout.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      options.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      options.stderr.write(chunk);
    });

    let settled = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      stopForwarding();
      const endedAt = new Date();
      const code = spawnError
        ? spawnError.code === 'ENOENT'
          ? 127
          : 126
        : signal
          ? 128 + signalNumber(signal)
          : (exitCode ?? 1);
      resolve({
        exitCode,
        signal,
        code,
        startedAt,
        endedAt,
        durationMs: endedAt.getTime() - startedAt.getTime(),
        outputTail: tail.text(),
        ...(spawnError && {
          spawnError:
            spawnError.code === 'ENOENT' ? `command not found: ${file}` : `cannot run ${file}: ${spawnError.message}`,
        }),
      });
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish(null, null, error));
    // The output pipes usually drain by `close`; a background process the command left behind may
    // hold them open, so after `exit` vigil waits at most a moment for the rest of the output.
    child.once('close', (exitCode, signal) => finish(exitCode, signal));
    child.once('exit', (exitCode, signal) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(exitCode, signal);
      }, PIPE_GRACE_MS).unref();
    });
  });
