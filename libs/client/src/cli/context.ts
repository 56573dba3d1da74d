/** What every command is given: the environment, the streams, and how to reach the API. */
import type { Api } from './api';
import type { Credentials, Env } from './config';
import type { Streams } from './output';

export interface CliContext {
  env: Env;
  streams: Streams;
  /** Read only by what needs it (`--data @-`, login's questions): `vigil run` leaves stdin to its command. */
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Whether stdin is a terminal (checked without opening it). */
  stdinIsTTY: boolean;
  /** An API client for these credentials (the SDK's, in the real CLI). */
  connect(credentials: Credentials): Api;
  now(): number;
  /** How long a call may go unanswered before the CLI says it waits (SLOW_ANSWER_NOTE_MS unless given: tests). */
  slowAnswerNoteMs?: number;
  hostname(): string;
}

/** The options every command takes. */
export interface CommonOptions {
  profile?: string;
  json?: boolean;
}
