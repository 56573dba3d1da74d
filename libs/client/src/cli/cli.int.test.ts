/**
 * The `vigil` CLI as a user runs it: the bin of the package as installed (the bundle, built once
 * here by the package's own build:cli; `e2e/readme.e2e.test.ts` runs this checkout's bin, which
 * compiles the source through tsx at each start) spawned as a process, with a HOME of its own,
 * against a real local stack and a webhook receiver. Everything it uses is its own: the stack and the
 * receiver on free ports, the stack's data dir, HOME and each XDG_CONFIG_HOME made with mkdtemp, and
 * an API that is down a port nothing listens on; so it runs beside any other stack (`npm start` on
 * 4000 included). A second stack for a test is a process of its own: one in this process is refused
 * while this one runs (StackInProcessError), as the handlers' runtime is the process's.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Receiver, ReceivedWebhook } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../../../../test-support/local-stack';
import { startReceiverThread } from '../../../../test-support/receiver-thread';
import type { InstalledClient } from '../../scripts/installed-client';
import { installClient } from '../../scripts/installed-client';

let stack: LocalStack;
let receiver: Receiver;
let home: string;
let installed: InstalledClient;
let vigilBin: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `vigil <args>` in a shell-less spawn, with the test's HOME and only the environment given. */
const start = (args: string[], env: Record<string, string> = {}): ChildProcess =>
  spawn(process.execPath, [vigilBin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const finish = (child: ChildProcess, timeoutMs = 30_000): Promise<Run> =>
  new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

const vigil = (args: string[], env?: Record<string, string>) => finish(start(args, env));
const json = (run: Run) => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};
const bodiesAt = (path: string) => receiver.received.filter((r) => r.path === path);
const bodyOf = (r: ReceivedWebhook) => JSON.parse(r.body) as Record<string, unknown>;

beforeAll(async () => {
  [stack, receiver, installed] = await Promise.all([startTestStack(), startReceiverThread(), installClient()]);
  vigilBin = installed.bin;
  home = await mkdtemp(join(tmpdir(), 'vigil-cli-home-'));
  // Logged in once, as a user would; each test below uses the stored profile.
  const login = await vigil(['login', '--api-key', stack.apiKey, '--api-url', stack.url]);
  expect(login.code, login.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), receiver?.stop()]);
  installed?.remove();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('vigil login', () => {
  it('checks the key with the API and stores it, readable by its owner only', async () => {
    const path = join(home, '.config', 'vigil', 'config.json');
    const stored = JSON.parse(await readFile(path, 'utf8'));

    expect(stored.profiles.default).toEqual({ apiKey: stack.apiKey, apiUrl: stack.url });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, '.config', 'vigil'))).mode & 0o777).toBe(0o700);
  });

  it('keeps profiles side by side and honours XDG_CONFIG_HOME', async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-xdg-'));
    const env = { XDG_CONFIG_HOME: xdg };

    const staging = json(
      await vigil(
        [
          'login',
          '--profile',
          'staging',
          '--api-key',
          stack.apiKey,
          '--api-url',
          stack.url,
          '--notify-url',
          `${receiver.url}/n`,
          '--json',
        ],
        env,
      ),
    );

    expect(staging).toEqual({
      profile: 'staging',
      apiUrl: stack.url,
      notifyUrl: `${receiver.url}/n`,
      path: join(xdg, 'vigil', 'config.json'),
    });
    // Only the staging profile exists there: the default one is "not logged in".
    expect((await vigil(['ls', '--profile', 'staging', '--json'], env)).code).toBe(0);
    const noDefault = await vigil(['ls'], env);
    expect(noDefault.code).toBe(3);
    expect(noDefault.stderr).toBe('vigil: not logged in: run vigil login, or set VIGIL_API_KEY\n');
    await rm(xdg, { recursive: true, force: true });
  });

  it('refuses a wrong key without storing it (exit 3), and says when the API cannot be reached (exit 7)', async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-xdg-'));
    const env = { XDG_CONFIG_HOME: xdg };

    const wrongKey = await vigil(['login', '--api-key', 'vgl_wrong', '--api-url', stack.url], env);
    const noApi = await vigil(['login', '--api-key', stack.apiKey, '--api-url', 'http://127.0.0.1:9'], env);

    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(
      /^vigil: login failed: the API refused --api-key \(401: unknown or revoked\): give a key of the API at http:\/\/.* \(vgl_\.\.\.\), one not revoked\n$/,
    );
    expect(noApi.code).toBe(7);
    // With what Node's fetch keeps in its error's cause (port 9 is one fetch never connects to).
    expect(noApi.stderr).toMatch(
      /^vigil: login failed: cannot reach the Vigil API at http:\/\/127\.0\.0\.1:9 \(.* got no answer: fetch failed \(bad port\)\): check the URL/,
    );
    await expect(stat(join(xdg, 'vigil', 'config.json'))).rejects.toThrow(/ENOENT/);
    await rm(xdg, { recursive: true, force: true });
  });

  it('says which setting is not a URL (exit 2), and suggests a command on the same line as the typo', async () => {
    const notUrl = await vigil(['ls'], { VIGIL_API_KEY: stack.apiKey, VIGIL_API_URL: 'not-a-url' });
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toBe(
      'vigil: VIGIL_API_URL "not-a-url" is not an http(s) URL: set it to e.g. http://127.0.0.1:4000\n',
    );
    const typo = await vigil(['snd'], {});
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("vigil: unknown command 'snd' (Did you mean send?): see vigil --help\n");
  });

  it('asks for the key (not echoed), the URL and a notify URL on a terminal', async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-xdg-'));
    // A real pseudo-terminal (util-linux script), as a person at a terminal has.
    const child = spawn('script', ['-qec', `exec ${process.execPath} ${vigilBin} login --profile tty`, '/dev/null'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        XDG_CONFIG_HOME: xdg,
        TERM: 'dumb',
      } as unknown as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const done = finish(child);
    const answer = async (prompt: string, text: string) => {
      await expect.poll(() => seen, { timeout: 10_000 }).toContain(prompt);
      child.stdin!.write(`${text}\r`);
    };

    await answer('API key (vgl_...): ', stack.apiKey);
    await answer('API URL [http://localhost:4000]: ', stack.url);
    await answer('Default notify URL for vigil run (optional): ', `${receiver.url}/tty`);
    const run = await done;

    expect(run.code, seen).toBe(0);
    expect(seen).not.toContain(stack.apiKey);
    expect(seen).toContain(`Logged in to ${stack.url} (profile tty); saved in ${xdg}/vigil/config.json`);
    const stored = JSON.parse(await readFile(join(xdg, 'vigil', 'config.json'), 'utf8'));
    expect(stored.profiles.tty).toEqual({ apiKey: stack.apiKey, apiUrl: stack.url, notifyUrl: `${receiver.url}/tty` });
    await rm(xdg, { recursive: true, force: true });
  });

  it('lets VIGIL_API_KEY override the stored key', async () => {
    const run = await vigil(['ls'], { VIGIL_API_KEY: 'vgl_not_a_key' });

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^vigil: the API refused the key in VIGIL_API_KEY \(401: unknown or revoked\): set VIGIL_API_KEY/,
    );
  });
});

