/**
 * The `vigil` command line: its commands and options (commander), each run with the context it is
 * given (environment, streams, API client), so tests can run it in-process and main.ts runs it
 * for real. `runCli` resolves with the exit code.
 */
import { randomUUID } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { VigilError } from '../errors';
import type { Api, BulkJob, CallOptions, Message, MessageFilter, UpdateMessage } from './api';
import type { Credentials } from './config';
import { DEFAULT_PROFILE, resolveCredentials } from './config';
import type { CliContext, CommonOptions } from './context';
import { durationArg, formatDuration } from './duration';
import { CliError, EXIT, usageError } from './exit-codes';
import { login } from './login';
import type { FilterOptions } from './filter';
import { FILTER_FLAGS, filterFlags, filterFromOptions, shellWord, withFilterOptions } from './filter';
import type { BulkAction } from './jobs';
import {
  ACTION_STATUSES,
  checkJobId,
  countSelected,
  DRY_RUN_MAX,
  DRY_RUN_MAX_REQUESTS,
  dryRunCountText,
  followJob,
  jobExitCode,
  jobLine,
  printJob,
  printJobs,
} from './jobs';
import type { SendOptions } from './messages';
import {
  checkedIdempotencyKey,
  checkId,
  DEFAULT_RETRIES,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  listMessages,
  MAX_LIST_REQUESTS,
  MAX_RETRIES,
  PAGE_MAX,
  messageFromOptions,
  printList,
  printScheduled,
  printShow,
  printSummary,
  readData,
  summarize,
} from './messages';
import type { Output } from './output';
import { createOutput, statusText } from './output';
import type { Where } from './problems';
import { toCliError } from './problems';
import {
  perMessageKey,
  RETRY_MAX_MESSAGES,
  RETRY_PARALLEL,
  retryCountsText,
  retryExitCode,
  retryFilter,
  retryMany,
} from './retry';
import type { RunOptions } from './run';
import { runWithAlerts } from './run';
import { notingSlowAnswers, SLOW_ANSWER_NOTE_MS } from './slow-answers';
import { tail } from './tail';
import { systemTimeZone } from './wall-time';
import { eachAtMost } from './each-at-most';

const HELP_AFTER = `
Configuration:
  vigil login stores the API key and URL in $XDG_CONFIG_HOME/vigil/config.json
  (~/.config/vigil/config.json), mode 0600, one profile per stage (--profile, VIGIL_PROFILE).
  VIGIL_API_KEY and VIGIL_API_URL override the profile. NO_COLOR turns colour off.

Flags given twice:
  a switch (--json) counts once; a flag that takes a value is refused (exit 2), but for those
  whose help says "repeat for more" (--header, --metadata, vigil send's --label).

Exit codes:
  0 ok, 1 failure (the API failed, or a bulk job failed for some messages), 2 bad command line or
  refused input, 3 no key or key refused, 4 no such message or job, 5 the message's state does not
  allow it, 6 rate limit or quota (a Retry-After over 5s is told, not waited out), 7 the API could
  not be reached, 130 Ctrl-C (which says what was done, and what a request it cut short may have
  done); vigil run exits with its command's code.`;

/** What to do when a cancel or redeliver by id got no answer in time (it may have been done). */
const CHANGE_TIMEOUT_HINT = {
  cancel: (id: string) => `try again (cancelling twice changes nothing), or see where it stands with vigil show ${id}`,
  redeliver: (id: string, key: string | undefined) =>
    key === undefined
      ? `it may have been redelivered all the same: check with vigil show ${id} before trying again (or redeliver with --idempotency-key, which is safe to repeat)`
      : `it may have been redelivered: run again with the same --idempotency-key (it will not redeliver twice), or check with vigil show ${id}`,
  retry: (id: string, key: string | undefined) =>
    key === undefined
      ? `it may have been retried all the same: check with vigil show ${id} (or retry with --idempotency-key, which is safe to repeat)`
      : `it may have been retried: run again with the same --idempotency-key (it will not ask a second attempt), or check with vigil show ${id}`,
};

/**
 * Messages cancelled, redelivered or retried by id at once (`vigil retry <id>...`): one at a time,
 * a few hundred ids took tens of seconds; more would only meet the plan's rate limit (the client
 * waits out a 429 and tries again).
 */
const CHANGE_PARALLEL = RETRY_PARALLEL;

/**
 * A change by id keyed per message with the run's key (redeliver, retry), for `changeEach`: `send`
 * asks for it, and what is told of it is its line (its status, then `done`), or, when the API
 * answered the repeat of an earlier run with the same key, the line saying so (`already`) and the
 * same words as a note beside `--json`'s answer, which does not show it.
 */
const keyedChangeById =
  (
    out: Output,
    key: string | undefined,
    send: (api: Api, id: string, call: CallOptions & { idempotencyKey?: string }) => Promise<Message>,
    words: { done: string; already: string },
  ) =>
  async (api: Api, id: string, signal: AbortSignal): Promise<{ message: Message; line: string; note?: string }> => {
    let repeat = false;
    const message = await send(api, id, { ...perMessageKey(key, id), signal, onRepeat: () => (repeat = true) });
    const status = statusText(message.status, out.color);
    return repeat
      ? { message, line: `${message.id}  ${status}, ${words.already}`, note: `${message.id}: ${words.already}` }
      : { message, line: `${message.id}  ${status}${words.done}` };
  };

