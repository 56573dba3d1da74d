/**
 * The README's command lines, run as written against a local stack, each exiting 0 with output
 * of the shape the README shows. Every command in a fenced `bash` block (and the inline
 * `npm run admin -- --local ...` / `--help` lines) is either run or excluded by a rule in RULES
 * below, which says why; every other command named inline in the prose or tables has its reason in
 * INLINE_NOT_RUN. A command no rule covers fails this test, so a new README line cannot be skipped
 * silently.
 *
 * What is changed before running, and only this (SUBSTITUTIONS): the ports (the stack's API on a
 * free port instead of 4000, the receiver on a free port instead of 9000: this machine is shared),
 * `vgl_...` (the key the stack printed) and `msg_01JDX...` (the id the walk-through's create
 * returned), and the date of the time-zone example (`2027-03-28`, the day Berlin springs forward) by
 * the next such day once it is past, so the example stays in the future. `npm install` is not run (it needs the registry; node_modules is there). The stack
 * runs without the web app (VIGIL_WEB=off: the browser tests cover it), so the banner's
 * `Web app` line is not checked.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './target';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

// ---------------------------------------------------------------------------------------------
// Reading the README
// ---------------------------------------------------------------------------------------------

interface Block {
  lang: string;
  text: string;
}

/** The README's fenced blocks, in order. */
const fencedBlocks = (markdown: string): Block[] =>
  [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', text: m[2] ?? '' }));

interface Command {
  /** The command line as written (continuation lines joined, with their backslashes). */
  line: string;
  /** What the README shows it prints: `# ...` lines right after it, or the json block after its block. */
  shown?: string;
}

/** A bash block's commands: continuation lines joined; `# ...` lines right after one are its output. */
const commandsOf = (text: string): Command[] => {
  const commands: Command[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (pending === '' && raw.startsWith('#')) {
      const last = commands.at(-1);
      if (last) last.shown = `${last.shown ? `${last.shown}\n` : ''}${raw.replace(/^#\s?/, '')}`;
      continue;
    }
    if (pending === '' && raw.trim() === '') continue;
    pending += `${pending ? '\n' : ''}${raw}`;
    if (!raw.endsWith('\\')) {
      commands.push({ line: pending });
      pending = '';
    }
  }
  return commands;
};

/** Every command the README gives a reader, with the output it shows, in reading order. */
const readmeCommands = (): Command[] => {
  const commands: Command[] = [];
  for (const block of fencedBlocks(README)) {
    if (block.lang === 'bash') commands.push(...commandsOf(block.text));
    else if (block.lang === 'json') {
      const last = commands.at(-1);
      if (last) last.shown = block.text.trim();
    }
  }
  // Inline admin commands that run on a local stack.
  for (const [, line] of README.matchAll(/`(npm run admin -- (?:--local [^`]+|--help))`/g))
    commands.push({ line: line! });
  return commands;
};

/** The README's plain (untagged) blocks: what `npm start` prints, what the receiver prints, the layout. */
const plainBlocks = () => fencedBlocks(README).filter((b) => b.lang === '');

// ---------------------------------------------------------------------------------------------
// Which commands run, and how
// ---------------------------------------------------------------------------------------------

type Action =
  | { run: 'stack' } // started as a long-running child, like a reader's first terminal
  | { run: 'background' } // a server the walk-through talks to, started and stopped by the test
  | { run: 'assign' } // NAME=value: run, the value kept for the next commands
  | { run: 'command' } // run to completion: exit 0, output checked
  | { run: 'cli' } // the vigil CLI ("From a terminal"): run in order, exit 0, printed lines checked
  | { run: 'check' } // run on its own (not part of the walk-through): exit 0, its `# ...` lines checked in shape
  | { excluded: string };

const RULES: Array<{ rule: string; matches: (line: string) => boolean; action: Action }> = [
  {
    rule: '`npm install && npm start`: npm start runs (the stack); npm install does not (it needs the registry)',
    matches: (line) => /^npm install && npm start\b/.test(line),
    action: { run: 'stack' },
  },
  {
    rule: '`npm test`: the whole suite, which includes this test',
    matches: (line) => /^npm test\b/.test(line),
    action: { excluded: 'runs the whole suite, this test included' },
  },
  {
    rule: 'deployment: serverless deploy/remove, and commands against a deployed stage (VIGIL_TABLE=..., --base-url)',
    matches: (line) =>
      /^npx serverless (deploy|remove)\b/.test(line) || /^VIGIL_TABLE=/.test(line) || /--base-url\b/.test(line),
    action: { excluded: 'needs an AWS account and a deployed stage' },
  },
  {
    rule: 'the AWS CLI (aws ssm put-parameter ...): a deployment step in an AWS account',
    matches: (line) => /^aws /.test(line),
    action: { excluded: 'needs an AWS account' },
  },
  {
    rule: '`npm run client:size`: the client bundled, minified and gzipped, as the README prints it',
    matches: (line) => /^npm run client:size$/.test(line),
    action: { run: 'check' },
  },
  {
    rule: 'the receiver: a server, started in the background',
    matches: (line) => /^(VIGIL_SIGNING_SECRET=\S+ )?npm run receiver\b/.test(line),
    action: { run: 'background' },
  },
  {
    rule: 'a shell variable for the commands after it',
    matches: (line) => /^[A-Z_]+=\S/.test(line) && !/^VIGIL_TABLE=/.test(line) && !/ npm run receiver\b/.test(line),
    action: { run: 'assign' },
  },
  {
    rule: 'the vigil CLI (npx vigil ...): run in order, with a HOME of its own',
    matches: (line) => /^npx vigil\b/.test(line),
    action: { run: 'cli' },
  },
  {
    rule: 'calls to the local API (curl localhost:4000) and the admin command on the local stack',
    matches: (line) => /^curl -s localhost:4000\//.test(line) || /^npm run admin -- (--local|--help)\b/.test(line),
    action: { run: 'command' },
  },
];

/**
 * Commands named inline in the README's prose and tables (not in a bash block). The local admin
 * lines are run (they are in readmeCommands); each of the others is listed here with why not.
 */
const INLINE_NOT_RUN: Array<[RegExp, string]> = [
  [/^npx vigil$/, 'the command itself: its lines in "From a terminal" are run'],
  [/^npm run admin -- (--local|--help)\b/, 'run above'],
  [/^npm run admin -- tenant create$/, 'a deployed stage (VIGIL_TABLE); the --local form is run'],
  [/^(VIGIL_WEB=off )?npm start$/, 'the stack: started above from its bash block'],
  [
    /^(VIGIL_SIGNING_SECRET=whsec_\.\.\. )?npm run receiver -- (9000|<port>|9000 whsec_\.\.\.)$/,
    'the receiver: run above with the secret',
  ],
  [/^npm (install|test)$/, 'the registry; the whole suite'],
  [/^npm run (test:unit|test:int|e2e)$/, 'test tiers, this one included'],
  [/^npm run e2e -- --base-url /, 'a deployed stage'],
  [/^npx serverless remove\b/, 'a deployed stage'],
  [/^npm run (lint|typecheck)$/, 'run by CI (.ci/run) itself'],
  [/^npm run format$/, 'rewrites files'],
  [
    /^npm run contract:types$/,
    'rewrites libs/client/src/generated: contract/contract-types.test.ts checks it is fresh',
  ],
  [
    /^npm run build( && npm start -w app)?$/,
    'next build takes minutes: npm test runs it, and the browser tests use it',
  ],
  [/^npm run package$/, 'minutes long: infra/serverless-package.int.test.ts runs it'],
  [/^(BENCH_REPEAT=\d+ )?(BENCH_ONLY=\w+ )?npm run bench(:cold)?$/, 'benchmarks, minutes long'],
  [/^npm run bench:cost$/, 'a benchmark, minutes long: bench/cost/cost-bench.int.test.ts runs its short form'],
  [/^npm run bench:capacity$/, 'a benchmark (the cost scenarios, then the model): its arithmetic is unit-tested'],
  [
    /^npm run bench:list$/,
    'a benchmark, a million messages written: libs/aws/src/dynamo-message-list.int.test.ts tests what it measures',
  ],
  [
    /^npm run bench:requests$/,
    'a benchmark of 6 MiB requests: libs/core/test/json-scan.test.ts and functions/api/input-edges.int.test.ts test what it measures',
  ],
  [/^npm run chaos$/, 'the short profile: e2e/chaos.e2e.test.ts runs the same runner'],
  [/^npm run chaos -- --minutes 30$/, 'the long profile: 30 minutes'],
  [/^npm run soak -- --minutes (N|\d+)$/, 'a benchmark, minutes long'],
  [/^VIGIL_CHAOS=\S+ npm start$/, 'the stack with its fault layer: e2e/chaos.e2e.test.ts starts it so'],
  [/^apt-get install\b/, 'installs system packages (the network)'],
  [/^npm run client:size$/, 'run above from its bash block'],
  [
    /^npm run client:build$/,
    'writes libs/client/dist: libs/client/scripts/package.int.test.ts builds the same into a temporary directory and imports it',
  ],
  [/^curl$/, 'the word, not a command'],
];

const actionFor = (line: string) => {
  const matching = RULES.filter((r) => r.matches(line));
  if (matching.length !== 1) {
    throw new Error(
      `README command ${JSON.stringify(line)} matches ${matching.length} rules in e2e/readme.e2e.test.ts: give it exactly one`,
    );
  }
  return matching[0]!;
};

// ---------------------------------------------------------------------------------------------
// Output "in shape"
// ---------------------------------------------------------------------------------------------

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Whether `actual` has the shape of the README's sample: every key the sample shows is there; a
 * string ending in `...` (`msg_01JDX...`) keeps its type prefix (`msg_`); `"..."` is any string;
 * a timestamp is a timestamp; a number under a key ending in `Ms` is any measurement; everything
 * else is equal. Returns the mismatches.
 */
const shapeMismatches = (actual: unknown, sample: unknown, path = '$', key = ''): string[] => {
  if (typeof sample === 'string') {
    if (typeof actual !== 'string') return [`${path}: ${JSON.stringify(actual)} is not a string`];
    if (sample === '...') return [];
    if (sample.endsWith('...')) {
      const prefix = /^[a-z]+_/.exec(sample)?.[0] ?? sample.slice(0, -3);
      return actual.startsWith(prefix) ? [] : [`${path}: ${actual} does not start with ${prefix}`];
    }
    if (ISO.test(sample)) return ISO.test(actual) ? [] : [`${path}: ${actual} is not a timestamp`];
    return actual === sample ? [] : [`${path}: ${JSON.stringify(actual)}, README shows ${JSON.stringify(sample)}`];
  }
  if (typeof sample === 'number') {
    if (typeof actual !== 'number') return [`${path}: ${JSON.stringify(actual)} is not a number`];
    if (key.endsWith('Ms')) return actual >= 0 ? [] : [`${path}: ${actual} is negative`];
    return actual === sample ? [] : [`${path}: ${actual}, README shows ${sample}`];
  }
  if (Array.isArray(sample)) {
    if (!Array.isArray(actual) || actual.length !== sample.length) {
      return [`${path}: ${JSON.stringify(actual)} is not a list of ${sample.length}`];
    }
    return sample.flatMap((s, i) => shapeMismatches(actual[i], s, `${path}[${i}]`, key));
  }
  if (sample && typeof sample === 'object') {
    if (!actual || typeof actual !== 'object') return [`${path}: ${JSON.stringify(actual)} is not an object`];
    return Object.entries(sample).flatMap(([k, s]) =>
      k in actual
        ? shapeMismatches((actual as Record<string, unknown>)[k], s, `${path}.${k}`, k)
        : [`${path}: no ${k}`],
    );
  }
  return actual === sample ? [] : [`${path}: ${JSON.stringify(actual)}, README shows ${JSON.stringify(sample)}`];
};

/** The README's JSON sample, where `,...}` means "and more fields". */
const parseSample = (text: string): unknown => JSON.parse(text.replace(/,\s*\.\.\.\s*}/g, '}'));

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A printed line as a pattern: timestamps, `tnt_01JD...`-style ids and `6 ms` measurements vary. */
const linePattern = (line: string): RegExp =>
  new RegExp(
    escapeRegExp(line.trim())
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\\\.\d{3}Z/g, '\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z')
      .replace(/\b([a-z]+_)\w*\\\.\\\.\\\./g, '$1\\w+')
      .replace(/\b\d+ ms\b/g, '\\d+ ms')
      .replace(/ {2,}/g, '\\s+'),
  );