describe('vigil send, ls, show', () => {
  it('schedules --in 2s with a body from a file and a header, delivered two seconds later', async () => {
    const file = join(home, 'payload.json');
    await writeFile(file, JSON.stringify({ invoiceId: 'inv_42' }));
    const before = Date.now();

    const message = json(
      await vigil([
        'send',
        `${receiver.url}/file`,
        '--in',
        '2s',
        '--data',
        `@${file}`,
        '--header',
        'x-kind: invoice',
        '--json',
      ]),
    );
    const [delivered] = await receiver
      .waitFor(() => bodiesAt('/file').length === 1, 10_000)
      .then(() => bodiesAt('/file'));

    expect(message).toMatchObject({ status: 'queued', url: `${receiver.url}/file`, body: { invoiceId: 'inv_42' } });
    expect(Date.parse(message.sendAt) - before).toBeGreaterThanOrEqual(2_000);
    expect(delivered!.arrivedAt).toBeGreaterThanOrEqual(Date.parse(message.sendAt));
    expect(bodyOf(delivered!)).toEqual({ invoiceId: 'inv_42' });
    expect(delivered!.headers['x-kind']).toBe('invoice');
  });

  it('sends an inline body at once and prints one human line', async () => {
    const run = await vigil(['send', `${receiver.url}/inline`, '--data', '{"n":1}', '--retries', '2']);
    await receiver.waitFor(() => bodiesAt('/inline').length === 1, 10_000);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Scheduled msg_\\w{26} for \\d{4}-\\d{2}-\\d{2} [\\d:.]+Z \\(now\\) → POST ${receiver.url}/inline\\n$`,
      ),
    );
    expect(bodyOf(bodiesAt('/inline')[0]!)).toEqual({ n: 1 });
  });

  it('sends --data as typed: the receiver gets "b" before "1", the escape and the 20-digit id as written', async () => {
    const typed = '{"b":1,"1":2,"name":"caf\\u00e9","id":12345678901234567890,"a":1,"a":2}';
    const file = join(home, 'typed.json');
    await writeFile(file, `{\n  "b": 1,\n  "1": 2\n}\n`);

    const inline = await vigil(['send', `${receiver.url}/typed`, '--data', typed]);
    const fromFile = await vigil(['send', `${receiver.url}/typed-file`, '--data', `@${file}`]);
    await receiver.waitFor(() => bodiesAt('/typed').length === 1 && bodiesAt('/typed-file').length === 1, 10_000);

    expect(inline.code, inline.stderr).toBe(0);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(bodiesAt('/typed')[0]!.body).toBe(typed);
    // The whitespace between tokens is dropped, as the API sends every JSON body; the order stays.
    expect(bodiesAt('/typed-file')[0]!.body).toBe('{"b":1,"1":2}');
  });

  it('schedules --at an instant with an offset', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const text = `${at.toISOString().slice(0, 19)}+00:00`;

    const message = json(await vigil(['send', `${receiver.url}/at`, '--at', text, '--json']));

    expect(message.sendAt).toBe(`${at.toISOString().slice(0, 19)}.000Z`);
    expect(message.status).toBe('scheduled');
  });

  it('schedules --at a wall time in the --tz zone, which the API resolves and keeps', async () => {
    // An hour from now, as a Kolkata clock shows it (UTC+05:30 all year).
    const due = new Date(Math.floor((Date.now() + 3_600_000) / 1000) * 1000);
    const wall = new Date(due.getTime() + 5.5 * 3_600_000).toISOString().slice(0, 19);

    const message = json(await vigil(['send', `${receiver.url}/tz`, '--at', wall, '--tz', 'Asia/Kolkata', '--json']));
    const human = await vigil([
      'send',
      `${receiver.url}/tz`,
      '--at',
      wall.slice(0, 16).replace('T', ' '),
      '--tz',
      'Asia/Kolkata',
    ]);
    const unknownZone = await vigil(['send', `${receiver.url}/tz`, '--at', wall, '--tz', 'Mars/Olympus']);

    expect(message).toMatchObject({
      sendAt: due.toISOString(),
      timezone: 'Asia/Kolkata',
      localSendAt: `${wall}.000+05:30`,
    });
    expect(human.stdout).toContain(`, ${wall.replace('T', ' ').slice(0, 16)}:00+05:30 Asia/Kolkata) → POST `);
    expect(unknownZone).toMatchObject({
      code: 2,
      stderr: `vigil: --tz "Mars/Olympus" is not a time zone: give an IANA name such as Europe/Berlin, Asia/Kolkata or UTC\n`,
    });
  });

  it("reads a wall time without --tz in this machine's zone (TZ)", async () => {
    const due = new Date(Math.floor((Date.now() + 7_200_000) / 1000) * 1000);
    const wall = new Date(due.getTime() - 5 * 3_600_000).toISOString().slice(0, 19);

    const message = json(await vigil(['send', `${receiver.url}/tz`, '--at', wall, '--json'], { TZ: 'Etc/GMT+5' }));

    expect(message).toMatchObject({ sendAt: due.toISOString(), timezone: 'Etc/GMT+5' });
  });

  it('reads a wall time in the zone of a TZ file, and refuses one when TZ names no zone, rather than read it as UTC', async () => {
    const due = new Date(Math.floor((Date.now() + 7_200_000) / 1000) * 1000);
    const wall = new Date(due.getTime() + 5.5 * 3_600_000).toISOString().slice(0, 19);
    const send = (TZ: string, ...more: string[]) =>
      vigil(['send', `${receiver.url}/tz-env`, '--at', wall, ...more], { TZ });

    const fromFile = json(await send('/usr/share/zoneinfo/Asia/Kolkata', '--json'));
    // A POSIX rule the shell reads as New York's time: Node's would be UTC, five hours early.
    const posix = await send('EST5EDT,M3.2.0,M11.1.0');

    expect(fromFile).toMatchObject({ sendAt: due.toISOString(), timezone: 'Asia/Kolkata' });
    expect(posix.code).toBe(2);
    expect(posix.stderr).toMatch(
      /^vigil: --at "[^"]+" is a wall time, and this machine's time zone has no IANA name here/,
    );
    expect(json(await vigil(['ls', '--url-prefix', `${receiver.url}/tz-env`, '--json']))).toHaveLength(1);
  });

  it('says a send run again with its --idempotency-key is the message the first run made, and makes no second', async () => {
    const argv = [
      'send',
      `${receiver.url}/keyed`,
      '--in',
      '1h',
      '--label',
      'cli-keyed',
      '--idempotency-key',
      'cli-send-1',
    ];
    const first = await vigil(argv);
    const again = await vigil(argv);

    const [id] = /^Scheduled (msg_\w{26}) /.exec(first.stdout)?.slice(1) ?? [];
    expect(id, first.stdout + first.stderr).toBeDefined();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `^Already scheduled by an earlier run with this --idempotency-key: ${id} for \\S+ \\S+Z \\(in [^)]+\\) → POST ${receiver.url}/keyed\n$`,
      ),
    );
    const listed = json(await vigil(['ls', '--label', 'cli-keyed', '--json'])) as Array<{ id: string }>;
    expect(listed.map((m) => m.id)).toEqual([id]);
  });

  it('lists messages newest first, as a table or JSON, filtered by status', async () => {
    const scheduled = json(await vigil(['send', `${receiver.url}/later`, '--in', '1h', '--json']));

    const all = json(await vigil(['ls', '--json', '--limit', '3']));
    const onlyScheduled = json(await vigil(['ls', '--status', 'scheduled', '--json']));
    const table = await vigil(['ls', '--limit', '2']);

    expect(all).toHaveLength(3);
    expect(all[0].id).toBe(scheduled.id);
    expect(onlyScheduled.every((m: { status: string }) => m.status === 'scheduled')).toBe(true);
    expect(onlyScheduled.map((m: { id: string }) => m.id)).toContain(scheduled.id);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+SEND AT\s+ATTEMPTS\s+LAST\s+URL$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${scheduled.id}\\s+scheduled\\s+\\S+ \\S+Z\\s+0/8\\s+-\\s+${receiver.url}/later$`),
    );
    expect(table.stderr).toMatch(/^next page: vigil ls --limit 2 --cursor \S+\n$/);
  });

  it('pages on from stdout alone with --json --with-cursors: the next page by the cursor it printed', async () => {
    const older = json(await vigil(['send', `${receiver.url}/paged`, '--in', '1h', '--label', 'cli-paged', '--json']));
    const newer = json(await vigil(['send', `${receiver.url}/paged`, '--in', '1h', '--label', 'cli-paged', '--json']));

    const first = json(await vigil(['ls', '--label', 'cli-paged', '--limit', '1', '--json', '--with-cursors']));
    const second = json(
      await vigil([
        'ls',
        '--label',
        'cli-paged',
        '--limit',
        '1',
        '--json',
        '--with-cursors',
        '--cursor',
        first.nextCursor,
      ]),
    );

    expect(first.items.map((m: { id: string }) => m.id)).toEqual([newer.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(second.items.map((m: { id: string }) => m.id)).toEqual([older.id]);
  });

  it('colours statuses only when asked to or on a terminal, never in JSON', async () => {
    json(await vigil(['send', `${receiver.url}/colour`, '--in', '1h', '--json']));
    const piped = await vigil(['ls', '--limit', '1']);
    const forced = await vigil(['ls', '--limit', '1'], { FORCE_COLOR: '1' });
    const forcedJson = await vigil(['ls', '--limit', '1', '--json'], { FORCE_COLOR: '1' });

    expect(piped.stdout).not.toContain('\x1b[');
    expect(forced.stdout).toContain('\x1b[1mID');
    expect(forced.stdout).toContain('\x1b[36mscheduled\x1b[39m');
    expect(forcedJson.stdout).not.toContain('\x1b[');
  });

  it('shows a message and its attempts as a timeline, or as JSON', async () => {
    const message = json(await vigil(['send', `${receiver.url}/shown`, '--data', 'hello', '--json']));
    await receiver.waitFor(() => bodiesAt('/shown').length === 1, 10_000);
    await expect
      .poll(async () => json(await vigil(['show', message.id, '--json'])).message.status, { timeout: 5_000 })
      .toBe('delivered');

    const shown = json(await vigil(['show', message.id, '--json']));
    const human = await vigil(['show', message.id]);

    expect(shown.attempts.items).toEqual([expect.objectContaining({ n: 1, statusCode: 200 })]);
    // The body as it is sent, beside the API's message.
    expect(shown.body).toBe('hello');
    expect(human.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        `${message.id}  delivered`,
        `  url      POST ${receiver.url}/shown`,
        '  body     hello',
        expect.stringMatching(/^ {2}\S+ \S+Z {2}created$/),
        expect.stringMatching(/^ {2}\S+ \S+Z {2}due$/),
        expect.stringMatching(/^ {2}\S+ \S+Z {2}attempt 1 {2}HTTP 200 {2}\d+ ms, \d+ ms late {2}"ok"$/),
        expect.stringMatching(/^ {2}\S+ \S+Z {2}delivered$/),
      ]),
    );
  });
});