/** Which key a refusal (401) is about, and how to fix it: the environment's overrides the profile's. */
const keyOf = (credentials: Credentials): Where['key'] =>
  credentials.keyFrom === 'env'
    ? {
        what: 'the key in VIGIL_API_KEY',
        fix: 'set VIGIL_API_KEY to a valid key (it overrides the stored profile), or unset it',
      }
    : {
        what: `the key of profile ${credentials.profile}`,
        fix: `run vigil login${credentials.profile === DEFAULT_PROFILE ? '' : ` --profile ${credentials.profile}`} with a valid key`,
      };

/**
 * Flags named as the API names its fields, which the CLI spells otherwise: what to write instead
 * (a near miss, `--labels`, commander's own "Did you mean --label?" names).
 */
const API_FIELD_FLAGS: Readonly<Record<string, string>> = {
  '--body': '--data',
  '--delay': '--in',
  '--send-at': '--at',
  '--sendAt': '--at',
  '--timezone': '--tz',
};

/** The flag of each query parameter `vigil ls` sets, for the API's refusals. */
const LIST_FLAGS = { ...FILTER_FLAGS, limit: '--limit', cursor: '--cursor' };
/** The flag of each query parameter `vigil jobs` sets, for the API's refusals. */
const JOB_LIST_FLAGS = { state: '--state', limit: '--limit', cursor: '--cursor' };
/** The flag of each field `vigil send` sets, to name the API's refusals in the user's terms. */
const SEND_FLAGS = {
  delay: '--in',
  sendAt: '--at',
  timezone: '--tz',
  body: '--data',
  headers: '--header',
  metadata: '--metadata',
  labels: '--label',
  method: '--method',
  'retry.maxAttempts': '--retries',
};

/** `vigil jobs`' options. */
type JobListOptions = CommonOptions & { state?: string; limit: string; cursor?: string; withCursors?: boolean };

const withCommon = (command: Command, json = true) =>
  (json ? command.option('--json', 'print JSON (for scripts)') : command).option(
    '--profile <name>',
    'the stored profile to use',
  );

