/** What every command is given: the environment, the streams, and how to reach the API. */
import type { Api } from './api';
import type { Credentials, Env } from './config';
import type { CliError } from './exit-codes';
import type { Output, Streams } from './output';

export interface CliContext {
  env: Env;
  streams: Streams;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** An API client for these credentials (the SDK's, in the real CLI). */
  connect(credentials: Credentials): Api;
  now(): number;
  hostname(): string;
}

/** The options every command takes. */
export interface CommonOptions {
  profile?: string;
  json?: boolean;
}

/** A command's run: its context, its output, and what it exits with. */
export interface CommandRun {
  context: CliContext;
  output: Output;
  /** Sets the exit code (a later, non-zero failure does not overwrite an earlier one). */
  fail(error: CliError): void;
}