describe('vigil cancel, redeliver', () => {
  it('cancels several messages at once, and says of one cancelled before that it was', async () => {
    const a = json(await vigil(['send', `${receiver.url}/c`, '--in', '1h', '--json']));
    const b = json(await vigil(['send', `${receiver.url}/c`, '--in', '10m', '--json']));

    const run = await vigil(['cancel', a.id, b.id]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${a.id}  cancelled\n${b.id}  cancelled\n`);
    const api = apiClient(stack.url, stack.apiKey);
    expect((await api.get(`/v1/messages/${a.id}`)).json.status).toBe('cancelled');
    // Cancelled again: the API answers as it did, and vigil says it was so already.
    const again = await vigil(['cancel', a.id]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${a.id}  cancelled already\n`);
  });

  it('redelivers a delivered message, and refuses to cancel it (exit 5)', async () => {
    const message = json(await vigil(['send', `${receiver.url}/again`, '--json']));
    await receiver.waitFor(() => bodiesAt('/again').length === 1, 10_000);
    await expect
      .poll(async () => json(await vigil(['show', message.id, '--json'])).message.status, { timeout: 5_000 })
      .toBe('delivered');

    const cancel = await vigil(['cancel', message.id]);
    const redeliver = json(await vigil(['redeliver', message.id, '--json']));
    await receiver.waitFor(() => bodiesAt('/again').length === 2, 10_000);

    expect(cancel.code).toBe(5);
    expect(cancel.stderr).toBe(`vigil: Message ${message.id} is delivered and can no longer be cancelled.\n`);
    expect(redeliver).toEqual([expect.objectContaining({ id: message.id, status: 'queued' })]);
    expect(bodiesAt('/again')[1]!.headers['vigil-attempt']).toBe('2');
    // Listed with its attempts across both rounds, not as "2/1" of a round's most.
    await expect
      .poll(async () => json(await vigil(['show', message.id, '--json'])).message.status, { timeout: 5_000 })
      .toBe('delivered');
    const row = (await vigil(['ls'])).stdout.split('\n').find((line) => line.startsWith(message.id));
    expect(row).toMatch(/ delivered +\S+ \S+ +2 +HTTP 200 /);
  });
});