export const runCli = async (argv: string[], context: CliContext): Promise<number> => {
  let exitCode: number = EXIT.ok;
  let output: Output = createOutput(context.streams, context.env, argv.includes('--json'));
  /** What a failure is told with once connected: the API's URL, and where its key came from. */
  let known: Where = {};

  /** The output for this command's options, and an API client for its profile. */
  const start = (options: CommonOptions) => {
    output = createOutput(context.streams, context.env, !!options.json);
    return output;
  };
  const connect = async (
    options: CommonOptions,
    { noteSlow = true }: { noteSlow?: boolean } = {},
  ): Promise<{ api: Api; credentials: Credentials }> => {
    const credentials = await resolveCredentials(context.env, options.profile, (text) => output.note(`vigil: ${text}`));
    known = { apiUrl: credentials.apiUrl, key: keyOf(credentials) };
    const api = context.connect(credentials);
    return { api: noteSlow ? slowNoted(api, credentials.apiUrl) : api, credentials };
  };
  /** `api`, saying once a command when an answer is slow to come (not for vigil run, whose output is its command's). */
  const slowNoted = (api: Api, apiUrl: string) =>
    notingSlowAnswers(api, context.slowAnswerNoteMs ?? SLOW_ANSWER_NOTE_MS, () =>
      output.note(
        `vigil: no answer yet from the Vigil API at ${apiUrl} after ${formatDuration(context.slowAnswerNoteMs ?? SLOW_ANSWER_NOTE_MS)}; still waiting (Ctrl-C to stop)`,
      ),
    );
  /**
   * A call that named an id, failed: a 404 is no such message or job, unless the API URL is wrong
   * (`.../v1`: every route is then a 404 too). An API that says so (`no-such-route`) is taken at its
   * word; for one that answers both with `not-found` (before the type was its own), one listing,
   * which names no id, tells them apart before the id is blamed.
   */
  const idFailure = async (api: Api, error: unknown, where: Where & { id: string }): Promise<CliError> => {
    if (error instanceof VigilError && error.is('no-such-route')) return toCliError(error, where);
    if ((error as { status?: unknown }).status === 404) {
      const listing = await api.messages.listPage({ limit: 1 }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      if ((listing as { status?: unknown } | undefined)?.status === 404) {
        const { id: _named, ...rest } = where;
        return toCliError(listing, rest);
      }
    }
    return toCliError(error, where);
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
      // One line: commander puts its "(Did you mean send?)" on a line of its own.
      outputError: (text, write) => {
        const said = text
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ');
        write(`vigil: ${said}${flagOfApiField(said)}: see ${helpFor(argv)}\n`);
      },
    });

  /** The command `argv` names (`vigil jobs show`), and the words that name it. */
  const commandOf = (args: string[]): { command: Command; names: string[] } => {
    const names: string[] = [];
    let command = program;
    for (const arg of args) {
      const sub = command.commands.find((c) => c.name() === arg);
      if (!sub) break;
      names.push(arg);
      command = sub;
    }
    return { command, names };
  };

  /**
   * For an unknown option named as the API names its field (`--body`, `--delay`), the flag that sets
   * it on this command: ` (the API's body is --data here)`; nothing otherwise.
   */
  const flagOfApiField = (said: string): string => {
    const unknown = /^unknown option '(--[\w-]+)/.exec(said)?.[1];
    const flag = unknown === undefined ? undefined : API_FIELD_FLAGS[unknown];
    if (flag === undefined || !commandOf(argv).command.options.some((option) => option.long === flag)) return '';
    return ` (the API's ${unknown!.slice(2)} is ${flag} here)`;
  };

  /** The help of the command `argv` names (`vigil send --help`), which says how to write it. */
  const helpFor = (args: string[]): string => {
    const { names } = commandOf(args);
    return ['vigil', ...names, '--help'].join(' ');
  };

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
      slowNoted(context.connect({ profile: options.profile ?? 'default', ...profile }), profile.apiUrl),
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
      .option('--data <data>', 'the body: JSON (sent as typed) or text, or @file.json, or @- for stdin')
      .option('--header <name:value>', 'a request header (repeat for more)', collect)
      .option('--metadata <name=value>', 'a tag of your own, never sent (repeat for more)', collect)
      .option('--label <label>', 'a label to find it by (vigil ls --label; repeat for more, up to 10)', collect)
      .option('--method <method>', 'POST (default), PUT or PATCH')
      .option('--retries <n>', `retries after the first attempt, 0 to ${MAX_RETRIES} (default ${DEFAULT_RETRIES})`)
      .option(
        '--idempotency-key <key>',
        'send again with the same key and get the message the first send made, not a second one',
      ),
  ).action(async (url: string, options: CommonOptions & SendOptions) => {
    const out = start(options);
    const message = await messageFromOptions(url, options, context.stdin, () => systemTimeZone(context.env));
    const { api } = await connect(options);
    // Told from when it was asked for: a message sent at once is due "now", however long the answer took.
    const askedAt = context.now();
    // Answered as the repeat of an earlier run with the same key: that run's message, nothing scheduled now.
    let repeat = false;
    const unanswered = options.idempotencyKey
      ? 'the message may have been scheduled: send again with the same --idempotency-key (it will not make a second), or check vigil ls'
      : 'the message may have been scheduled: check vigil ls before sending again (or send with --idempotency-key, which is safe to repeat)';
    // Ctrl-C while the API has the request stops at once, and says the message may have been made.
    const created = await interruptible((signal) =>
      api.messages.create(message, { signal, onRepeat: () => (repeat = true) }).catch(
        ifCutShort(
          signal,
          () => new CliError('stopped before the API answered', EXIT.interrupted, unanswered),
          (error) => toCliError(error, { ...known, flags: SEND_FLAGS, timeoutHint: unanswered }),
        ),
      ),
    );
    printScheduled(out, created, askedAt, repeat);
  });

  withCommon(
    withFilterOptions(
      program
        .command('ls')
        .description('list messages, newest first, filtered by the flags given (all must hold)')
        .addOption(new Option('--limit <n>', 'how many, at most 10000').default('20', '20'))
        .option('--cursor <cursor>', 'start at the page a "next page" line gave')
        .option('--previous-cursor <cursor>', 'start at the page a "previous page" line gave')
        .option(
          '--summary',
          'count them by URL instead, with their statuses, how their last attempts ended and since when (reads up to --limit, 10000 unless given)',
        )
        .option(
          '--with-cursors',
          'with --json: print the page as the API does, {"items", "nextCursor", "previousCursor"}, so a script pages on with --cursor',
        ),
    ),
  ).action(
    async (
      options: CommonOptions &
        FilterOptions & {
          limit: string;
          cursor?: string;
          previousCursor?: string;
          summary?: boolean;
          withCursors?: boolean;
        },
      command: Command,
    ) => {
      const out = start(options);
      if (options.withCursors && !options.json)
        throw usageError('--with-cursors goes with --json', 'write vigil ls --json --with-cursors');
      if (options.withCursors && options.summary)
        throw usageError('--with-cursors goes with a listing, not --summary', 'leave out --with-cursors');
      // A summary counts every message the filter selects, as many as ls may read, unless --limit says otherwise.
      if (options.summary && command.getOptionValueSource('limit') === 'default') options.limit = '10000';
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw usageError(`--limit ${options.limit}: give a whole number from 1 to 10000`);
      if (options.cursor !== undefined && options.previousCursor !== undefined)
        throw usageError('give --cursor or --previous-cursor, not both');
      const filter = filterFromOptions(options, context.now(), () => systemTimeZone(context.env));
      const cursor = options.cursor ?? options.previousCursor;
      const { api } = await connect(options);
      const list = await listMessages(api, filter, limit, {
        start: cursor === undefined ? undefined : { cursor, upwards: options.previousCursor !== undefined },
      }).catch((error: unknown) => {
        throw toCliError(error, { ...known, flags: LIST_FLAGS });
      });
      if (options.summary) {
        printSummary(out, summarize(list.items), context.now());
        if (list.nextCursor) {
          out.note(
            `(the newest ${list.items.length} of them counted: more match; narrow the filter flags, or raise --limit up to 10000)`,
          );
        } else if (!out.json && list.items.length > 0) {
          const urls = new Set(list.items.map((m) => m.url)).size;
          out.note(`${plural(list.items.length, 'message')} to ${plural(urls, 'URL')}`);
        }
        return;
      }
      // A script reads the cursors beside the messages, in the API's page shape (null where there is none).
      if (options.withCursors)
        out.data({
          items: list.items,
          nextCursor: list.nextCursor ?? null,
          previousCursor: list.previousCursor ?? null,
        });
      else printList(out, list.items, context.now());
      // The same listing (the times as the instants they were read as) from the page before or after.
      const again = ['vigil ls', ...filterFlags(filter), ...(options.limit === '20' ? [] : ['--limit', String(limit)])];
      if (options.profile) again.push('--profile', options.profile);
      // The next page as this one was asked for: a script that ran --json gets JSON again, in the same shape.
      if (options.json) again.push('--json');
      if (options.withCursors) again.push('--with-cursors');
      if (list.stopped) {
        out.note(
          `(${list.items.length} found in ${MAX_LIST_REQUESTS} pages: few messages match; the next page goes on)`,
        );
      }
      if (list.previousCursor)
        out.note(`previous page: ${[...again, '--previous-cursor', list.previousCursor].join(' ')}`);
      if (list.nextCursor) out.note(`next page: ${[...again, '--cursor', list.nextCursor].join(' ')}`);
    },
  );

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
      // The body as it is sent (the message's `body` is read into values, a name like "1" first),
      // shown in its place, and given beside the message with --json.
      const [message, attempts, body] = await Promise.all([
        api.messages.get(id),
        api.messages.attempts(id),
        api.messages.body(id),
      ]);
      printShow(out, message, attempts, context.now(), body);
    } catch (error) {
      throw await idFailure(api, error, { ...known, id });
    }
  });

  withCommon(
    program
      .command('update')
      .description(
        "change a waiting message's body or URL (scheduled, queued or retrying), before its next attempt sends it",
      )
      .argument('<id>', 'the message id (msg_...)')
      .option('--data <data>', 'the new body: JSON (sent as typed) or text, or @file.json, or @- for stdin')
      .option('--url <url>', 'the new URL to deliver it to'),
  ).action(async (id: string, options: CommonOptions & { data?: string; url?: string }) => {
    const out = start(options);
    checkId(id);
    if (options.data === undefined && options.url === undefined) {
      throw usageError('vigil update needs --data or --url', `e.g. vigil update ${id} --data @fixed.json`);
    }
    const patch: UpdateMessage = {
      ...(options.url !== undefined && { url: options.url }),
      ...(options.data !== undefined && { body: await readData(options.data, context.stdin) }),
    };
    const { api } = await connect(options);
    try {
      // Ctrl-C while the API has the change stops at once, and says it may have been made.
      const message = await interruptible((signal) =>
        api.messages
          .update(id, patch, { signal })
          .catch(
            ifCutShort(
              signal,
              () =>
                new CliError(
                  'stopped before the API answered: the change may have been made',
                  EXIT.interrupted,
                  `see with vigil show ${id} (the same vigil update again is safe)`,
                ),
            ),
          ),
      );
      if (out.json) out.data(message);
      else {
        const changed = [options.data !== undefined && 'body', options.url !== undefined && 'url'].filter(Boolean);
        const next =
          message.status === 'retrying' ? `; send it now with vigil retry ${message.id}` : ', sent when it is due';
        out.line(`${message.id}  ${statusText(message.status, out.color)}  ${changed.join(' and ')} changed${next}`);
      }
    } catch (error) {
      if (error instanceof CliError && error.code === EXIT.interrupted) throw error;
      const failure = await idFailure(api, error, { ...known, id, flags: { body: '--data', url: '--url' } });
      // Sent already (delivered or failed, or under way): what went cannot be changed; a new message can.
      fail(
        failure.code === EXIT.conflict && failure.hint === undefined
          ? new CliError(
              failure.message.replace(/\.$/, ''),
              failure.code,
              `send a corrected one with vigil send, and leave ${id} out of any redeliver (it would send what it holds)`,
            )
          : failure,
      );
    }
  });

  for (const [name, description] of [
    ['cancel', 'cancel pending messages (scheduled, queued or retrying): by ids, or all a filter selects (a bulk job)'],
    ['redeliver', 'deliver delivered or failed messages again, now: by ids, or all a filter selects (a bulk job)'],
  ] as const) {
    const command = withFilterOptions(
      program
        .command(name)
        .description(description)
        .argument('[id...]', 'message ids (msg_...)')
        .option('--no-wait', 'with a filter: print the job id and return, without following the job')
        .option(
          '--dry-run',
          `with a filter: count the messages it selects now (up to ${DRY_RUN_MAX}) and show a few; change nothing`,
        ),
    );
    // A cancel is safe to repeat as it is; a redeliver is made so by a key (each id's is <key>:<id>).
    if (name === 'redeliver')
      command.option(
        '--idempotency-key <key>',
        'run again with the same key and get the rounds (or the job) the first run started, not new ones',
      );
    withCommon(command).action(
      async (
        ids: string[],
        options: CommonOptions & FilterOptions & { wait: boolean; idempotencyKey?: string; dryRun?: boolean },
      ) => {
        const out = start(options);
        const filter = filterFromOptions(options, context.now(), () => systemTimeZone(context.env));
        const { filtered, key } = idsOrFilter(
          name,
          ids,
          filter,
          options.idempotencyKey,
          `vigil ${name} --label billing`,
        );
        if (options.dryRun) {
          await dryRun(name, filtered, bulkFilter(name, filter), options);
          return;
        }
        if (filtered) {
          await bulk(name, filter, options, key);
          return;
        }
        if (name === 'cancel') {
          await changeEach(out, options, ids, name, key, async (api, id, signal) => {
            // The API answers a cancel of a cancelled message as it answers the cancel that did it (200,
            // the message), so a person is told from a read first; --json prints what the cancel answers.
            if (!out.json && (await api.messages.get(id, { signal })).status === 'cancelled') {
              return { line: `${id}  ${statusText('cancelled', out.color)} already` };
            }
            const message = await api.messages.cancel(id, { signal });
            return { message, line: `${message.id}  ${statusText(message.status, out.color)}` };
          });
          return;
        }
        await changeEach(
          out,
          options,
          ids,
          name,
          key,
          keyedChangeById(out, key, (api, id, call) => api.messages.redeliver(id, call), {
            done: '',
            already: 'redelivered already by an earlier run with this --idempotency-key: no new round',
          }),
        );
      },
    );
  }

  /**
   * Cancel, redeliver or retry by ids: every id checked first, then each changed, CHANGE_PARALLEL
   * at a time (`change` gives what it answered and the line a person reads), told in the order the
   * ids were given as soon as those before are: a refusal as a failure in its place (a redeliver or
   * retry refused for the other's messages naming the other), the first in that order setting the
   * exit code. `--json` prints what each answered, in that order, and on stderr the `note` of one
   * that needs telling beside it (a repeat of an earlier run, which the API's answer does not show).
   * Ctrl-C stops at once (exit 130): the requests under way are cut short, and a note names the ids
   * they were for (they may have been changed) and those not asked yet.
   */
  const changeEach = async (
    out: Output,
    options: CommonOptions,
    ids: string[],
    name: keyof typeof CHANGE_TIMEOUT_HINT,
    key: string | undefined,
    change: (api: Api, id: string, signal: AbortSignal) => Promise<{ message?: Message; line: string; note?: string }>,
  ) => {
    for (const id of ids) checkId(id);
    const { api } = await connect(options);
    const done: Message[] = [];
    /** An id whose request Ctrl-C cut short: it may have been changed. */
    const CUT = Symbol('cut short');
    type Told = { message?: Message; line: string; note?: string } | CliError | typeof CUT;
    const told: Array<Told | undefined> = [];
    let shown = 0;
    /** Tells what is known of the ids in order, up to the first still under way. */
    const tell = () => {
      for (; shown < ids.length && told[shown] !== undefined; shown++) {
        const result = told[shown]!;
        if (result === CUT) continue;
        if (result instanceof CliError) fail(result);
        else {
          if (result.message) done.push(result.message);
          if (!out.json) out.line(result.line);
          else if (result.note) out.note(`vigil: ${result.note}`);
        }
      }
    };
    await interruptible(async (signal) => {
      const changeOne = async (id: string): Promise<Told> => {
        try {
          return await change(api, id, signal);
        } catch (error) {
          if (signal.aborted) return CUT;
          const failure = await idFailure(api, error, {
            ...known,
            id,
            timeoutHint: CHANGE_TIMEOUT_HINT[name](id, key),
          });
          return name === 'cancel' ? failure : await withOtherCommand(api, failure, id);
        }
      };
      await eachAtMost(
        ids,
        CHANGE_PARALLEL,
        () => !signal.aborted,
        async (id, at) => {
          told[at] = await changeOne(id);
          tell();
        },
      );
    });
    if (out.json) out.data(done);
    const cut = ids.filter((_, at) => told[at] === CUT);
    const left = ids.filter((_, at) => told[at] === undefined);
    if (cut.length === 0 && left.length === 0) return;
    const verb = { cancel: 'cancelled', redeliver: 'redelivered', retry: 'retried' }[name];
    const parts = [
      ...(cut.length > 0
        ? [`${cut.join(' ')} may have been ${verb} (Ctrl-C cut the request short: see with vigil show)`]
        : []),
      ...(left.length > 0 ? [`not asked: ${left.join(' ')}`] : []),
    ];
    out.note(`vigil: stopped: ${parts.join('; ')}`);
    exitCode = EXIT.interrupted;
  };

  /**
   * A redeliver refused for a retrying message, or a retry for a finished one (409): the command
   * that does apply, named (its status read once, on that failure only).
   */
  const withOtherCommand = async (api: Api, failure: CliError, id: string): Promise<CliError> => {
    if (failure.code !== EXIT.conflict || failure.hint !== undefined) return failure;
    const status = await api.messages.get(id).then(
      (message) => message.status,
      () => undefined,
    );
    const hint =
      status === 'retrying'
        ? `send its next attempt now with vigil retry ${id}`
        : status === 'failed' || status === 'delivered'
          ? `send it again with vigil redeliver ${id}`
          : undefined;
    // The API's sentence (which names the status) without its full stop, then what to do: one line.
    return hint === undefined ? failure : new CliError(failure.message.replace(/\.$/, ''), failure.code, hint);
  };

  withCommon(
    withFilterOptions(
      program
        .command('retry')
        .description(
          "send retrying messages' next attempt now (same round, same retry budget): by ids, or every retrying message a filter selects",
        )
        .argument('[id...]', 'message ids (msg_...)')
        .option(
          '--idempotency-key <key>',
          'run again with the same key and ask no second attempt of a message the first run retried',
        )
        .option(
          '--dry-run',
          `with a filter: count the retrying messages it selects now (up to ${DRY_RUN_MAX}) and show a few; change nothing`,
        ),
    ),
  ).action(
    async (ids: string[], options: CommonOptions & FilterOptions & { idempotencyKey?: string; dryRun?: boolean }) => {
      const out = start(options);
      const given = filterFromOptions(options, context.now(), () => systemTimeZone(context.env));
      const { filtered, key } = idsOrFilter(
        'retry',
        ids,
        given,
        options.idempotencyKey,
        'vigil retry --url-prefix https://api.example.com/ (every retrying message to it)',
      );
      if (options.dryRun) {
        await dryRun('retry', filtered, filtered ? retryFilter(given) : given, options);
        return;
      }
      if (filtered) {
        const filter = retryFilter(given);
        const { api } = await connect(options);
        let first: CliError | undefined;
        const result = await interruptible((signal) =>
          retryMany(api, out, filter, {
            signal,
            now: context.now,
            ...(key !== undefined && { idempotencyKey: key }),
            onFailure: (id, error) => {
              const failure = toCliError(error, { ...known, id });
              first ??= failure;
              out.error(`${id}: ${failure.message}`, failure.hint);
              // Every message would meet these: the key refused, the API gone, or a 429 that asks
              // for longer than the client waits (the plan's rate asks a second, waited out).
              return failure.code === EXIT.auth || failure.code === EXIT.unreachable || failure.code === EXIT.limited;
            },
          }),
        ).catch((error: unknown) => {
          throw toCliError(error, { ...known, flags: FILTER_FLAGS });
        });
        const counts = retryCountsText(result.counts, result.total);
        if (out.json) out.data(result);
        else if (result.total === 0) out.line(`No retrying messages match ${filterFlags(filter).join(' ')}.`);
        else out.line(counts);
        const again = ['vigil retry', ...filterFlags(filter)].join(' ');
        if (result.listing) out.note(`vigil: stopped while listing the retrying messages; none was retried`);
        else if (result.interrupted) {
          const cut = result.cutShort
            ? `; ${result.cutShort.join(' ')} may have been retried (Ctrl-C cut the request short)`
            : '';
          out.note(
            `vigil: stopped after ${counts}${cut}; the rest wait for their next attempt: ${again} asks the rest`,
          );
        } else if (result.stopped) out.note(`vigil: stopped after ${counts}; try again with ${again}`);
        else if (result.more)
          out.note(
            `vigil: more retrying messages match than one run takes (${RETRY_MAX_MESSAGES}): ${again} takes the next ones`,
          );
        exitCode = retryExitCode(result, first);
        return;
      }
      await changeEach(
        out,
        options,
        ids,
        'retry',
        key,
        keyedChangeById(out, key, (api, id, call) => api.messages.retry(id, call), {
          done: ', next attempt now',
          already: 'next attempt asked already by an earlier run with this --idempotency-key: no second one',
        }),
      );
    },
  );

  /**
   * `--dry-run`: what a filter selects now, counted through the listing a bulk job pages through (and
   * vigil retry lists), up to DRY_RUN_MAX, with the newest few shown; nothing is changed. The same
   * query, so the same messages as of now: a job takes each when it reaches it, so a message that
   * changes in between may fall in or out, which the note says.
   */
  const dryRun = async (
    name: BulkAction | 'retry',
    filtered: boolean,
    filter: MessageFilter,
    options: CommonOptions,
  ) => {
    if (!filtered) {
      throw usageError(
        `--dry-run takes filter flags, not ids`,
        `see a message with vigil show <id>, or many with vigil ls`,
      );
    }
    const { api } = await connect(options);
    const run = await countSelected(api, filter).catch((error: unknown) => {
      throw toCliError(error, { ...known, flags: FILTER_FLAGS });
    });
    const flags = filterFlags(filter).join(' ');
    if (output.json) {
      output.data({
        dryRun: true,
        command: name,
        filter,
        count: run.count,
        more: run.more,
        partial: run.partial,
        messages: run.shown,
      });
      return;
    }
    output.line(`Dry run, nothing changed: ${dryRunCountText(run)} match ${flags} now.`);
    if (run.shown.length === 0) return;
    printList(output, run.shown, context.now());
    if (run.shown.length < run.count)
      output.note(`(the newest ${run.shown.length} shown: vigil ls ${flags} lists them)`);
    if (run.partial) {
      output.note(`(counted in ${DRY_RUN_MAX_REQUESTS} pages of the listing, which few messages match: more may)`);
    }
    output.note(
      name === 'retry'
        ? `vigil retry ${flags} sends their next attempt now${run.more ? ` (the newest ${RETRY_MAX_MESSAGES} a run; the same command again takes the next ones)` : ''}.`
        : `vigil ${name} ${flags} starts a bulk job over them; it takes each message when it reaches it, so one that changes status meanwhile may fall in or out.`,
    );
  };

  /** A bulk job's filter: the action's statuses unless --status is given, and never retrying for a redeliver (a usage error). */
  const bulkFilter = (action: BulkAction, given: MessageFilter): MessageFilter => {
    const filter = { ...given, status: given.status ?? ACTION_STATUSES[action] };
    if (action === 'redeliver' && filter.status?.includes('retrying')) {
      throw usageError(
        `--status ${filter.status.join(',')}: redeliver applies to delivered and failed messages, not to retrying ones`,
        `send the retrying ones' next attempt now with vigil retry ${filterFlags({ ...filter, status: ['retrying'] }).join(' ')}`,
      );
    }
    return filter;
  };

  /** A bulk job for a filter (the action's statuses unless --status is given), followed to its end unless --no-wait. */
  const bulk = async (
    action: BulkAction,
    given: MessageFilter,
    options: CommonOptions & { wait: boolean },
    idempotencyKey?: string,
  ) => {
    const filter = bulkFilter(action, given);
    // Always keyed (the CLI's own key unless one is given): a start Ctrl-C cut short can be run
    // again with it and start the job only if the first did not.
    const key = idempotencyKey ?? randomUUID();
    // Ctrl-C from here on stops at once and says what it knows: nothing started, the job that was,
    // or, cut short while the API was starting it, that it may have started and how to be sure.
    const job = await interruptible(async (signal) => {
      const { api } = await connect(options);
      if (signal.aborted) {
        throw new CliError(`stopped before starting a ${action} job: nothing was started`, EXIT.interrupted);
      }
      // Answered as the repeat of an earlier run with the same key: that run's job, nothing started now.
      let repeat = false;
      const call = { idempotencyKey: key, signal, onRepeat: () => (repeat = true) };
      const started = await (
        action === 'cancel' ? api.messages.cancelMany({ filter }, call) : api.messages.redeliverMany({ filter }, call)
      ).catch(
        ifCutShort(
          signal,
          () => startCutShort(action, filter, key, options.profile),
          (error) =>
            toCliError(error, {
              ...known,
              flags: FILTER_FLAGS,
              timeoutHint: `a job may have started all the same: check with vigil ls ${filterFlags(filter).join(' ')} before starting another`,
            }),
        ),
      );
      const already = `already started as ${started.id} (${action} ${filterFlags(filter).join(' ')}) by an earlier run with this --idempotency-key: nothing new was started`;
      if (!options.wait) {
        if (output.json) output.data(started);
        else output.line(started.id);
        output.note(
          repeat
            ? `vigil: ${already}; follow it with vigil jobs show ${started.id}`
            : `Started ${started.id} (${action} ${filterFlags(filter).join(' ')}): follow it with vigil jobs show ${started.id}`,
        );
        return undefined;
      }
      if (repeat) output.note(`vigil: ${already}; following it`);
      // Interrupted already: the job's counts once, then "stopped following it; it goes on" (exit 130).
      return followJob(api, output, started, { signal, now: context.now }).catch((error: unknown) => {
        throw toCliError(error, { ...known, id: started.id });
      });
    });
    if (job === undefined) return;
    if (output.json) output.data(job);
    else output.line(jobLine(job, output.color));
    exitCode = jobExitCode(job);
  };

  const jobs = withCommon(
    program
      .command('jobs')
      .description(
        'list bulk jobs, newest first (vigil cancel and vigil redeliver with filter flags start them); a finished one is kept 7 days',
      )
      .option('--state <states>', 'only jobs in these states: running, done, failed (comma-separated)')
      .addOption(new Option('--limit <n>', `how many, at most ${PAGE_MAX}`).default('20', '20'))
      .option('--cursor <cursor>', 'start at the page a "next page" line gave')
      .option(
        '--with-cursors',
        'with --json: print the page as the API does, {"items", "nextCursor"}, so a script pages on with --cursor',
      ),
  ).action(async (options: JobListOptions) => {
    const out = start(options);
    if (options.withCursors && !options.json)
      throw usageError('--with-cursors goes with --json', 'write vigil jobs --json --with-cursors');
    const limit = Number(options.limit);
    if (!/^\d+$/.test(options.limit) || limit < 1 || limit > PAGE_MAX)
      throw usageError(`--limit ${options.limit}: give a whole number from 1 to ${PAGE_MAX}`);
    const state = options.state?.split(',').map((s) => s.trim()) as BulkJob['state'][] | undefined;
    const { api } = await connect(options);
    const page = await api.jobs
      .listPage({ limit, ...(state && { state }), ...(options.cursor !== undefined && { cursor: options.cursor }) })
      .catch((error: unknown) => {
        throw toCliError(error, { ...known, flags: JOB_LIST_FLAGS });
      });
    // A script reads the cursor beside the jobs, in the API's page shape (null where there is none), as vigil ls gives it.
    if (options.withCursors) out.data({ items: page.items, nextCursor: page.nextCursor ?? null });
    else printJobs(out, page.items, context.now());
    if (page.nextCursor) {
      const again = ['vigil jobs', ...(options.state ? ['--state', options.state] : [])];
      if (options.limit !== '20') again.push('--limit', options.limit);
      if (options.profile) again.push('--profile', options.profile);
      // The next page as this one was asked for: JSON again, in the same shape.
      if (options.json) again.push('--json');
      if (options.withCursors) again.push('--with-cursors');
      out.note(`next page: ${[...again, '--cursor', page.nextCursor].join(' ')}`);
    }
  });
  withCommon(
    jobs.command('show').description('where a bulk job stands').argument('<id>', 'the job id (job_...)'),
  ).action(async (id: string, options: CommonOptions) => {
    const out = start(options);
    checkJobId(id);
    const { api } = await connect(options);
    try {
      printJob(out, await api.jobs.get(id));
    } catch (error) {
      throw await idFailure(api, error, { ...known, id });
    }
  });

  withCommon(
    program
      .command('tail')
      .description('print delivery attempts as they happen, until Ctrl-C')
      .addOption(new Option('--interval <duration>', 'how often to ask the API').default('2s', '2s'))
      .option('--url-prefix <text>', 'only messages whose URL starts with this (one endpoint)')
      .option('--label <label>', 'only messages carrying this label'),
  ).action(async (options: CommonOptions & { interval: string; urlPrefix?: string; label?: string }) => {
    const out = start(options);
    const intervalMs = durationArg('--interval', options.interval);
    if (intervalMs < 500) throw usageError('--interval must be at least 500ms');
    const filter = {
      ...(options.urlPrefix !== undefined && { urlPrefix: options.urlPrefix }),
      ...(options.label !== undefined && { label: options.label }),
    };
    const { api } = await connect(options);
    await interruptible((signal) => tail(api, out, { intervalMs, signal, since: context.now(), where: known, filter }));
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
    const { api, credentials } = await connect(options, { noteSlow: false });
    exitCode = await runWithAlerts(argv, options, {
      api,
      where: known,
      output: out,
      stdout: context.streams.stdout as NodeJS.WritableStream,
      stderr: context.streams.stderr as NodeJS.WritableStream,
      interactive: context.stdinIsTTY,
      host: context.hostname(),
      ...(credentials.notifyUrl && { defaultNotifyUrl: credentials.notifyUrl }),
    });
  });

  refuseRepeatedValues(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; a bad or missing command or option is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    fail(toCliError(error, known));
  }
  return exitCode;
};