/** The README's time-zone example's day, or the next day Berlin springs forward once it is past. */
const TIME_ZONE_EXAMPLE_DAY = '2027-03-28';
const timeZoneExampleDay = (): string => {
  let day = DateTime.now().setZone('Europe/Berlin').startOf('day').plus({ days: 2 });
  if (day.toISODate()! <= TIME_ZONE_EXAMPLE_DAY) return TIME_ZONE_EXAMPLE_DAY;
  for (let i = 0; i < 366; i += 1, day = day.plus({ days: 1 })) {
    if (day.set({ hour: 12 }).offset > day.minus({ days: 1 }).set({ hour: 12 }).offset) return day.toISODate()!;
  }
  throw new Error('Europe/Berlin springs forward on no day of the coming year');
};

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command line with bash, as a reader's shell would, in the repository. */
const runLine = (line: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', line], { cwd: ROOT, env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${line} did not finish within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

/** A long-running command in its own process group, its output collected, until `stop`. */
class Background {
  output = '';
  private readonly child: ChildProcess;

  constructor(line: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['-c', line], { cwd: ROOT, env, detached: true });
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
  }

  async until(pattern: RegExp, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.child.exitCode !== null) throw new Error(`exited with ${this.child.exitCode}:\n${this.output}`);
      if (Date.now() > until) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    process.kill(-this.child.pid!, 'SIGTERM');
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

describe("the README's command lines, as written", () => {
  const commands = readmeCommands();
  const vars: Record<string, string> = {};
  const background: Background[] = [];
  let dataDir: string;
  let apiPort: number;
  let receiverPort: number;
  let stack: Background;
  let env: NodeJS.ProcessEnv;
  let messageId = '';

  /** The listed substitutions, applied to a command line and to the README's samples alike. */
  const substitute = (text: string) =>
    text
      .replace(/localhost:4000\b/g, `localhost:${apiPort}`)
      .replace(/127\.0\.0\.1:4000\b/g, `127.0.0.1:${apiPort}`)
      .replace(/(npm run receiver -- )9000\b/g, `$1${receiverPort}`)
      .replace(/127\.0\.0\.1:9000\b/g, `127.0.0.1:${receiverPort}`)
      .replace(/\bvgl_\.\.\./g, vars.DEV_KEY ?? 'vgl_...')
      .replace(/\bmsg_01JDX\.\.\.(?=\/)/g, messageId || 'msg_01JDX...')
      .replace(new RegExp(TIME_ZONE_EXAMPLE_DAY, 'g'), timeZoneExampleDay());

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vigil-readme-'));
    [apiPort, receiverPort] = [await freePort(), await freePort()];
    env = {
      ...process.env,
      // The stack's own settings: a port and data dir of its own, the API and engine alone.
      VIGIL_PORT: String(apiPort),
      VIGIL_DATA_DIR: dataDir,
      VIGIL_WEB: 'off',
      VIGIL_LOG_LEVEL: 'warn',
      // Nothing leaves the machine: no update check by npm.
      npm_config_update_notifier: 'false',
    };
  });
  afterAll(async () => {
    for (const b of background) await b.stop();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('covers every command in the README by exactly one rule (run, or excluded for a stated reason)', () => {
    const actions = commands.map((c) => ({ line: c.line, ...actionFor(c.line) }));
    const runs = (a: (typeof actions)[number], how?: string) =>
      'run' in a.action && (how === undefined ? a.action.run !== 'cli' : a.action.run === how);
    // "From a terminal": login, send, ls, show, cancel, the filters and bulk jobs, and run, all run.
    expect(actions.filter((a) => runs(a, 'cli')).map((a) => a.line.split(' ').slice(0, 3).join(' '))).toEqual([
      'npx vigil login',
      'npx vigil send',
      'npx vigil send',
      'npx vigil ls',
      'npx vigil show',
      'npx vigil cancel',
      // Find messages, and cancel or redeliver all a filter selects.
      'npx vigil send',
      'npx vigil send',
      'npx vigil ls',
      'npx vigil ls',
      'npx vigil cancel',
      'npx vigil cancel',
      'npx vigil redeliver',
      'npx vigil jobs',
      'npx vigil jobs',
      'npx vigil run',
    ]);
    // The walk-through and the local admin lines are among those run.
    expect(actions.filter((a) => runs(a)).map((a) => a.line.split('\n')[0])).toEqual([
      expect.stringMatching(/^npm install && npm start/),
      expect.stringMatching(/^KEY=vgl_\.\.\./),
      expect.stringMatching(/^SECRET=\$\(curl -sS localhost:4000\/v1\/signing-secret/),
      expect.stringMatching(/^VIGIL_SIGNING_SECRET="\$SECRET" npm run receiver -- 9000$/),
      expect.stringMatching(/^curl -s localhost:4000\/v1\/messages \\$/),
      expect.stringMatching(/^curl -s localhost:4000\/v1\/messages\/msg_01JDX\.\.\.\/attempts/),
      // Time zones: a wall time in Berlin's spring-forward gap.
      expect.stringMatching(/^curl -s localhost:4000\/v1\/messages \\$/),
      // Callbacks and notification endpoints: a message with a callback, an endpoint.
      expect.stringMatching(/^curl -s localhost:4000\/v1\/messages \\$/),
      expect.stringMatching(/^curl -s localhost:4000\/v1\/notification-endpoints \\$/),
      // Flow control: a message that names a flow key with its limits.
      expect.stringMatching(/^curl -s localhost:4000\/v1\/messages \\$/),
      'npm run client:size',
      'npm run admin -- --local tenant create --name acme',
      'npm run admin -- --help',
    ]);
  });

  it('names a reason for every inline command it does not run', () => {
    const inline = [...README.matchAll(/`((?:npm|npx|curl|apt-get|[A-Z_]+=\S+ npm)\b[^`]*)`/g)].map((m) => m[1]!);
    const unexplained = inline.filter((line) => !INLINE_NOT_RUN.some(([pattern]) => pattern.test(line)));

    expect(inline.length).toBeGreaterThan(10);
    expect(unexplained, 'add a rule to INLINE_NOT_RUN, or run the command').toEqual([]);
  });

  it('starts the stack with `npm start`, which prints what the README shows', async () => {
    const runs = (c: Command, how: string) => {
      const { action } = actionFor(c.line);
      return 'run' in action && action.run === how;
    };
    const line = commands.find((c) => runs(c, 'stack'))!.line;
    stack = new Background(line.replace(/^npm install && /, ''), env);
    await stack.until(/API key\s+vgl_\w+/, 90_000);
    vars.DEV_KEY = /API key\s+(vgl_\w+)/.exec(stack.output)![1]!;

    const banner = plainBlocks().find((b) => /^\s*API\s+http/m.test(b.text));
    expect(banner, 'the README shows what npm start prints').toBeDefined();
    const shown = banner!.text.split('\n').filter((l) => l.trim() !== '' && !/^\s*Web app\b/.test(l));
    expect(shown).toHaveLength(3);
    for (const sampleLine of shown) expect(stack.output).toMatch(linePattern(substitute(sampleLine)));
    expect(stack.output, 'no SDK notice ahead of the banner').not.toMatch(/NodeVersionSupportWarning/);
  });

  it('walks through "a webhook 10 seconds from now": signed, delivered on time, its attempt listed', async () => {
    const walk = commands.filter((c) => {
      const { action } = actionFor(c.line);
      return (
        'run' in action &&
        action.run !== 'stack' &&
        action.run !== 'cli' &&
        action.run !== 'check' &&
        !c.line.startsWith('npm run admin')
      );
    });
    for (const command of walk) {
      const line = substitute(command.line);
      const { action } = actionFor(command.line);
      if ('excluded' in action) continue;
      if (action.run === 'background') {
        const started = new Background(line, { ...env, ...vars });
        background.push(started);
        await started.until(/Receiving webhooks on/, 30_000);
        continue;
      }
      if (action.run === 'assign') {
        const name = /^([A-Z_]+)=/.exec(line)![1]!;
        const result = await runLine(`set -e\n${line}\nprintf %s "$${name}"`, { ...env, ...vars });
        expect(result.code, `${line}\n${result.stderr}`).toBe(0);
        vars[name] = result.stdout;
        expect(vars[name], `${name} is set`).not.toBe('');
        continue;
      }
      if (line.includes('/attempts')) {
        // "Ten seconds later the receiver prints the delivery": wait for it, then look.
        const receiver = background[0]!;
        await receiver.until(new RegExp(`${messageId}\\s+attempt 1`), 30_000);
        const sample = plainBlocks().find((b) => /^\d{4}-\d{2}-\d{2}T/.test(b.text))!;
        for (const sampleLine of sample.text.trim().split('\n')) {
          expect(receiver.output).toMatch(linePattern(substitute(sampleLine)));
        }
      }
      let result = await runLine(line, { ...env, ...vars });
      // The attempt is recorded just after the send: give it a moment, as a reader would.
      for (let i = 0; i < 20 && line.includes('/attempts') && !result.stdout.includes('"n":1'); i += 1) {
        await new Promise((r) => setTimeout(r, 250));
        result = await runLine(line, { ...env, ...vars });
      }
      expect(result.code, `${line}\n${result.stdout}${result.stderr}`).toBe(0);
      const output = JSON.parse(result.stdout);
      expect(command.shown, `the README shows what ${line.split('\n')[0]} prints`).toBeDefined();
      expect(shapeMismatches(output, parseSample(substitute(command.shown!)))).toEqual([]);
      if (output.id?.startsWith('msg_')) messageId = output.id;
    }
    expect(messageId).toMatch(/^msg_/);
    expect(vars.SECRET).toMatch(/^whsec_/);
    // npm echoes the receiver's command line (> tsx ... 9000): the secret is not on it.
    expect(background[0]!.output).toMatch(/> tsx libs\/local\/src\/receiver-main\.ts/);
    expect(background[0]!.output, 'the signing secret is printed').not.toContain(vars.SECRET);
  });

  it('runs "From a terminal" as written: login, send --in and --at --tz, ls, show, cancel, filters and bulk jobs, and run with its alerts', async () => {
    const cliHome = await mkdtemp(join(tmpdir(), 'vigil-readme-home-'));
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    // The CLI's own substitutions: the bin npx runs (npm install links it: see the test after
    // this one), a date that stays in the future, and the ids the last send and bulk job printed.
    let lastId = '';
    let lastJob = '';
    const cliLine = (line: string) =>
      substitute(line)
        .replace(/^npx vigil /, 'node libs/client/bin/vigil.mjs ')
        .replace(/2026-12-24T09:00/g, `${tomorrow}T09:00`)
        .replace(/\bmsg_01JDX\.\.\./g, lastId)
        .replace(/\bjob_01JDX\.\.\./g, lastJob);
    /**
     * A printed line as a pattern: linePattern's, and the CLI's `2026-11-23 21:10:00.123Z` times,
     * `2s` durations and `eyJ...` list cursors vary.
     */
    const cliPattern = (line: string) =>
      new RegExp(
        linePattern(line)
          .source.replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\\\.\d{3})?Z/g, '\\d{4}-\\d{2}-\\d{2} [\\d:.]+Z')
          .replace(/after \d+s\b/g, 'after \\d+s')
          .replace(/eyJ\\\.\\\.\\\./g, 'eyJ[\\w-]+'),
      );
    const cliEnv = { ...env, ...vars, HOME: cliHome, XDG_CONFIG_HOME: '', NO_COLOR: '1' };

    try {
      for (const command of commands.filter((c) => {
        const { action } = actionFor(c.line);
        return 'run' in action && action.run === 'cli';
      })) {
        const line = cliLine(command.line);
        const result = await runLine(line, cliEnv);
        const printed = result.stdout + result.stderr;
        expect(result.code, `${line}\n${printed}`).toBe(0);
        for (const shownLine of (command.shown ?? '').split('\n').filter((l) => l.trim() !== '')) {
          expect(printed, line).toMatch(cliPattern(substitute(shownLine)));
        }
        lastId = /^Scheduled (msg_\w+)/.exec(result.stdout)?.[1] ?? lastId;
        lastJob = /^(job_\w{26})\b/.exec(result.stdout)?.[1] ?? lastJob;
      }
      // The stored key is readable by its owner only; the run's alert reached the receiver.
      expect((await stat(join(cliHome, '.config', 'vigil', 'config.json'))).mode & 0o777).toBe(0o600);
      await background[0]!.until(/POST \/task\s+msg_\w+\s+attempt 1/, 30_000);
    } finally {
      await rm(cliHome, { recursive: true, force: true });
    }
  });

  it("has `npx vigil` run this checkout's bin (node_modules/.bin/vigil, linked by npm install)", async () => {
    const result = await runLine('npx --no-install vigil --version', env);

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(ROOT, 'libs/client/package.json'), 'utf8')).version as string,
    );
  });

  it('measures the client as the README prints it (figures in shape: sizes vary with the code)', async () => {
    const checks = commands.filter((c) => {
      const { action } = actionFor(c.line);
      return 'run' in action && action.run === 'check';
    });
    expect(checks.map((c) => c.line)).toEqual(['npm run client:size']);
    for (const check of checks) {
      const result = await runLine(check.line, env);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(check.shown, `the README shows what ${check.line} prints`).toBeDefined();
      for (const sampleLine of check.shown!.split('\n')) {
        const pattern = linePattern(sampleLine).source.replace(/\d+\\\.\d+ KB/g, '[\\d.]+ KB');
        expect(result.stdout).toMatch(new RegExp(pattern));
      }
    }
  });

  it('runs the admin command on the local stack as the README prints it', async () => {
    const [create, help] = commands.filter((c) => c.line.startsWith('npm run admin'));

    const created = await runLine(create!.line, env);
    const helped = await runLine(help!.line, env);

    expect(created.code, created.stdout + created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`Created tenant tnt_\\w+ \\(acme, plan free\\) in local stack`));
    expect(created.stdout).toMatch(/API key key_\w+: vgl_\w+/);
    expect(helped.code, helped.stdout + helped.stderr).toBe(0);
    expect(helped.stdout).toMatch(/--local\b/);
    expect(helped.stdout).toMatch(/--data-dir <dir>/);
  });
});