describe('vigil redeliver --idempotency-key run again', () => {
  it('says the earlier run redelivered the message, or started the job, already, and does nothing again', async () => {
    // Prepare: a delivered message.
    const message = json(await vigil(['send', `${receiver.url}/rerun`, '--json']));
    await receiver.waitFor(() => bodiesAt('/rerun').length === 1, 10_000);
    await expect
      .poll(async () => json(await vigil(['show', message.id, '--json'])).message.status, { timeout: 5_000 })
      .toBe('delivered');

    // Act: each run twice with its key.
    const byId = ['redeliver', message.id, '--idempotency-key', 'cli-rerun-1'];
    const first = await vigil(byId);
    const second = await vigil(byId);
    const asJson = await vigil([...byId, '--json']);
    const bulk = ['redeliver', '--label', 'cli-rerun-none', '--no-wait', '--idempotency-key', 'cli-rerun-2'];
    const started = await vigil(bulk);
    const again = await vigil(bulk);

    // Assess
    expect(first.stdout).toBe(`${message.id}  queued\n`);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      new RegExp(
        `^${message.id}  \\w+, redelivered already by an earlier run with this --idempotency-key: no new round\n$`,
      ),
    );
    expect(json(asJson)).toEqual([expect.objectContaining({ id: message.id })]);
    expect(asJson.stderr).toBe(
      `vigil: ${message.id}: redelivered already by an earlier run with this --idempotency-key: no new round\n`,
    );
    const job = started.stdout.trim();
    expect(started.stderr).toMatch(new RegExp(`^Started ${job} `));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`${job}\n`);
    expect(again.stderr).toMatch(
      new RegExp(`^vigil: already started as ${job} \\(redeliver .*nothing new was started`),
    );
    await receiver.waitFor(() => bodiesAt('/rerun').length === 2, 10_000);
    expect(json(await vigil(['show', message.id, '--json'])).attempts.items).toHaveLength(2);
  });
});

