/**
 * `vigil run [--notify <url>] [--deadline 30m] [--name build] -- <command…>`: task alerts and a
 * dead-man timer from Vigil's own scheduling.
 *
 * With `--deadline`, a "still running" alert is scheduled at the start to be delivered at the
 * deadline; it is cancelled if the command ends first. It lives in Vigil, not in this process, so
 * it still comes if the machine running the command dies. When the command ends, a completion
 * alert is delivered at once (delay 0) with how it ended and the last 4 KB of its output.
 */
import type { Api, Message } from './api';
import { checkHttpUrl } from './config';
import { durationArg } from './duration';
import { formatDuration } from './duration';
import { EXIT, usageError } from './exit-codes';
import type { Output } from './output';
import type { Where } from './problems';
import { toCliError } from './problems';
import type { RunOutcome } from './run-process';
import { runProcess } from './run-process';

export interface RunOptions {
  notify?: string;
  deadline?: string;
  name?: string;
  quiet?: boolean;
}

/** The command line as one string, arguments with spaces or quotes in single quotes. */
export const commandText = (argv: string[]): string =>
  argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');

/** The completion alert's body. */
export interface CompletionAlert {
  event: 'completed';
  name: string;
  command: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  startedAt: string;
  endedAt: string;
  host: string;
  outputTail: string;
}

/** The deadline alert's body. */
export interface DeadlineAlert {
  event: 'deadline';
  name: string;
  command: string;
  deadlineMs: number;
  startedAt: string;
  host: string;
  message: string;
}

export const completionAlert = (name: string, command: string, outcome: RunOutcome, host: string): CompletionAlert => ({
  event: 'completed',
  name,
  command,
  exitCode: outcome.spawnError ? outcome.code : outcome.exitCode,
  signal: outcome.signal,
  durationMs: outcome.durationMs,
  startedAt: outcome.startedAt.toISOString(),
  endedAt: outcome.endedAt.toISOString(),
  host,
  outputTail: outcome.spawnError ? `vigil: ${outcome.spawnError}` : outcome.outputTail,
});

/**
 * The alerts' retries: the SDK's 30 s of waiting in all, not the CLI's 5 s (sdk-api.ts): nobody may
 * be watching a task's end, and its alert waits out a 429's longer Retry-After rather than be lost.
 */
const ALERT_CALL = { retries: { maxTotalWaitMs: 30_000 } };

export interface RunDeps {
  api: Api;
  output: Output;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  interactive: boolean;
  host: string;
  /** The profile's default notify URL. */
  defaultNotifyUrl?: string;
  /** What a failure is told with (the API's URL, where the key came from). */
  where?: Where;
}

/** Runs the command with its alerts; resolves with the exit code vigil should exit with (the command's). */
export const runWithAlerts = async (argv: string[], options: RunOptions, deps: RunDeps): Promise<number> => {
  const { api, output } = deps;
  if (argv.length === 0) throw usageError('no command to run', 'vigil run --deadline 30m -- make build');
  const notifyUrl = options.notify ?? deps.defaultNotifyUrl;
  if (!notifyUrl) {
    throw usageError(
      'vigil run needs a URL to notify',
      'give --notify <url>, or store one with vigil login --notify-url <url>',
    );
  }
  // Checked before the command runs: a two-hour job must not learn at its end that its alert cannot go.
  checkHttpUrl(
    options.notify === undefined ? "the profile's notify URL" : '--notify',
    notifyUrl,
    'give --notify https://…, or store one with vigil login --notify-url',
  );
  let deadlineMs: number | undefined;
  if (options.deadline !== undefined) {
    deadlineMs = durationArg('--deadline', options.deadline, { ahead: true });
    if (deadlineMs < 1_000) throw usageError('--deadline must be at least 1s');
  }
  const name = options.name ?? argv[0]!.split('/').pop()!;
  const command = commandText(argv);
  const note = (text: string) => {
    if (!options.quiet) output.note(`vigil: ${text}`);
  };
  const metadata = { source: 'vigil run', name: name.slice(0, 256) };
  const where = deps.where ?? {};

  let deadline: Promise<Message | undefined> = Promise.resolve(undefined);
  const outcome = await runProcess(argv, {
    stdout: deps.stdout,
    stderr: deps.stderr,
    interactive: deps.interactive,
    onStart: (startedAt) => {
      if (deadlineMs === undefined) return;
      const alert: DeadlineAlert = {
        event: 'deadline',
        name,
        command,
        deadlineMs,
        startedAt: startedAt.toISOString(),
        host: deps.host,
        message: `${name} still running after ${formatDuration(deadlineMs)}`,
      };
      // Scheduled while the command starts: the dead-man timer is Vigil's, not this process's.
      deadline = api.messages
        .create({ url: notifyUrl, delay: deadlineMs / 1000, body: alert, metadata }, ALERT_CALL)
        .then(
          (message) => {
            note(`deadline alert ${message.id} at ${message.sendAt}`);
            return message;
          },
          (error: unknown) => {
            note(`could not schedule the deadline alert: ${toCliError(error, where).message}`);
            return undefined;
          },
        );
    },
  });

  if (outcome.spawnError) output.note(`vigil: ${outcome.spawnError}`);
  const scheduled = await deadline;
  if (scheduled && outcome.endedAt.getTime() < Date.parse(scheduled.sendAt)) {
    try {
      await api.messages.cancel(scheduled.id, ALERT_CALL);
    } catch (error) {
      const failure = toCliError(error, { ...where, id: scheduled.id });
      note(
        failure.code === EXIT.conflict
          ? `the deadline alert ${scheduled.id} was already being delivered`
          : `could not cancel the deadline alert ${scheduled.id}: ${failure.message}`,
      );
    }
  }
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited ${outcome.exitCode ?? outcome.code}`;
  try {
    const sent = await api.messages.create(
      { url: notifyUrl, delay: 0, body: completionAlert(name, command, outcome, deps.host), metadata },
      ALERT_CALL,
    );
    note(`${name} ${how} after ${formatDuration(outcome.durationMs)}; alert ${sent.id} to ${notifyUrl}`);
  } catch (error) {
    output.note(`vigil: ${name} ${how}, but the alert could not be sent: ${toCliError(error, where).message}`);
  }
  return outcome.code;
};