/** Runs `task` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts. */
async function interruptible<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await task(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * A catch for a call under `interruptible`: cut short by Ctrl-C (its `signal` aborted), it throws
 * what `cut` says of it (the command's own words: what may have happened, and how to be sure);
 * otherwise the call's error as `otherwise` tells it (as it came, unless given).
 */
const ifCutShort =
  (signal: AbortSignal, cut: () => CliError, otherwise: (error: unknown) => unknown = (error) => error) =>
  (error: unknown): never => {
    if (signal.aborted) throw cut();
    throw otherwise(error);
  };

/**
 * What cancel, redeliver or retry acts on: message ids or filter flags, one of the two (a usage
 * error otherwise, `example` showing filter flags), and its --idempotency-key checked with room for
 * `:<id>` (31 characters) within the API's IDEMPOTENCY_KEY_MAX_LENGTH.
 */
const idsOrFilter = (
  name: string,
  ids: readonly string[],
  filter: MessageFilter,
  idempotencyKey: string | undefined,
  example: string,
): { filtered: boolean; key: string | undefined } => {
  const filtered = Object.keys(filter).length > 0;
  if (ids.length > 0 && filtered) throw usageError('give message ids or filter flags, not both');
  if (ids.length === 0 && !filtered)
    throw usageError(`vigil ${name} needs message ids or filter flags`, `e.g. ${example}`);
  return {
    filtered,
    key:
      idempotencyKey === undefined ? undefined : checkedIdempotencyKey(idempotencyKey, IDEMPOTENCY_KEY_MAX_LENGTH - 31),
  };
};

/**
 * Ctrl-C while the API was starting a bulk job: the request was sent and its answer not awaited, so
 * the job may have started. `vigil jobs` lists it; the same command with the start's key starts it
 * only if it did not (the API answers a repeated key with the job it started).
 */
const startCutShort = (action: BulkAction, filter: MessageFilter, key: string, profile: string | undefined) => {
  const again = ['vigil', action, ...filterFlags(filter), '--idempotency-key', shellWord(key)];
  if (profile) again.push('--profile', shellWord(profile));
  // vigil cancel takes no --idempotency-key: a second cancel job skips what the first cancelled.
  const rerun =
    action === 'cancel'
      ? `the same vigil cancel again is safe (what is cancelled already is skipped)`
      : `${again.join(' ')} starts it only if it did not`;
  return new CliError(
    `stopped before the API said whether the ${action} job started (it may have)`,
    EXIT.interrupted,
    `vigil jobs lists it; ${rerun}`,
  );
};

/** `1 message`, `3 messages`. */
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The flags that take several values as one comma list, each with an example. */
const COMMA_LISTS = new Map([
  ['--status', 'failed,retrying'],
  ['--origin', 'message,callback'],
  ['--state', 'running,failed'],
]);

/**
 * A flag given twice: one that takes a value (`--label a --label b`, `--limit 5 --limit 10`) is a
 * usage error, never the last one silently (a bulk cancel by one of two labels, when both were
 * meant), except those whose help says "repeat for more" (`collect`); a switch (`--json`) given
 * twice is given. HELP_AFTER says so.
 */
function refuseRepeatedValues(command: Command) {
  const given = new Set<string>();
  for (const option of command.options) {
    if (!(option.required || option.optional) || option.variadic || option.parseArg === collect) continue;
    const flag = option.long ?? option.flags;
    command.on(`option:${option.name()}`, () => {
      if (!given.has(flag)) return void given.add(flag);
      // The values are not echoed: one may be a key (login's --api-key) or a body.
      throw usageError(
        `${flag} given twice: it takes one value`,
        COMMA_LISTS.has(flag) ? `give several as one comma list, ${flag} ${COMMA_LISTS.get(flag)}` : 'give it once',
      );
    });
  }
  for (const sub of command.commands) refuseRepeatedValues(sub);
}

/** A repeatable option's values. No default list: commander's help would print "(default: [])". */
function collect(value: string, previous: string[] = []) {
  return [...previous, value];
}