describe('vigil ls --summary of a message moved to another URL after its attempt failed', () => {
  it('counts that attempt where it went, not against the URL the message has now', async () => {
    // Prepare: an attempt refused at a closed port; the retrying message is then moved to the
    // receiver, an hour on (so no attempt goes there before the listing), beside one delivered there.
    const api = apiClient(stack.url, stack.apiKey);
    const oldUrl = 'http://127.0.0.1:1/moved-from';
    const newUrl = `${receiver.url}/moved-to`;
    const moved = json(await vigil(['send', oldUrl, '--retries', '10', '--label', 'cli-moved', '--json']));
    await expect
      .poll(async () => (await api.get(`/v1/messages/${moved.id}`)).json.status, { timeout: 10_000 })
      .toBe('retrying');
    // The test stack retries 400 ms on, doubling: a PATCH that meets the next attempt under way is
    // refused (409, delivering), and is sent again until it meets the message retrying.
    await expect
      .poll(async () => (await api.patch(`/v1/messages/${moved.id}`, { url: newUrl, delay: 3600 })).status, {
        timeout: 15_000,
      })
      .toBe(200);
    json(await vigil(['send', newUrl, '--label', 'cli-moved', '--json']));
    await receiver.waitFor(() => bodiesAt('/moved-to').length === 1, 10_000);

    // Act
    const groups = json(await vigil(['ls', '--summary', '--label', 'cli-moved', '--json']));
    const text = await vigil(['ls', '--summary', '--label', 'cli-moved']);

    // Assess
    expect(groups).toEqual([
      expect.objectContaining({
        url: newUrl,
        count: 2,
        lastAttempts: { 'HTTP 200': 1 },
        lastAttemptsElsewhere: { [`POST ${oldUrl}`]: { 'connection refused': 1 } },
      }),
    ]);
    expect(text.stdout).toContain(`  earlier URL   1 connection refused at POST ${oldUrl}\n`);
  });
});

