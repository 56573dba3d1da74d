/**
 * The `vigil` command line: its commands and options (commander), each run with the context it is
 * given (environment, streams, API client), so tests can run it in-process and main.ts runs it
 * for real. `runCli` resolves with the exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import type { Api } from './api';
import type { Credentials } from './config';
import { resolveCredentials } from './config';
import type { CliContext, CommonOptions } from './context';
import { durationArg } from './duration';
import type { CliError } from './exit-codes';
import { EXIT, usageError } from './exit-codes';
import { login } from './login';
import type { SendOptions } from './messages';
import { checkId, listMessages, messageFromOptions, printList, printScheduled, printShow, STATUSES } from './messages';
import type { Output } from './output';
import { createOutput, statusText } from './output';
import { toCliError } from './problems';
import type { RunOptions } from './run';
import { runWithAlerts } from './run';
import { tail } from './tail';

const HELP_AFTER = `
Configuration:
  vigil login stores the API key and URL in $XDG_CONFIG_HOME/vigil/config.json
  (~/.config/vigil/config.json), mode 0600, one profile per stage (--profile, VIGIL_PROFILE).
  VIGIL_API_KEY and VIGIL_API_URL override the profile. NO_COLOR turns colour off.

Exit codes:
  0 ok, 1 failure (the API failed), 2 bad command line or refused input, 3 no key or key refused,
  4 no such message, 5 the message's state does not allow it, 6 rate limit or quota,
  7 the API could not be reached; vigil run exits with its command's code.`;

const withCommon = (command: Command, json = true) =>
  (json ? command.option('--json', 'print JSON (for scripts)') : command).option(
    '--profile <name>',
    'the stored profile to use',
  );

export const runCli = async (argv: string[], context: CliContext): Promise<number> => {
  let exitCode: number = EXIT.ok;
  let output: Output = createOutput(context.streams, context.env, argv.includes('--json'));
  let apiUrl: string | undefined;

  /** The output for this command's options, and an API client for its profile. */
  const start = (options: CommonOptions) => {
    output = createOutput(context.streams, context.env, !!options.json);
    return output;
  };
  const connect = async (options: CommonOptions): Promise<{ api: Api; credentials: Credentials }> => {
    const credentials = await resolveCredentials(context.env, options.profile);
    apiUrl = credentials.apiUrl;
    return { api: context.connect(credentials), credentials };
  };
  /** The first failure sets the exit code; every failure is printed. */
  const fail = (error: CliError) => {
    output.error(error.message, error.hint);
    if (exitCode === EXIT.ok) exitCode = error.code;
  };

  const program = new Command('vigil')
    .description('Schedule webhooks with Vigil, see what happened to them, and get alerts when long tasks end.')
    .version('0.1.0', '-v, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .addHelpText('after', HELP_AFTER)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void context.streams.stdout.write(text),
      writeErr: (text) => void context.streams.stderr.write(text),
      outputError: (text, write) => write(`vigil: ${text.replace(/^error: /, '').trimEnd()}: see vigil --help\n`),
    });

  withCommon(
    program
      .command('login')
      .description('store an API key and URL (checked with a call to the API) in a profile')
      .option('--api-key <key>', 'the API key (vgl_...); asked for when not given on a terminal')
      .option('--api-url <url>', 'the API URL (default: VIGIL_API_URL, the profile, http://localhost:4000)')
      .option('--notify-url <url>', 'where vigil run sends its alerts by default'),
  ).action(async (options: CommonOptions & { apiKey?: string; apiUrl?: string; notifyUrl?: string }) => {
    const out = start(options);
    await login(context, out, options, (profile) =>
      context.connect({ profile: options.profile ?? 'default', ...profile }),
    );
  });

  withCommon(
    program
      .command('send')
      .description('schedule a webhook to <url>: at once, --in a duration, or --at a time')
      .argument('<url>', 'where to deliver it')
      .option('--in <duration>', 'after a duration: 90s, 10m, 2h, 3d, 1h30m')
      .option('--at <time>', 'at a time: 2026-12-24T09:00 (a wall time, in --tz) or 2026-12-24T08:00:00Z')
      .option('--tz <zone>', "the IANA time zone of --at's wall time (default: this machine's)")
      .option('--data <data>', 'the body: JSON or text, or @file.json, or @- for stdin')
      .option('--header <name:value>', 'a request header (repeat for more)', collect, [])
      .option('--metadata <name=value>', 'a tag of your own, never sent (repeat for more)', collect, [])
      .option('--method <method>', 'POST (default), PUT or PATCH')
      .option('--retries <n>', 'retries after the first attempt, 0 to 19 (default 7)'),
  ).action(async (url: string, options: CommonOptions & SendOptions) => {
    const out = start(options);
    const message = await messageFromOptions(url, options, context.stdin);
    const { api } = await connect(options);
    printScheduled(out, await api.create(message), context.now());
  });

  withCommon(
    program
      .command('ls')
      .description('list messages, newest first')
      .addOption(new Option('--status <status>', 'only messages in this status').choices(STATUSES))
      .option('--limit <n>', 'how many (default 20)', '20'),
  ).action(async (options: CommonOptions & { status?: (typeof STATUSES)[number]; limit: string }) => {
    const out = start(options);
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw usageError(`--limit ${options.limit}: give a whole number from 1 to 10000`);
    const { api } = await connect(options);
    const { items, more } = await listMessages(api, options.status, limit);
    printList(out, items, context.now());
    if (more && !out.json) {
      out.note(`(more: vigil ls${options.status ? ` --status ${options.status}` : ''} --limit ${limit * 2})`);
    }
  });

  withCommon(
    program
      .command('show')
      .description('a message and its attempts, as a timeline')
      .argument('<id>', 'the message id (msg_...)'),
  ).action(async (id: string, options: CommonOptions) => {
    const out = start(options);
    checkId(id);
    const { api } = await connect(options);
    try {
      const [message, attempts] = await Promise.all([api.get(id), api.attempts(id)]);
      printShow(out, message, attempts, context.now());
    } catch (error) {
      throw toCliError(error, { id, apiUrl });
    }
  });

  for (const [name, description, verb] of [
    ['cancel', 'cancel pending messages (scheduled, queued or retrying)', 'cancel'],
    ['redeliver', 'deliver delivered or failed messages again, now', 'redeliver'],
  ] as const) {
    withCommon(program.command(name).description(description).argument('<id...>', 'message ids (msg_...)')).action(
      async (ids: string[], options: CommonOptions) => {
        const out = start(options);
        for (const id of ids) checkId(id);
        const { api } = await connect(options);
        const done = [];
        for (const id of ids) {
          try {
            const message = await api[verb](id);
            done.push(message);
            if (!out.json) out.line(`${message.id}  ${statusText(message.status, out.color)}`);
          } catch (error) {
            fail(toCliError(error, { id, apiUrl }));
          }
        }
        if (out.json) out.data(done);
      },
    );
  }

  withCommon(
    program
      .command('tail')
      .description('print delivery attempts as they happen, until Ctrl-C')
      .option('--interval <duration>', 'how often to ask the API', '2s'),
  ).action(async (options: CommonOptions & { interval: string }) => {
    const out = start(options);
    const intervalMs = durationArg('--interval', options.interval);
    if (intervalMs < 500) throw usageError('--interval must be at least 500ms');
    const { api } = await connect(options);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await tail(api, out, { intervalMs, signal: stop.signal, since: context.now() });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });

  withCommon(
    program
      .command('run')
      .description('run a command; when it ends, Vigil delivers an alert (and one at --deadline if still running)')
      .usage('[options] -- <command...>')
      .argument('<command...>', 'the command and its arguments (after --)')
      .option('--notify <url>', "where the alerts go (default: the profile's notify URL)")
      .option('--deadline <duration>', 'alert if still running after this long (dead-man timer): 30m, 2h')
      .option('--name <name>', 'what to call the task in alerts (default: the command)')
      .option('--quiet', "no vigil lines on stderr, only the command's output")
      .passThroughOptions(),
    false,
  ).action(async (argv: string[], options: CommonOptions & RunOptions) => {
    const out = start(options);
    const { api, credentials } = await connect(options);
    exitCode = await runWithAlerts(argv, options, {
      api,
      output: out,
      stdout: context.streams.stdout as NodeJS.WritableStream,
      stderr: context.streams.stderr as NodeJS.WritableStream,
      interactive: context.stdinIsTTY,
      host: context.hostname(),
      ...(credentials.notifyUrl && { defaultNotifyUrl: credentials.notifyUrl }),
    });
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; a bad or missing command or option is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    fail(toCliError(error, { ...(apiUrl && { apiUrl }) }));
  }
  return exitCode;
};

function collect(value: string, previous: string[]) {
  return [...previous, value];
}
