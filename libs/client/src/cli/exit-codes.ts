/**
 * The CLI's exit codes, so scripts can branch on what went wrong. `vigil run` exits with its
 * command's own code instead (128 + the signal number when a signal ended it).
 */
export const EXIT = {
  ok: 0,
  /** Anything else: the API failed (5xx), a bulk job failed for some messages or stopped, an unexpected error. */
  failure: 1,
  /** The command line was wrong (an unknown flag, a bad duration), or the API refused the input (400, 413, 415, 422). */
  usage: 2,
  /** No API key, or the API refused it (401, 403). */
  auth: 3,
  /** No such message or job (404). */
  notFound: 4,
  /** The message is in a state that does not allow it (409): cancelling a delivered message, say. */
  conflict: 5,
  /** Rate limit or monthly quota (429), or a bulk job stopped by the quota. */
  limited: 6,
  /** The API could not be reached (connection refused, DNS, timeout). */
  unreachable: 7,
  /** Ctrl-C during a command that is not `run` or `tail` (following a bulk job: it goes on). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI prints as one line, exiting with `code`. `hint` says what to do about it. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly code: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string, hint?: string) => new CliError(message, EXIT.usage, hint);