describe('vigil ls filters, bulk cancel and redeliver, vigil jobs', () => {
  // These tests run the CLI several times each: a minute each on a busy machine.
  const SEVERAL_RUNS_MS = 60_000;

  /** Schedules messages an hour away through the API (one batch), to `paths` with `labels`; their ids, oldest first. */
  const schedule = async (labels: string[], paths: string[]): Promise<string[]> => {
    const api = apiClient(stack.url, stack.apiKey);
    const created = await api.post('/v1/messages/batch', {
      messages: paths.map((path) => ({ url: `${receiver.url}${path}`, delay: 3600, labels })),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    return (created.json.items as Array<{ id: string }>).map((m) => m.id);
  };
  const statusOf = async (id: string) =>
    (await apiClient(stack.url, stack.apiKey).get(`/v1/messages/${id}`)).json.status;
  const idsOf = (run: Run) => (json(run) as Array<{ id: string }>).map((m) => m.id);
  /** The command a "next page:" or "previous page:" line printed, as arguments. */
  const pageCommand = (stderr: string, which: 'next' | 'previous') => {
    const line = new RegExp(`^${which} page: vigil (.*)$`, 'm').exec(stderr);
    expect(line, stderr).not.toBeNull();
    return line![1]!.split(' ');
  };

  it(
    'selects by label, url prefix, statuses and created time, and pages both ways with the cursors it prints',
    async () => {
      const [a0, a1, b0] = await schedule(['cli-find'], ['/find/a', '/find/a', '/find/b']);
      await schedule([], ['/find/a']);
      await apiClient(stack.url, stack.apiKey).delete(`/v1/messages/${a0}`);

      const labelled = idsOf(await vigil(['ls', '--label', 'cli-find', '--json']));
      const underA = idsOf(
        await vigil(['ls', '--label', 'cli-find', '--url-prefix', `${receiver.url}/find/a`, '--json']),
      );
      const cancelled = idsOf(
        await vigil(['ls', '--label', 'cli-find', '--status', 'cancelled,failed', '--created-after', '5m', '--json']),
      );

      expect(labelled).toEqual([b0, a1, a0]);
      expect(underA).toEqual([a1, a0]);
      expect(cancelled).toEqual([a0]);

      // Two at a time: the first page prints the command for the next, which prints the one back.
      const first = await vigil(['ls', '--label', 'cli-find', '--limit', '2']);
      expect(
        first.stdout
          .trimEnd()
          .split('\n')
          .slice(1)
          .map((l) => l.split(/\s+/)[0]),
      ).toEqual([b0, a1]);
      expect(first.stderr).not.toMatch(/^previous page:/m);
      const nextArgs = pageCommand(first.stderr, 'next');
      expect(nextArgs.slice(0, 5)).toEqual(['ls', '--label', 'cli-find', '--limit', '2']);
      const second = await vigil([...nextArgs, '--json']);
      expect(idsOf(second)).toEqual([a0]);
      expect(second.stderr).not.toMatch(/^next page:/m);
      const back = await vigil([...pageCommand(second.stderr, 'previous'), '--json']);
      expect(idsOf(back)).toEqual([b0, a1]);
    },
    SEVERAL_RUNS_MS,
  );

  it(
    'says what is wrong with a filter in the words of its flags (exit 2)',
    async () => {
      const notATime = await vigil(['ls', '--created-after', 'yesterday']);
      const reversed = await vigil([
        'ls',
        '--send-after',
        '2026-12-02T00:00:00Z',
        '--send-before',
        '2026-12-01T00:00:00Z',
      ]);
      const badLabel = await vigil(['ls', '--label', 'no spaces']);
      const both = await vigil(['cancel', 'msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M', '--label', 'x']);
      const neither = await vigil(['redeliver']);

      expect(notATime).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^vigil: --created-after "yesterday" is not a time: write 2026-12-01T09:00:00Z/),
      });
      expect(reversed).toMatchObject({
        code: 2,
        stderr: 'vigil: the API refused the request (422): --send-before: must be after --send-after\n',
      });
      expect(badLabel).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^vigil: the API refused the request \(422\): --label: /),
      });
      expect(both).toMatchObject({ code: 2, stderr: 'vigil: give message ids or filter flags, not both\n' });
      expect(neither).toMatchObject({
        code: 2,
        stderr: 'vigil: vigil redeliver needs message ids or filter flags: e.g. vigil redeliver --label billing\n',
      });
    },
    SEVERAL_RUNS_MS,
  );

  it(
    'cancels every message a filter selects as a bulk job, following it to its end',
    async () => {
      const ids = await schedule(['cli-bulk'], ['/bulk', '/bulk', '/bulk', '/bulk', '/bulk']);
      const [other] = await schedule([], ['/bulk']);

      // A dry run first: it counts what the job would take, and changes nothing.
      const dry = await vigil(['cancel', '--label', 'cli-bulk', '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout.split('\n')[0]).toBe(
        'Dry run, nothing changed: 5 messages match --status scheduled,queued,retrying --label cli-bulk now.',
      );
      expect(dry.stdout.split('\n').filter((line) => line.startsWith('msg_'))).toHaveLength(5);
      for (const id of ids) expect(await statusOf(id)).toBe('scheduled');

      const run = await vigil(['cancel', '--label', 'cli-bulk']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^job_\w{26} {2}done {2}5 cancelled, 0 skipped, 0 failed \(of 5\)\n$/);
      expect(run.stderr).toMatch(/^job_\w{26} {2}running {2}\d+ cancelled/m);
      for (const id of ids) expect(await statusOf(id)).toBe('cancelled');
      expect(await statusOf(other!)).toBe('scheduled');

      // Run again: nothing left to cancel (the default statuses are the waiting ones).
      const again = json(await vigil(['cancel', '--label', 'cli-bulk', '--json']));
      expect(again).toMatchObject({ action: 'cancel', state: 'done', counts: { done: 0, failed: 0 } });
    },
    SEVERAL_RUNS_MS,
  );

  it(
    'starts a job without waiting (--no-wait), and vigil jobs show tells where it stands',
    async () => {
      const ids = await schedule(['cli-nowait'], ['/nowait', '/nowait']);

      const started = await vigil(['cancel', '--label', 'cli-nowait', '--status', 'scheduled', '--no-wait']);
      const jobId = started.stdout.trim();

      expect(started.code, started.stderr).toBe(0);
      expect(jobId).toMatch(/^job_\w{26}$/);
      expect(started.stderr).toBe(
        `Started ${jobId} (cancel --status scheduled --label cli-nowait): follow it with vigil jobs show ${jobId}\n`,
      );
      await expect
        .poll(async () => (await apiClient(stack.url, stack.apiKey).get(`/v1/jobs/${jobId}`)).json.state, {
          timeout: 15_000,
        })
        .toBe('done');
      const shown = await vigil(['jobs', 'show', jobId]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout.split('\n')).toEqual(
        expect.arrayContaining([
          `${jobId}  done`,
          '  action   cancel',
          '  selects  --status scheduled --label cli-nowait',
          '  counts   2 cancelled, 0 skipped, 0 failed (of 2)',
          expect.stringMatching(/^ {2}finished \S+ \S+Z$/),
        ]),
      );
      for (const id of ids) expect(await statusOf(id)).toBe('cancelled');

      // Its id lost (a closed terminal): vigil jobs lists it, the newest.
      const listed = await vigil(['jobs', '--limit', '1']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout.split('\n')[1]).toMatch(
        new RegExp(`^${jobId} +cancel +done +2/0/0 of 2 +\\S+ \\S+Z +--status scheduled --label cli-nowait$`),
      );
      const done = json(await vigil(['jobs', '--state', 'done', '--json'])) as Array<{ id: string }>;
      expect(done.map((job) => job.id)).toContain(jobId);

      const unknown = await vigil(['jobs', 'show', 'job_01JD8X4Q2Z7N5V3K9W6T0RYB1M']);
      const malformed = await vigil(['jobs', 'show', 'job_nope']);
      expect(unknown).toMatchObject({
        code: 4,
        stderr: 'vigil: no job job_01JD8X4Q2Z7N5V3K9W6T0RYB1M: check the id vigil cancel or vigil redeliver printed\n',
      });
      expect(malformed).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^vigil: "job_nope" is not a job id/),
      });
    },
    SEVERAL_RUNS_MS,
  );

  it(
    'pages the jobs on from stdout alone with --json --with-cursors: the next page by the cursor it printed',
    async () => {
      const start = ['cancel', '--label', 'cli-jobs-paged-none', '--no-wait'];
      const older = (await vigil(start)).stdout.trim();
      const newer = (await vigil(start)).stdout.trim();

      const first = json(await vigil(['jobs', '--limit', '1', '--json', '--with-cursors']));
      const second = json(
        await vigil(['jobs', '--limit', '1', '--json', '--with-cursors', '--cursor', first.nextCursor]),
      );

      expect(first.items.map((job: { id: string }) => job.id)).toEqual([newer]);
      expect(first.nextCursor).toEqual(expect.any(String));
      expect(second.items.map((job: { id: string }) => job.id)).toEqual([older]);
    },
    SEVERAL_RUNS_MS,
  );

  it("shows how a failed attempt ended by its kind: a refused connection reads 'connection refused'", async () => {
    // Nothing listens on the discard port of this machine.
    const created = await apiClient(stack.url, stack.apiKey).post('/v1/messages', {
      url: 'http://127.0.0.1:9/refused',
      delay: 0,
      retry: { maxAttempts: 1 },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('failed');

    const row = await vigil(['ls', '--id-contains', id]);
    const shown = await vigil(['show', id]);

    expect(row.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${id}\\s+failed\\s+.*\\s+1/1\\s+connection refused\\s+http://127`),
    );
    expect(shown.stdout).toMatch(/attempt 1 {2}connection refused {2}\d+ ms/);
  });

  it('says in the first line of vigil show when a retrying message tries next, as its timeline ends', async () => {
    // Prepare: an endpoint that answers 503 asking for a minute, so the message waits retrying that long.
    const busy = createServer((_, res) => res.writeHead(503, { 'retry-after': '60' }).end('busy'));
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    let id = '';
    try {
      const created = await apiClient(stack.url, stack.apiKey).post('/v1/messages', {
        url: `http://127.0.0.1:${port}/busy`,
        delay: 0,
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      id = created.json.id as string;
      await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('retrying');

      // Act
      const shown = await vigil(['show', id]);

      // Assess: the same time in the header as at the end of the timeline.
      const next = (await apiClient(stack.url, stack.apiKey).get(`/v1/messages/${id}`)).json.nextAttemptAt as string;
      const at = `${next.slice(0, 10)} ${next.slice(11, 19)}(\\.\\d{3})?Z`;
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout.split('\n')[0]).toMatch(new RegExp(`^${id} {2}retrying, next attempt ${at} \\(in [^)]+\\)$`));
      expect(shown.stdout).toMatch(new RegExp(`\n {2}${at} {2}next attempt \\(in [^)]+\\)\n$`));
    } finally {
      // Cancelled, so its next attempt, a minute on, is no other test's.
      if (id) await apiClient(stack.url, stack.apiKey).delete(`/v1/messages/${id}`);
      busy.close();
    }
  });
});

describe('errors: one line and an exit code', () => {
  it('exits 4 for an unknown message, 2 for a malformed id or a bad flag', async () => {
    const unknown = await vigil(['show', 'msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M']);
    const malformed = await vigil(['cancel', 'msg_nope']);
    const noUnit = await vigil(['send', `${receiver.url}/x`, '--in', '10']);
    const unknownFlag = await vigil(['ls', '--colour']);
    const badStatus = await vigil(['ls', '--status', 'done']);
    const refused = await vigil(['send', 'ftp://example.com/x']);

    expect(unknown).toMatchObject({
      code: 4,
      stderr: 'vigil: no message msg_01JD8X4Q2Z7N5V3K9W6T0RYB1M: check the id with vigil ls\n',
    });
    expect(malformed).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^vigil: "msg_nope" is not a message id/),
    });
    expect(noUnit).toMatchObject({
      code: 2,
      stderr: 'vigil: --in "10" is not a duration: write it like 90s, 10m, 2h, 3d or 1h30m\n',
    });
    expect(unknownFlag).toMatchObject({ code: 2, stderr: expect.stringMatching(/^vigil: unknown option '--colour'/) });
    expect(badStatus).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^vigil: --status done: done is not a status: give a comma list of scheduled, /),
    });
    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^vigil: the API refused the request \(422\): url: /),
    });
    for (const run of [unknown, malformed, noUnit, unknownFlag, badStatus, refused]) {
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stdout).toBe('');
    }
  });
});

describe('vigil tail', () => {
  it('prints each delivery as it happens until Ctrl-C, then exits 0', async () => {
    const child = start(['tail', '--interval', '500ms']);
    const done = finish(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // The first poll takes the baseline: give it a moment before the message exists.
    await new Promise((r) => setTimeout(r, 2_500));

    const message = json(await vigil(['send', `${receiver.url}/tailed`, '--json']));
    await expect.poll(() => stdout, { timeout: 10_000 }).toMatch(message.id);
    child.kill('SIGINT');
    const run = await done;

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `^\\S+ \\S+Z  ${message.id}  attempt 1  HTTP 200  \\d+ ms, \\d+ ms late  \\w+  POST ${receiver.url}/tailed$`,
        'm',
      ),
    );
    expect(run.stderr).toBe('Following deliveries (Ctrl-C to stop)…\n');
  });
});

describe('vigil run', () => {
  it('alerts at the deadline while the command runs, then on completion with its exit code, and exits with it', async () => {
    const started = Date.now();
    const run = await vigil([
      'run',
      '--notify',
      `${receiver.url}/task`,
      '--deadline',
      '1s',
      '--name',
      'build',
      '--',
      'sh',
      '-c',
      'echo compiling; sleep 2; echo broken >&2; exit 3',
    ]);
    await receiver.waitFor(() => bodiesAt('/task').length === 2, 10_000);
    const [deadline, completion] = bodiesAt('/task');

    expect(run.code).toBe(3);
    expect(run.stdout).toBe('compiling\n');
    expect(run.stderr).toMatch(
      /^vigil: deadline alert msg_\w+ at \S+\nbroken\nvigil: build exited 3 after 2s; alert msg_\w+ to http:\S+\n$/,
    );
    expect(bodyOf(deadline!)).toMatchObject({
      event: 'deadline',
      name: 'build',
      deadlineMs: 1000,
      message: 'build still running after 1s',
    });
    expect(deadline!.arrivedAt - started).toBeGreaterThanOrEqual(1_000);
    expect(deadline!.arrivedAt).toBeLessThan(completion!.arrivedAt);
    expect(bodyOf(completion!)).toEqual({
      event: 'completed',
      name: 'build',
      command: "sh -c 'echo compiling; sleep 2; echo broken >&2; exit 3'",
      exitCode: 3,
      signal: null,
      durationMs: expect.any(Number),
      startedAt: expect.any(String),
      endedAt: expect.any(String),
      host: expect.any(String),
      outputTail: 'compiling\nbroken\n',
    });
    expect(bodyOf(completion!).durationMs).toBeGreaterThanOrEqual(2_000);
  });

  it('cancels the deadline alert when the command ends first: it is never delivered', async () => {
    const run = await vigil(['run', '--notify', `${receiver.url}/quick`, '--deadline', '3s', '--', 'true']);
    const alertId = /deadline alert (msg_\w+)/.exec(run.stderr)?.[1];
    await receiver.waitFor(() => bodiesAt('/quick').length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 4_000));

    expect(run.code).toBe(0);
    expect(bodiesAt('/quick').map((r) => bodyOf(r).event)).toEqual(['completed']);
    const api = apiClient(stack.url, stack.apiKey);
    expect((await api.get(`/v1/messages/${alertId}`)).json).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it('forwards a signal to the command and exits 128 + its number, the alert naming the signal', async () => {
    const child = start(['run', '--notify', `${receiver.url}/killed`, '--', 'sh', '-c', 'echo started; exec sleep 30']);
    const done = finish(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // Once the command runs (vigil forwards from the moment it starts it), a supervisor's SIGTERM arrives.
    await expect.poll(() => stdout, { timeout: 15_000 }).toBe('started\n');
    child.kill('SIGTERM');
    const run = await done;
    await receiver.waitFor(() => bodiesAt('/killed').length === 1, 10_000);

    expect(run.code).toBe(143);
    expect(bodyOf(bodiesAt('/killed')[0]!)).toMatchObject({
      exitCode: null,
      signal: 'SIGTERM',
      command: "sh -c 'echo started; exec sleep 30'",
      outputTail: 'started\n',
    });
  });

  it('survives Ctrl-C on a terminal, which stops the command, and still sends the alert (exit 130)', async () => {
    // A real pseudo-terminal: Ctrl-C there signals the whole foreground group, vigil and its command.
    const child = spawn(
      'script',
      [
        '-qec',
        `exec ${process.execPath} ${vigilBin} run --notify ${receiver.url}/ctrl-c -- sh -c 'echo started; exec sleep 30'`,
        '/dev/null',
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb' } as unknown as NodeJS.ProcessEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const done = finish(child);
    await expect.poll(() => seen, { timeout: 15_000 }).toContain('started');

    child.stdin!.write('\x03');
    const run = await done;
    await receiver.waitFor(() => bodiesAt('/ctrl-c').length === 1, 10_000);

    expect(run.code, seen).toBe(130);
    expect(seen).toMatch(/vigil: sh was killed by SIGINT after \d+ ?m?s; alert msg_\w+ to /);
    expect(bodyOf(bodiesAt('/ctrl-c')[0]!)).toMatchObject({ exitCode: null, signal: 'SIGINT' });
  });

  it('lets the command see Ctrl-C once on a terminal (the terminal sends it; vigil does not send a second)', async () => {
    // The command counts the SIGINTs it receives, and reports them a second after the first.
    const script =
      'trap "n=$((n+1))" INT; echo started; while [ "${n:-0}" -lt 1 ]; do sleep 0.1; done; sleep 1; echo "SIGINTs: $n"';
    const child = spawn(
      'script',
      [
        '-qec',
        `exec ${process.execPath} ${vigilBin} run --notify ${receiver.url}/once -- sh -c '${script}'`,
        '/dev/null',
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb' } as unknown as NodeJS.ProcessEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const done = finish(child);
    await expect.poll(() => seen, { timeout: 15_000 }).toContain('started');

    child.stdin!.write('\x03');
    const run = await done;

    expect(run.code, seen).toBe(0);
    expect(seen).toContain('SIGINTs: 1');
  });

  it("uses the profile's notify URL, and exits 127 when the command does not exist", async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-xdg-'));
    const env = { XDG_CONFIG_HOME: xdg };
    json(
      await vigil(
        [
          'login',
          '--api-key',
          stack.apiKey,
          '--api-url',
          stack.url,
          '--notify-url',
          `${receiver.url}/profile`,
          '--json',
        ],
        env,
      ),
    );

    const run = await vigil(['run', '--', 'no-such-command-here'], env);
    await receiver.waitFor(() => bodiesAt('/profile').length === 1, 10_000);

    expect(run.code).toBe(127);
    expect(run.stderr).toMatch(/^vigil: command not found: no-such-command-here$/m);
    expect(bodyOf(bodiesAt('/profile')[0]!)).toMatchObject({ exitCode: 127, name: 'no-such-command-here' });
    await rm(xdg, { recursive: true, force: true });
  });

  it('needs a notify URL (exit 2) and runs nothing without one', async () => {
    const run = await vigil(['run', '--', 'sh', '-c', 'echo ran']);

    expect(run).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'vigil: vigil run needs a URL to notify: give --notify <url>, or store one with vigil login --notify-url <url>\n',
    });
    // One that can never take an alert is refused before the command runs, not after it.
    expect(await vigil(['run', '--notify', 'not-a-url', '--', 'sh', '-c', 'echo ran'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'vigil: --notify "not-a-url" is not an http(s) URL: give --notify https://…, or store one with vigil login --notify-url\n',
    });
  });
});
