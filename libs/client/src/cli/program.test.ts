/**
 * The command line run in-process (runCli), its API an SDK client over a fake fetch: what a user
 * sees on stdout and stderr, and the exit code, for answers a live stack will not give on demand.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Fetch } from '../transport';
import { Vigil } from '../vigil';
import type { Env } from './config';
import { runCli } from './program';
import { sdkApi } from './sdk-api';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  requests: Request[];
}

const MESSAGE = {
  id: 'msg_01JDX0000000000000000000AA',
  url: 'https://x.test/h',
  method: 'POST',
  status: 'scheduled',
  sendAt: '2026-12-24T08:00:00.000Z',
  createdAt: '2026-12-01T08:00:00.000Z',
  updatedAt: '2026-12-01T08:00:00.000Z',
  attempts: 0,
  maxAttempts: 8,
  timeoutMs: 10000,
  headers: {},
  metadata: {},
  labels: [],
};

export const answer = (status: number, body: unknown, type = 'application/json') =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } });

/** `vigil <argv>` with VIGIL_API_KEY and VIGIL_API_URL set (no config file), each request answered by `fetch`. */
export const cli = async (
  argv: string[],
  fetch: Fetch,
  {
    env = {},
    timeoutMs = 1_000,
    now = () => Date.parse('2026-12-01T08:00:00Z'),
    sdk = false,
    slowAnswerNoteMs,
  }: { env?: Env; timeoutMs?: number; now?: () => number; sdk?: boolean; slowAnswerNoteMs?: number } = {},
): Promise<Ran> => {
  let stdout = '';
  let stderr = '';
  const requests: Request[] = [];
  const code = await runCli(argv, {
    env: {
      XDG_CONFIG_HOME: '/nonexistent/vigil-test',
      VIGIL_API_KEY: 'vgl_test',
      VIGIL_API_URL: 'http://api.test',
      ...env,
    },
    streams: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    stdin: Readable.from([]),
    stdinIsTTY: false,
    connect: (credentials) =>
      // `sdk`: the client as the real CLI makes it (its timeout and retries), over the fake fetch.
      sdk
        ? sdkApi(credentials, (request) => {
            requests.push(request.clone());
            return fetch(request);
          })
        : new Vigil({
            baseUrl: credentials.apiUrl,
            apiKey: credentials.apiKey,
            timeoutMs,
            retries: 0,
            fetch: (request) => {
              requests.push(request.clone());
              return fetch(request);
            },
          }),
    now,
    hostname: () => 'test-host',
    ...(slowAnswerNoteMs !== undefined && { slowAnswerNoteMs }),
  });
  return { code, stdout, stderr, requests };
};

describe('vigil send', () => {
  it('says an API that did not answer in time may have scheduled the message, not that the URL is wrong', async () => {
    // Prepare: an API that takes longer than a try may.
    const slow: Fetch = (request) =>
      new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));

    // Act
    const ran = await cli(['send', 'https://x.test/h', '--in', '2h'], slow, { timeoutMs: 50 });

    // Assess
    expect(ran.code).toBe(7);
    expect(ran.stderr).not.toMatch(/check the URL/);
    expect(ran.stderr).toMatch(
      /^vigil: no answer from the Vigil API at http:\/\/api\.test within 50 ms: the message may have been scheduled: check vigil ls/,
    );
    expect(ran.stderr.split('\n')).toHaveLength(2);
  });

  it('stops at once on Ctrl-C while the API has the request (exit 130), saying the message may have been made', async () => {
    // Prepare: an API slower than the 15 s try; Ctrl-C once the request is sent.
    const slow: Fetch = (request) => {
      setImmediate(() => process.emit('SIGINT'));
      return new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));
    };

    // Act
    const ran = await cli(['send', 'https://x.test/h', '--in', '2h'], slow, { timeoutMs: 15_000 });
    const keyed = await cli(['send', 'https://x.test/h', '--idempotency-key', 'k1'], slow, { timeoutMs: 15_000 });

    // Assess
    expect(ran.code).toBe(130);
    expect(ran.stderr).toBe(
      'vigil: stopped before the API answered: the message may have been scheduled: check vigil ls before sending again (or send with --idempotency-key, which is safe to repeat)\n',
    );
    expect(keyed.stderr).toMatch(
      /: send again with the same --idempotency-key \(it will not make a second\), or check vigil ls\n$/,
    );
  });

  it('says a message sent at once is due now, however long the API took to answer', async () => {
    // Prepare: a clock the API's answer takes 1.5 s of; the API makes it due when the request came.
    const clock = { now: Date.parse('2026-12-01T08:00:00Z') };
    const slowAnswer: Fetch = async () => {
      const arrived = new Date(clock.now).toISOString();
      clock.now += 1_500;
      return answer(201, { ...MESSAGE, sendAt: arrived });
    };

    // Act
    const ran = await cli(['send', 'https://x.test/h'], slowAnswer, { now: () => clock.now });

    // Assess
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toMatch(/ for 2026-12-01 08:00:00Z \(now\) → POST /);
  });

  it('sends --idempotency-key as the Idempotency-Key, so a retry of the same send makes no second message', async () => {
    const ran = await cli(['send', 'https://x.test/h', '--idempotency-key', 'invoice-42', '--json'], async () =>
      answer(201, MESSAGE),
    );

    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.requests.map((r) => r.headers.get('idempotency-key'))).toEqual(['invoice-42']);
    expect(await ran.requests[0]!.json()).not.toHaveProperty('idempotencyKey');
  });

  it('says a send run again with its key, answered as a repeat (200), is the message the earlier run made, not a new one', async () => {
    const argv = ['send', 'https://x.test/h', '--in', '23d', '--idempotency-key', 'invoice-42'];
    const first = await cli(argv, async () => answer(201, MESSAGE));
    const again = await cli(argv, async () => answer(200, MESSAGE));
    const sent = await cli(argv, async () =>
      answer(200, { ...MESSAGE, sendAt: '2026-12-01T07:55:00.000Z', status: 'delivered' }),
    );
    const asJson = await cli([...argv, '--json'], async () => answer(200, MESSAGE));

    expect(first.stdout).toBe(`Scheduled ${MESSAGE.id} for 2026-12-24 08:00:00Z (in 23d) → POST https://x.test/h\n`);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toBe(
      `Already scheduled by an earlier run with this --idempotency-key: ${MESSAGE.id} for 2026-12-24 08:00:00Z (in 23d) → POST https://x.test/h\n`,
    );
    expect(sent.stdout).toBe(
      `Already scheduled by an earlier run with this --idempotency-key: ${MESSAGE.id} for 2026-12-01 07:55:00Z (5m ago) → POST https://x.test/h; now delivered\n`,
    );
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual(MESSAGE);
    expect(asJson.stderr).toBe(
      `vigil: already scheduled as ${MESSAGE.id} by an earlier run with this --idempotency-key: nothing new was scheduled\n`,
    );
  });

  it('refuses an --idempotency-key that cannot be sent as a header (exit 2), before any call', async () => {
    const ran = await cli(['send', 'https://x.test/h', '--idempotency-key', 'a\nb'], async () => answer(201, MESSAGE));

    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/^vigil: --idempotency-key: give 1 to 255 printable ASCII characters/);
    expect(ran.requests).toEqual([]);
  });
});

describe('vigil send: what is wrong with a time, in words a person acts on', () => {
  const created = async () => answer(201, MESSAGE);

  it.each([[['--tz', 'Mars/Base']], [['--at', '2026-12-24T09:00', '--tz', 'Mars/Base']]])(
    'names the unknown zone of --tz (%j), before any call',
    async (flags) => {
      const ran = await cli(['send', 'https://x.test/h', ...flags], created);

      expect(ran.code).toBe(2);
      expect(ran.stderr).toBe(
        'vigil: --tz "Mars/Base" is not a time zone: give an IANA name such as Europe/Berlin, Asia/Kolkata or UTC\n',
      );
      expect(ran.requests).toEqual([]);
    },
  );

  it('says --in past a year as at most 365 days (1 year), before any call', async () => {
    const ran = await cli(['send', 'https://x.test/h', '--in', '400d'], created);

    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe('vigil: --in 400d is too far ahead: give at most 365 days (1 year), e.g. --in 365d\n');
    expect(ran.requests).toEqual([]);
  });

  it('sends the zone TZ names (Asia/Kolkata), not the old name Intl reports for it (Asia/Calcutta)', async () => {
    const ran = await cli(['send', 'https://x.test/h', '--at', '2026-12-24T09:00'], created, {
      env: { TZ: 'Asia/Kolkata' },
    });

    expect(ran.code, ran.stderr).toBe(0);
    expect(await ran.requests[0]!.json()).toMatchObject({ sendAt: '2026-12-24T09:00:00', timezone: 'Asia/Kolkata' });
  });
});

describe('an id the API answers 404 for', () => {
  const id = 'msg_01JDX0000000000000000000AA';
  /** An API at http://api.test (no /v1 in its root): 404 for any other path, and for the message. */
  const api: Fetch = async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/v1/messages') return answer(200, { items: [], nextCursor: null, previousCursor: null });
    const route = pathname.startsWith('/v1/v1/');
    return answer(404, {
      type: 'https://vigil.dev/problems/not-found',
      title: route ? 'No such route' : 'Not found',
      status: 404,
      detail: route ? `${pathname} is not a Vigil API route.` : `Message ${id} does not exist.`,
    });
  };

  it('is no such message when the API is where the URL says', async () => {
    const ran = await cli(['show', id], api);

    expect(ran.code).toBe(4);
    expect(ran.stderr).toBe(`vigil: no message ${id}: check the id with vigil ls\n`);
  });

  it('is a wrong API URL, not a wrong id, when the URL has /v1 in it (every route is a 404 then)', async () => {
    for (const command of [
      ['show', id],
      ['cancel', id],
      ['jobs', 'show', 'job_01JDX0000000000000000000AA'],
    ]) {
      const ran = await cli(command, api, { env: { VIGIL_API_URL: 'http://api.test/v1' } });

      expect(ran.code).toBe(4);
      expect(ran.stderr).toMatch(
        /^vigil: not found \(\/v1\/v1\/.* is not a Vigil API route\.\): check the API URL http:\/\/api\.test\/v1: the API's root, without \/v1/,
      );
      expect(ran.stderr).not.toMatch(/no (message|job)/);
    }
  });

  it('is a wrong API URL at once when the API says no route has the path (no-such-route): no listing is asked', async () => {
    const noRoute: Fetch = async (request) =>
      answer(404, {
        type: 'https://vigil.dev/problems/no-such-route',
        title: 'No such route',
        status: 404,
        detail: `${new URL(request.url).pathname} is not a Vigil API route.`,
      });

    const ran = await cli(['show', id], noRoute, { env: { VIGIL_API_URL: 'http://api.test/v1' } });

    expect(ran.code).toBe(4);
    expect(ran.stderr).toMatch(
      /^vigil: not found \(\/v1\/v1\/messages\/.* is not a Vigil API route\.\): check the API URL/,
    );
    const paths = ran.requests.map((r) => new URL(r.url).pathname);
    expect(paths).toContain(`/v1/v1/messages/${id}`);
    expect(paths).not.toContain('/v1/v1/messages');
  });
});

describe('a key the API refuses', () => {
  const refused: Fetch = async () =>
    answer(401, {
      type: 'https://vigil.dev/problems/unauthorized',
      title: 'Missing or invalid API key',
      status: 401,
      detail: 'Send a valid API key as Authorization: Bearer vgl_...',
    });

  it('is named as VIGIL_API_KEY when that set it: vigil login would not help, the variable overrides the profile', async () => {
    const ran = await cli(['ls'], refused);

    expect(ran.code).toBe(3);
    expect(ran.stderr).toBe(
      'vigil: the API refused the key in VIGIL_API_KEY (401: unknown or revoked): set VIGIL_API_KEY to a valid key (it overrides the stored profile), or unset it\n',
    );
  });

  it("is named as the profile's when the profile set it, with the login that replaces it", async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-profile-'));
    await mkdir(join(xdg, 'vigil'));
    await writeFile(
      join(xdg, 'vigil', 'config.json'),
      JSON.stringify({ profiles: { staging: { apiKey: 'vgl_old', apiUrl: 'http://api.test' } } }),
    );

    const ran = await cli(['ls', '--profile', 'staging'], refused, {
      env: { XDG_CONFIG_HOME: xdg, VIGIL_API_KEY: '', VIGIL_API_URL: '' },
    });
    await rm(xdg, { recursive: true, force: true });

    expect(ran.code).toBe(3);
    expect(ran.stderr).toBe(
      'vigil: the API refused the key of profile staging (401: unknown or revoked): run vigil login --profile staging with a valid key\n',
    );
  });
});

describe('a read the API did not answer in time', () => {
  it('says to try again later, not that it "may have been done all the same"', async () => {
    const slow: Fetch = (request) =>
      new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));

    const ran = await cli(['show', 'msg_01JDX0000000000000000000AA'], slow, { timeoutMs: 50 });

    expect(ran.code).toBe(7);
    expect(ran.stderr).toBe(
      'vigil: no answer from the Vigil API at http://api.test within 50 ms: try again later; if it persists, check that the API is running and its URL (vigil login --api-url, or VIGIL_API_URL)\n',
    );
  });
});

describe('a command line commander refuses', () => {
  it('points to the help of the command it is for, not only to vigil --help', async () => {
    const none: Fetch = async () => answer(200, {});

    expect((await cli(['send'], none)).stderr).toBe("vigil: missing required argument 'url': see vigil send --help\n");
    expect((await cli(['jobs', 'show'], none)).stderr).toBe(
      "vigil: missing required argument 'id': see vigil jobs show --help\n",
    );
    expect((await cli(['sned'], none)).stderr).toBe(
      "vigil: unknown command 'sned' (Did you mean send?): see vigil --help\n",
    );
  });

  it('names an unknown --status and the statuses there are', async () => {
    const ran = await cli(['ls', '--status', 'done'], async () => answer(200, {}));

    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(
      'vigil: --status done: done is not a status: give a comma list of scheduled, queued, delivering, delivered, retrying, failed, cancelled\n',
    );
    expect(ran.requests).toEqual([]);
  });
});

describe('an id of the other kind', () => {
  const none: Fetch = async () => answer(200, {});
  const job = 'job_01JDX0000000000000000000AA';
  const message = 'msg_01JDX0000000000000000000AA';

  it('says a job id given to vigil show is a job, and where to see it (before any call)', async () => {
    const ran = await cli(['show', job], none);

    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(`vigil: ${job} is a job id, not a message id: see the job with vigil jobs show ${job}\n`);
    expect(ran.requests).toEqual([]);
  });

  it('says a message id given to vigil jobs show is a message, and where to see it', async () => {
    const ran = await cli(['jobs', 'show', message], none);

    expect(ran.stderr).toBe(
      `vigil: ${message} is a message id, not a job id: see the message with vigil show ${message}\n`,
    );
  });

  it('says an id in small letters is not one, as ids are written in capitals', async () => {
    const ran = await cli(['show', message.toLowerCase()], none);

    expect(ran.stderr).toMatch(/is not a message id \(msg_ and 26 capital letters and digits\)/);
  });
});

describe('an API slow to answer', () => {
  it('says once that it still waits, and that Ctrl-C stops it, then prints the answer', async () => {
    const page = { items: [], nextCursor: null, previousCursor: null };
    const slow: Fetch = () => new Promise((done) => setTimeout(() => done(answer(200, page)), 150));

    const ls = await cli(['ls', '--json'], slow, { slowAnswerNoteMs: 50 });
    const fast = await cli(['ls', '--json'], async () => answer(200, page), { slowAnswerNoteMs: 50 });

    expect(ls).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(ls.stderr).toBe(
      'vigil: no answer yet from the Vigil API at http://api.test after 50 ms; still waiting (Ctrl-C to stop)\n',
    );
    expect(fast.stderr).toBe('');
  });
});

describe('a 429 whose Retry-After is long', () => {
  it('is told at once with when to try again (exit 6), not waited out in silence', async () => {
    const limited: Fetch = async () =>
      new Response(
        JSON.stringify({
          type: 'https://vigil.dev/problems/too-many-jobs',
          title: 'x',
          status: 429,
          detail: 'Too many jobs.',
        }),
        { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': '30' } },
      );

    const ran = await cli(['ls'], limited, { sdk: true });

    expect(ran.code).toBe(6);
    expect(ran.stderr).toBe('vigil: Too many jobs. (429): try again in 30s\n');
    expect(ran.requests).toHaveLength(1);
  });

  it("is waited out when it asks a second, as the plan's rate does", async () => {
    let calls = 0;
    const once: Fetch = async () =>
      ++calls === 1
        ? new Response('{"type":"https://vigil.dev/problems/rate-limited","title":"x","status":429}', {
            status: 429,
            headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
          })
        : answer(200, { items: [], nextCursor: null, previousCursor: null });

    const ran = await cli(['ls', '--json'], once, { sdk: true });

    expect(ran).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
    expect(ran.requests).toHaveLength(2);
  });
});

describe('a flag given twice', () => {
  const page = { items: [MESSAGE], nextCursor: null, previousCursor: null };

  it('refuses one that takes a value (exit 2) before any call, a bulk cancel by two labels included', async () => {
    const cancel = await cli(['cancel', '--label', 'billing', '--label', 'eu'], async () => answer(202, {}));
    const status = await cli(['ls', '--status', 'failed', '--status', 'retrying'], async () => answer(200, page));
    const key = await cli(['login', '--api-key', 'vgl_secret1', '--api-key', 'vgl_secret2'], async () =>
      answer(200, page),
    );

    expect(cancel).toMatchObject({ code: 2, stdout: '', requests: [] });
    expect(cancel.stderr).toBe('vigil: --label given twice: it takes one value: give it once\n');
    expect(status).toMatchObject({ code: 2, requests: [] });
    expect(status.stderr).toBe(
      'vigil: --status given twice: it takes one value: give several as one comma list, --status failed,retrying\n',
    );
    expect(key.code).toBe(2);
    expect(key.stderr).not.toMatch(/secret/);
  });

  it('takes a switch given twice as given once, and repeats the flags whose help says so', async () => {
    const ls = await cli(['ls', '--json', '--with-cursors', '--with-cursors'], async () => answer(200, page));
    const send = await cli(
      ['send', 'https://x.test/h', '--header', 'x-a:1', '--header', 'x-b:2', '--label', 'a', '--label', 'b'],
      async () => answer(201, MESSAGE),
    );

    expect(ls).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ls.stdout)).toEqual(page);
    expect(send).toMatchObject({ code: 0, stderr: '' });
    expect(await send.requests[0]!.json()).toMatchObject({ headers: { 'x-a': '1', 'x-b': '2' }, labels: ['a', 'b'] });
  });

  it('says the rule in vigil --help', async () => {
    const help = await cli(['--help'], async () => answer(200, {}));

    expect(help.stdout).toMatch(
      /Flags given twice:\n +a switch \(--json\) counts once; a flag that takes a value is refused \(exit 2\)/,
    );
  });
});

describe('vigil login on a terminal: Ctrl-C at a question', () => {
  it('stops there (exit 130), saying nothing was stored, as Ctrl-C elsewhere', async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-login-'));
    const stdin = new PassThrough();
    let stderr = '';
    try {
      const running = runCli(['login'], {
        env: { XDG_CONFIG_HOME: xdg },
        streams: { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } },
        stdin,
        stdinIsTTY: true,
        connect: () => {
          throw new Error('no call is made');
        },
        now: () => 0,
        hostname: () => 'test-host',
      });
      await vi.waitFor(() => expect(stderr).toContain('API key (vgl_...): '));
      stdin.write('\x03');

      expect(await running).toBe(130);
      expect(stderr).toBe('API key (vgl_...): \nvigil: login stopped at its questions: nothing was stored\n');
      await expect(readdir(xdg)).resolves.toEqual([]);
    } finally {
      await rm(xdg, { recursive: true, force: true });
    }
  });
});

describe('an option named as the API names its field', () => {
  it('names the flag that sets it on this command, and nothing where the command has none', async () => {
    const send = await cli(['send', 'https://x.test/h', '--body', '@big.json'], async () => answer(201, MESSAGE));
    const update = await cli(['update', MESSAGE.id, '--delay', '60'], async () => answer(200, MESSAGE));
    const ls = await cli(['ls', '--body', 'x'], async () => answer(200, {}));

    expect(send).toMatchObject({ code: 2, requests: [] });
    expect(send.stderr).toBe("vigil: unknown option '--body' (the API's body is --data here): see vigil send --help\n");
    expect(update.stderr).toBe("vigil: unknown option '--delay': see vigil update --help\n");
    expect(ls.stderr).toBe("vigil: unknown option '--body': see vigil ls --help\n");
  });
});

describe('vigil --help', () => {
  it('shows no "(default: [])" for the options that repeat, and defaults without quotes', async () => {
    const send = await cli(['send', '--help'], async () => answer(200, {}));
    const ls = await cli(['ls', '--help'], async () => answer(200, {}));

    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(/--header <name:value> +a request header \(repeat for more\)\n/);
    expect(send.stdout).not.toMatch(/default: \[\]/);
    expect(ls.stdout).toMatch(/how many, at most 10000 \(default: 20\)/);
  });
});

describe('vigil update: Ctrl-C', () => {
  it('stops at once (exit 130), saying the change may have been made and that running it again is safe', async () => {
    const slow: Fetch = (request) => {
      setImmediate(() => process.emit('SIGINT'));
      return new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));
    };

    const ran = await cli(['update', MESSAGE.id, '--url', 'https://x.test/fixed'], slow, { timeoutMs: 15_000 });

    expect(ran.code).toBe(130);
    expect(ran.stderr).toBe(
      `vigil: stopped before the API answered: the change may have been made: see with vigil show ${MESSAGE.id} (the same vigil update again is safe)\n`,
    );
    expect(ran.requests.map((r) => r.method)).toEqual(['PATCH']);
  });
});

describe('vigil redeliver <id>...: Ctrl-C', () => {
  const ids = Array.from({ length: 6 }, (_, i) => `msg_01JDX0000000000000000000A${i}`);

  it('stops at once (exit 130), saying which ids may have been redelivered and which were not asked', async () => {
    // Prepare: the first answered at once, the others never (an API gone slow); Ctrl-C once five are sent.
    let sent = 0;
    const api: Fetch = (request) => {
      sent += 1;
      if (request.url.includes(ids[0]!))
        return Promise.resolve(answer(202, { ...MESSAGE, id: ids[0], status: 'queued' }));
      if (sent === 5) setImmediate(() => process.emit('SIGINT'));
      return new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));
    };

    // Act
    const ran = await cli(['redeliver', ...ids], api, { timeoutMs: 15_000 });

    // Assess
    expect(ran.code).toBe(130);
    expect(ran.stdout).toBe(`${ids[0]}  queued\n`);
    expect(ran.stderr).toBe(
      `vigil: stopped: ${ids.slice(1, 5).join(' ')} may have been redelivered (Ctrl-C cut the request short: see with vigil show); not asked: ${ids[5]}\n`,
    );
    expect(ran.requests).toHaveLength(5);
  });
});

describe('vigil cancel by id', () => {
  const CANCELLED = { ...MESSAGE, id: 'msg_01JDX0000000000000000000CC', status: 'cancelled' };
  // The API as it is: a cancel of a cancelled message answers 200 with the message, as the cancel that did it.
  const api: Fetch = async (request) => {
    const id = new URL(request.url).pathname.split('/').at(-1)!;
    const cancelled = id === CANCELLED.id || request.method === 'DELETE';
    return answer(200, { ...MESSAGE, id, ...(cancelled && { status: 'cancelled' }) });
  };

  it('says a message was cancelled already, and cancels only the one that was not', async () => {
    const ran = await cli(['cancel', MESSAGE.id, CANCELLED.id], api);

    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(`${MESSAGE.id}  cancelled\n${CANCELLED.id}  cancelled already\n`);
    // Both read, a few ids at a time (so in any order), and only the one not cancelled cancelled.
    expect(ran.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`).sort()).toEqual([
      `DELETE /v1/messages/${MESSAGE.id}`,
      `GET /v1/messages/${MESSAGE.id}`,
      `GET /v1/messages/${CANCELLED.id}`,
    ]);
  });

  it('prints with --json what each cancel answers, as before', async () => {
    const ran = await cli(['cancel', CANCELLED.id, '--json'], api);

    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual([CANCELLED]);
    expect(ran.requests.map((r) => r.method)).toEqual(['DELETE']);
  });
});

describe('vigil redeliver --status failed: Ctrl-C while the job is being started', () => {
  const RUNNING = {
    id: 'job_01JDX0000000000000000000AA',
    action: 'redeliver',
    state: 'running',
    counts: { done: 0, skipped: 0, failed: 0 },
    total: 150,
  };

  it('stops at once (exit 130), the request cut short, and says the job may have started and how to start it only if not', async () => {
    // Prepare: an API that does not answer the start within the CLI's 15 s try; Ctrl-C once it has the request.
    let key: string | null = null;
    const api: Fetch = (request) => {
      key = request.headers.get('idempotency-key');
      setImmediate(() => process.emit('SIGINT'));
      return new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));
    };

    // Act
    const ran = await cli(['redeliver', '--status', 'failed', '--label', 'billing', '--profile', 'ops'], api, {
      timeoutMs: 15_000,
    });

    // Assess
    expect(ran.code).toBe(130);
    expect(ran.stdout).toBe('');
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(ran.stderr).toBe(
      `vigil: stopped before the API said whether the redeliver job started (it may have): vigil jobs lists it; vigil redeliver --status failed --label billing --idempotency-key ${key} --profile ops starts it only if it did not\n`,
    );
    expect(ran.requests.map((r) => r.method)).toEqual(['POST']);
  });

  it('names the given key, and a cancel says running it again is safe', async () => {
    const hang: Fetch = (request) => {
      setImmediate(() => process.emit('SIGINT'));
      return new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));
    };

    const keyed = await cli(['redeliver', '--label', 'billing', '--idempotency-key', 'fix 7'], hang, {
      timeoutMs: 15_000,
    });
    const cancel = await cli(['cancel', '--label', 'billing'], hang, { timeoutMs: 15_000 });

    expect(keyed.code).toBe(130);
    expect(keyed.stderr).toMatch(
      /; vigil redeliver --status delivered,failed --label billing --idempotency-key 'fix 7' starts it only if it did not\n$/,
    );
    expect(cancel.code).toBe(130);
    expect(cancel.stderr).toBe(
      'vigil: stopped before the API said whether the cancel job started (it may have): vigil jobs lists it; the same vigil cancel again is safe (what is cancelled already is skipped)\n',
    );
  });

  it('names the job the API started and says it goes on when Ctrl-C comes as the answer arrives (exit 130)', async () => {
    // Prepare: the start answered; Ctrl-C comes before the first read of the job.
    const api: Fetch = async (request) => {
      if (request.method === 'POST') {
        setTimeout(() => process.emit('SIGINT'), 50);
        return answer(202, RUNNING);
      }
      return answer(200, { ...RUNNING, state: 'done', counts: { done: 150, skipped: 0, failed: 0 } });
    };

    const ran = await cli(['redeliver', '--status', 'failed', '--label', 'billing'], api);

    expect(ran.code).toBe(130);
    expect(ran.stderr).toBe(
      [
        `${RUNNING.id}  running  0 redelivered, 0 skipped, 0 failed (of 150)`,
        `vigil: stopped following ${RUNNING.id}; it goes on: follow it with vigil jobs show ${RUNNING.id}`,
        '',
      ].join('\n'),
    );
    expect(ran.requests.map((r) => r.method)).toEqual(['POST']);
  });
});

describe('vigil redeliver --status failed: a start the API does not answer', () => {
  it('says a start the API did not answer in time may have started all the same, and how to check (exit 7)', async () => {
    // Prepare: an API that never answers the start; no Ctrl-C, the try's 50 ms run out.
    const hang: Fetch = (request) =>
      new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));

    // Act
    const ran = await cli(['redeliver', '--status', 'failed', '--label', 'billing'], hang, { timeoutMs: 50 });

    // Assess
    expect(ran.code).toBe(7);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      'vigil: no answer from the Vigil API at http://api.test within 50 ms: a job may have started all the same: check with vigil ls --status failed --label billing before starting another\n',
    );
  });
});

describe('vigil redeliver --idempotency-key', () => {
  const OTHER = { ...MESSAGE, id: 'msg_01JDX0000000000000000000BB' };
  const JOB = {
    id: 'job_01JDX0000000000000000000AA',
    action: 'redeliver',
    state: 'done',
    counts: { done: 1, skipped: 0, failed: 0 },
    total: 1,
  };

  it("sends each message's own key, <key>:<id>, so a rerun after a timeout redelivers each once", async () => {
    const ran = await cli(
      ['redeliver', MESSAGE.id, OTHER.id, '--idempotency-key', 'fix-42', '--json'],
      async (request) => answer(202, request.url.includes(OTHER.id) ? OTHER : MESSAGE),
    );

    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.requests.map((r) => r.headers.get('idempotency-key'))).toEqual([
      `fix-42:${MESSAGE.id}`,
      `fix-42:${OTHER.id}`,
    ]);
  });

  it('sends a key of its own without one (the client retries with it), and the given key for a bulk redeliver', async () => {
    const plain = await cli(['redeliver', MESSAGE.id, '--json'], async () => answer(202, MESSAGE));
    expect(plain.requests[0]!.headers.get('idempotency-key')).toMatch(/^[\x21-\x7e]{16,}$/);

    const bulk = await cli(
      ['redeliver', '--label', 'billing', '--no-wait', '--idempotency-key', 'fix-43', '--json'],
      async () => answer(202, JOB),
    );
    expect(bulk.stderr).toMatch(/^Started job_/);
    expect(bulk.requests.map((r) => [new URL(r.url).pathname, r.headers.get('idempotency-key')])).toEqual([
      ['/v1/messages/redeliver', 'fix-43'],
    ]);
  });

  it('says a message the key redelivered before, answered as a repeat (200), was redelivered already, not now', async () => {
    const ran = await cli(['redeliver', MESSAGE.id, OTHER.id, '--idempotency-key', 'fix-42'], async (request) =>
      request.url.includes(OTHER.id)
        ? answer(202, { ...OTHER, status: 'queued' })
        : answer(200, { ...MESSAGE, status: 'delivered' }),
    );

    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(
      `${MESSAGE.id}  delivered, redelivered already by an earlier run with this --idempotency-key: no new round\n${OTHER.id}  queued\n`,
    );
  });

  it('with --json prints what each redeliver answered, as before, and notes on stderr the one answered as a repeat', async () => {
    const ran = await cli(
      ['redeliver', MESSAGE.id, OTHER.id, '--idempotency-key', 'fix-42', '--json'],
      async (request) =>
        request.url.includes(OTHER.id)
          ? answer(202, { ...OTHER, status: 'queued' })
          : answer(200, { ...MESSAGE, status: 'delivered' }),
    );

    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual([
      { ...MESSAGE, status: 'delivered' },
      { ...OTHER, status: 'queued' },
    ]);
    expect(ran.stderr).toBe(
      `vigil: ${MESSAGE.id}: redelivered already by an earlier run with this --idempotency-key: no new round\n`,
    );
  });

  it('says a bulk redeliver the key started before is that job, already started, and starts nothing', async () => {
    const noWait = await cli(
      ['redeliver', '--label', 'billing', '--no-wait', '--idempotency-key', 'fix-43'],
      async () => answer(200, JOB),
    );
    const followed = await cli(['redeliver', '--label', 'billing', '--idempotency-key', 'fix-43'], async () =>
      answer(200, JOB),
    );
    const first = await cli(['redeliver', '--label', 'billing', '--no-wait', '--idempotency-key', 'fix-43'], async () =>
      answer(202, { ...JOB, state: 'running' }),
    );

    expect(noWait).toMatchObject({ code: 0, stdout: `${JOB.id}\n` });
    expect(noWait.stderr).toBe(
      `vigil: already started as ${JOB.id} (redeliver --status delivered,failed --label billing) by an earlier run with this --idempotency-key: nothing new was started; follow it with vigil jobs show ${JOB.id}\n`,
    );
    expect(followed.code).toBe(0);
    expect(followed.stderr).toMatch(new RegExp(`^vigil: already started as ${JOB.id} .*; following it\n$`));
    expect(followed.stdout).toBe(`${JOB.id}  done  1 redelivered, 0 skipped, 0 failed (of 1)\n`);
    expect(first.stderr).toMatch(/^Started job_/);
  });

  it('refuses a key that could not be sent, or leaves no room for the id, before any call (exit 2)', async () => {
    for (const key of ['ключ', 'k'.repeat(225)]) {
      const ran = await cli(['redeliver', MESSAGE.id, '--idempotency-key', key], async () => answer(202, MESSAGE));
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/^vigil: --idempotency-key: give 1 to 224 printable ASCII characters/);
      expect(ran.requests).toEqual([]);
    }
  });
});

describe('vigil jobs: the job id lost with a closed terminal, found again', () => {
  const JOB = {
    id: 'job_01JDX0000000000000000000AA',
    action: 'cancel',
    state: 'done',
    selection: { filter: { status: ['scheduled'], urlPrefix: 'https://api.example.com/' } },
    counts: { done: 12, skipped: 3, failed: 0 },
    total: 15,
    createdAt: '2026-12-01T07:57:00.000Z',
    updatedAt: '2026-12-01T07:58:00.000Z',
    finishedAt: '2026-12-01T07:58:00.000Z',
  };
  const RUNNING = {
    ...JOB,
    id: 'job_01JDX0000000000000000000BB',
    action: 'redeliver',
    state: 'running',
    selection: { ids: 40 },
    counts: { done: 10, skipped: 0, failed: 1 },
    total: 40,
    finishedAt: null,
  };

  it('lists them newest first, one line each when piped, and says how to get the next page', async () => {
    const ran = await cli(['jobs', '--state', 'running,done', '--limit', '2'], async () =>
      answer(200, { items: [RUNNING, JOB], nextCursor: 'eyJqIjoiam9iXzAxIn0' }),
    );

    expect(ran.code).toBe(0);
    const query = new URL(ran.requests[0]!.url).searchParams;
    expect(new URL(ran.requests[0]!.url).pathname).toBe('/v1/jobs');
    expect([query.get('state'), query.get('limit')]).toEqual(['running,done', '2']);
    expect(ran.stdout).toBe(
      [
        'ID                              ACTION     STATE    DONE/SKIP/FAIL  CREATED               SELECTS',
        'job_01JDX0000000000000000000BB  redeliver  running  10/0/1 of 40    2026-12-01 07:57:00Z  40 ids',
        'job_01JDX0000000000000000000AA  cancel     done     12/3/0 of 15    2026-12-01 07:57:00Z  --status scheduled --url-prefix https://api.example.com/',
        '',
      ].join('\n'),
    );
    expect(ran.stderr).toBe('next page: vigil jobs --state running,done --limit 2 --cursor eyJqIjoiam9iXzAxIn0\n');
  });

  it('prints the page as JSON with --json, and vigil jobs show --json still prints its one job', async () => {
    const listed = await cli(['jobs', '--json'], async () => answer(200, { items: [JOB], nextCursor: null }));
    expect(JSON.parse(listed.stdout)).toEqual([JOB]);
    expect(listed.stderr).toBe('');

    const shown = await cli(['jobs', 'show', JOB.id, '--json'], async () => answer(200, JOB));
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(JOB);
    expect(new URL(shown.requests[0]!.url).pathname).toBe(`/v1/jobs/${JOB.id}`);
  });

  it('gives a script that pipes stdout the cursor with --with-cursors, as the API pages them and vigil ls gives it', async () => {
    const ran = await cli(['jobs', '--state', 'done', '--limit', '1', '--json', '--with-cursors'], async () =>
      answer(200, { items: [JOB], nextCursor: 'eyJqIjoiam9iXzAxIn0' }),
    );
    const last = await cli(['jobs', '--json', '--with-cursors', '--cursor', 'eyJqIjoiam9iXzAxIn0'], async () =>
      answer(200, { items: [RUNNING], nextCursor: null }),
    );

    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ items: [JOB], nextCursor: 'eyJqIjoiam9iXzAxIn0' });
    expect(ran.stderr).toBe(
      'next page: vigil jobs --state done --limit 1 --json --with-cursors --cursor eyJqIjoiam9iXzAxIn0\n',
    );
    expect(new URL(last.requests[0]!.url).searchParams.get('cursor')).toBe('eyJqIjoiam9iXzAxIn0');
    expect(JSON.parse(last.stdout)).toEqual({ items: [RUNNING], nextCursor: null });
    expect(last.stderr).toBe('');
  });

  it('refuses --with-cursors without --json before any call (exit 2), as vigil ls does', async () => {
    const ran = await cli(['jobs', '--with-cursors'], async () => answer(200, { items: [], nextCursor: null }));

    expect(ran).toMatchObject({ code: 2, requests: [] });
    expect(ran.stderr).toBe('vigil: --with-cursors goes with --json: write vigil jobs --json --with-cursors\n');
  });

  it('says there are none, and refuses a bad --limit before calling and a state the API refuses by its flag', async () => {
    expect((await cli(['jobs'], async () => answer(200, { items: [], nextCursor: null }))).stdout).toBe('No jobs.\n');

    const limit = await cli(['jobs', '--limit', '500'], async () => answer(200, { items: [], nextCursor: null }));
    expect([limit.code, limit.requests.length]).toEqual([2, 0]);
    expect(limit.stderr).toMatch(/--limit 500: give a whole number from 1 to 100/);

    const state = await cli(['jobs', '--state', 'lost'], async () =>
      answer(
        422,
        {
          type: 'https://vigil.dev/problems/validation',
          title: 'Validation failed',
          status: 422,
          detail: 'The request is invalid.',
          errors: [{ path: 'query.state.0', message: 'each state must be one of running, done, failed' }],
        },
        'application/problem+json',
      ),
    );
    expect(state.code).toBe(2);
    expect(state.stderr).toMatch(/--state/);
  });
});

describe('--dry-run: what a bulk action would take, counted, and nothing changed', () => {
  const messageNo = (n: number) => ({ ...MESSAGE, id: `msg_01JDX${String(n).padStart(21, '0')}` });
  /** A listing of `total` messages, pages as asked (limit), with a cursor that is the offset. */
  const listingOf =
    (total: number): Fetch =>
    async (request) => {
      const url = new URL(request.url);
      if (request.method !== 'GET' || url.pathname !== '/v1/messages') return answer(500, {});
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const to = Math.min(total, from + Number(url.searchParams.get('limit')));
      return answer(200, {
        items: Array.from({ length: to - from }, (_, i) => messageNo(from + i)),
        nextCursor: to < total ? String(to) : null,
        previousCursor: null,
      });
    };

  it("counts what vigil cancel's filter selects through the listing, with the job's statuses, shows the newest, and changes nothing", async () => {
    const ran = await cli(['cancel', '--url-prefix', 'https://api.example.com/', '--dry-run'], listingOf(103));

    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(ran.requests).toHaveLength(2);
    const query = new URL(ran.requests[0]!.url).searchParams;
    expect([query.get('status'), query.get('urlPrefix')]).toEqual([
      'scheduled,queued,retrying',
      'https://api.example.com/',
    ]);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'Dry run, nothing changed: 103 messages match --status scheduled,queued,retrying --url-prefix https://api.example.com/ now.',
    );
    expect(lines.slice(2).map((line) => line.split(' ')[0])).toEqual([0, 1, 2, 3, 4].map((n) => messageNo(n).id));
    expect(ran.stderr).toMatch(/^\(the newest 5 shown: vigil ls --status scheduled,queued,retrying --url-prefix/m);
    expect(ran.stderr).toMatch(/^vigil cancel --status .* starts a bulk job over them; .* may fall in or out\.$/m);
  });

  it('stops counting at 10,000: "10,000 or more", one message past the bound read to tell', async () => {
    const ran = await cli(['redeliver', '--status', 'failed', '--dry-run'], listingOf(25_000));

    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.split('\n')[0]).toBe(
      'Dry run, nothing changed: 10,000 or more messages match --status failed now.',
    );
    expect(ran.requests).toHaveLength(101);
    expect(new URL(ran.requests.at(-1)!.url).searchParams.get('limit')).toBe('1');

    const exactly = await cli(['redeliver', '--status', 'failed', '--dry-run', '--json'], listingOf(10_000));
    expect(JSON.parse(exactly.stdout)).toMatchObject({
      dryRun: true,
      command: 'redeliver',
      filter: { status: ['failed'] },
      count: 10_000,
      more: false,
      partial: false,
    });
  });

  it('stops after 500 pages of a listing few messages match, and says the count is a floor', async () => {
    // Pages of one match each, as the API answers a filter that matches one stored message in a thousand.
    const sparse: Fetch = async (request) => {
      const at = Number(new URL(request.url).searchParams.get('cursor') ?? 0);
      return answer(200, { items: [messageNo(at)], nextCursor: String(at + 1), previousCursor: null });
    };
    const ran = await cli(['cancel', '--label', 'rare', '--dry-run'], sparse);

    expect(ran.requests).toHaveLength(500);
    expect(ran.stdout.split('\n')[0]).toBe(
      'Dry run, nothing changed: at least 500 messages match --status scheduled,queued,retrying --label rare now.',
    );
    expect(ran.stderr).toMatch(/^\(counted in 500 pages of the listing, which few messages match: more may\)$/m);
  });

  it("counts vigil retry's retrying messages as JSON, and says so when none match", async () => {
    const ran = await cli(['retry', '--label', 'billing', '--dry-run', '--json'], listingOf(2));
    expect(new URL(ran.requests[0]!.url).searchParams.get('status')).toBe('retrying');
    expect(JSON.parse(ran.stdout)).toMatchObject({
      command: 'retry',
      count: 2,
      messages: [{ id: messageNo(0).id }, {}],
    });

    const none = await cli(['retry', '--label', 'billing', '--dry-run'], listingOf(0));
    expect(none.stdout).toBe('Dry run, nothing changed: 0 messages match --status retrying --label billing now.\n');
  });

  it('refuses --dry-run with ids, or a filter the action refuses, before any call (exit 2)', async () => {
    const byIds = await cli(['cancel', MESSAGE.id, '--dry-run'], listingOf(1));
    expect([byIds.code, byIds.requests.length]).toEqual([2, 0]);
    expect(byIds.stderr).toMatch(/^vigil: --dry-run takes filter flags, not ids/);

    const retrying = await cli(['redeliver', '--status', 'retrying', '--dry-run'], listingOf(1));
    expect([retrying.code, retrying.requests.length]).toEqual([2, 0]);
    expect(retrying.stderr).toMatch(/redeliver applies to delivered and failed messages/);
  });
});

describe('an API URL that is not the Vigil API', () => {
  it('says a web page answered, in one line, exit 7 (not a SyntaxError, exit 1)', async () => {
    const ran = await cli(['send', 'https://x.test/h'], async () =>
      answer(200, '<!doctype html>\n<html><body>Welcome</body></html>', 'text/html'),
    );

    expect(ran.code).toBe(7);
    expect(ran.stderr).toBe(
      "vigil: http://api.test/v1/messages answered HTTP 200 without the Vigil API's JSON, so it is not the Vigil API: check the URL (vigil login --api-url, or VIGIL_API_URL)\n",
    );
  });

  it('says JSON that is not the API\'s answer is not, naming what it lacks, instead of "Scheduled undefined"', async () => {
    // A proxy's health page, answering every path.
    const ran = await cli(['send', 'https://x.test/h'], async () => answer(200, { status: 'UP' }));

    expect(ran.code).toBe(7);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      'vigil: http://api.test/v1/messages answered HTTP 200, but not as the Vigil API does (no message id): check the URL (vigil login --api-url, or VIGIL_API_URL)\n',
    );
  });

  it('refuses it at vigil login (exit 7) and stores nothing, though it answered 200', async () => {
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-login-not-api-'));

    const ran = await cli(
      ['login', '--api-key', 'vgl_test', '--api-url', 'http://api.test'],
      async () => answer(200, { status: 'UP' }),
      { env: { XDG_CONFIG_HOME: xdg } },
    );
    const stored = await readdir(xdg);
    await rm(xdg, { recursive: true, force: true });

    expect(ran.code).toBe(7);
    expect(ran.stderr).toBe(
      'vigil: login failed: http://api.test/v1/messages?limit=1 answered HTTP 200, but not as the Vigil API does (no message page items): check the URL (vigil login --api-url, or VIGIL_API_URL)\n',
    );
    expect(stored).toEqual([]);
  });

  it("prints none of a page of more messages than vigil ls asked for (a broken server's thousand for --limit 5)", async () => {
    const thousand = Array.from({ length: 1000 }, (_, n) => ({ ...MESSAGE, id: `msg_${n}` }));

    const ran = await cli(['ls', '--limit', '5'], async () =>
      answer(200, { items: thousand, nextCursor: null, previousCursor: null }),
    );

    expect(ran.code).toBe(7);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      'vigil: http://api.test/v1/messages?limit=5 answered HTTP 200, but not as the Vigil API does (a page of 1,000 messages, more than the 5 asked for): check the URL (vigil login --api-url, or VIGIL_API_URL)\n',
    );
  });
});

describe('credentials', () => {
  it('run from VIGIL_API_KEY and VIGIL_API_URL when the config file is broken, with a warning', async () => {
    // Prepare
    const xdg = await mkdtemp(join(tmpdir(), 'vigil-broken-config-'));
    await mkdir(join(xdg, 'vigil'));
    await writeFile(join(xdg, 'vigil', 'config.json'), '{broken');

    // Act
    const ran = await cli(
      ['ls', '--json'],
      async () => answer(200, { items: [], nextCursor: null, previousCursor: null }),
      {
        env: { XDG_CONFIG_HOME: xdg },
      },
    );
    await rm(xdg, { recursive: true, force: true });

    // Assess
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('[]\n');
    expect(ran.stderr).toBe(
      `vigil: ${join(xdg, 'vigil', 'config.json')} is not valid JSON; using VIGIL_API_KEY and VIGIL_API_URL\n`,
    );
  });

  it.each([
    ['a line break', 'vgl_topsecret\nx'],
    ['a control character', 'vgl_topsecret\u0001'],
    ['a character beyond Latin-1', 'vgl_topsecret\u2028'],
  ])('refuse a key with %s (exit 3) without showing it or calling the API', async (_what, key) => {
    const ran = await cli(['ls'], async () => answer(200, { items: [] }), { env: { VIGIL_API_KEY: key } });

    expect(ran.code).toBe(3);
    expect(ran.stderr).toBe(
      'vigil: VIGIL_API_KEY is not an API key: it has a space, line break, control or non-ASCII character: set it to the key alone (vgl_...)\n',
    );
    expect(ran.requests).toEqual([]);
  });

  it("refuse README's placeholder vgl_... (exit 3) without calling the API, saying to give the key npm start printed", async () => {
    const login = await cli(['login', '--api-key', 'vgl_...', '--api-url', 'http://api.test'], async () =>
      answer(401, { type: 'unauthorized', title: 'Missing or invalid API key', status: 401, detail: '' }),
    );
    const ls = await cli(['ls'], async () => answer(200, { items: [] }), { env: { VIGIL_API_KEY: 'vgl_...' } });

    expect(login.code).toBe(3);
    expect(login.stderr).toBe(
      'vigil: --api-key is a placeholder (it has "..."), not an API key: ' +
        "give the key itself: the vgl_ key npm start printed, or one made on the console's API keys page\n",
    );
    expect(login.requests).toEqual([]);
    expect(ls.code).toBe(3);
    expect(ls.stderr).toMatch(/^vigil: VIGIL_API_KEY is a placeholder/);
    expect(ls.requests).toEqual([]);
  });

  it('refuse such a key at login (exit 3) without showing it', async () => {
    const ran = await cli(['login', '--api-key', 'vgl_topsecret\nx', '--api-url', 'http://api.test'], async () =>
      answer(200, { items: [] }),
    );

    expect(ran.code).toBe(3);
    expect(ran.stderr).not.toMatch(/topsecret/);
    expect(ran.stderr).toMatch(/^vigil: --api-key is not an API key/);
  });
});

describe('vigil show --json', () => {
  /** The API for one message: its body as sent (none: 204), the message with that body read into values. */
  const showing =
    (sent: string | undefined): Fetch =>
    async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname.endsWith('/attempts')) return answer(200, { items: [], omitted: 0 });
      if (pathname.endsWith('/body'))
        return sent === undefined ? new Response(null, { status: 204 }) : answer(200, sent);
      const message = JSON.stringify(MESSAGE);
      return answer(200, sent === undefined ? message : `${message.slice(0, -1)},"body":${sent}}`);
    };

  it("gives the body exactly as it is sent beside the API's message, whose body is read into values", async () => {
    const sent = '{"b":1,"1":2,"note":"caf\\u00e9"}';

    const ran = await cli(['show', MESSAGE.id, '--json'], showing(sent));

    expect(ran.code, ran.stderr).toBe(0);
    const shown = JSON.parse(ran.stdout) as { message: { body: unknown }; attempts: unknown; body: string };
    expect(Object.keys(shown)).toEqual(['message', 'attempts', 'body']);
    expect(shown.body).toBe(sent);
    // The API's message as it answers it: its body as values, "1" before "b" and the escape read.
    expect(JSON.stringify(shown.message.body)).toBe('{"1":2,"b":1,"note":"café"}');
    expect(shown.attempts).toEqual({ items: [], omitted: 0 });
  });

  it('leaves the body out for a message without one', async () => {
    const ran = await cli(['show', MESSAGE.id, '--json'], showing(undefined));

    expect(ran.code, ran.stderr).toBe(0);
    expect(Object.keys(JSON.parse(ran.stdout) as object)).toEqual(['message', 'attempts']);
  });
});

describe('vigil retry: the retrying messages sent now, once their endpoint is fixed', () => {
  const retrying = (n: number, url = 'https://orders.test/hook') => ({
    ...MESSAGE,
    id: `msg_01JDX00000000000000000000${String.fromCharCode(65 + n)}`,
    url,
    status: 'retrying',
    attempts: 3,
  });
  const page = (items: unknown[]) => answer(200, { items, nextCursor: null, previousCursor: null });
  const conflict = (
    id: string,
    status: string,
    rule = 'only a retrying message (its last attempt failed and it waits for the next) can be retried now',
  ) =>
    answer(
      409,
      {
        type: 'https://vigil.dev/problems/state-conflict',
        title: 'The request conflicts with the current state',
        status: 409,
        detail: `Message ${id} is ${status}; ${rule}.`,
      },
      'application/problem+json',
    );

  it('asks each retrying message of one endpoint for its next attempt now, counts what no longer retried, and ends with the counts', async () => {
    const [a, b, c] = [retrying(0), retrying(1), retrying(2)];
    const ran = await cli(['retry', '--url-prefix', 'https://orders.test/'], async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === '/v1/messages') return page([a, b, c]);
      // b was delivered by its own backoff meanwhile: skipped, not a failure.
      if (pathname.includes(b.id)) return conflict(b.id, 'delivered');
      return answer(202, { ...a, id: pathname.split('/')[3] });
    });

    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('2 retried now, 1 skipped, 0 failed (of 3)\n');
    expect(ran.stderr).toMatch(
      /^Retrying 3 messages now \(--status retrying --url-prefix https:\/\/orders\.test\/\)…\n/,
    );
    const list = new URL(ran.requests[0]!.url);
    expect(list.searchParams.get('status')).toBe('retrying');
    expect(list.searchParams.get('urlPrefix')).toBe('https://orders.test/');
    const retried = ran.requests.slice(1).map((r) => `${r.method} ${new URL(r.url).pathname}`);
    expect(retried.sort()).toEqual([a, b, c].map((m) => `POST /v1/messages/${m.id}/retry`).sort());
  });

  it('prints the counts as JSON for a script, and says when nothing retrying matches', async () => {
    const none = await cli(['retry', '--label', 'billing'], async () => page([]));
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('No retrying messages match --status retrying --label billing.\n');

    const json = await cli(['retry', '--label', 'billing', '--json'], async (request) =>
      new URL(request.url).pathname === '/v1/messages' ? page([retrying(0)]) : answer(202, retrying(0)),
    );
    expect(JSON.parse(json.stdout)).toEqual({
      total: 1,
      counts: { done: 1, skipped: 0, failed: 0 },
      interrupted: false,
      stopped: false,
    });
  });

  it('counts a message an earlier run with the same key retried (a repeat, 200) as skipped, not as retried now', async () => {
    const [a, b] = [retrying(0), retrying(1)];
    const ran = await cli(
      ['retry', '--url-prefix', 'https://orders.test/', '--idempotency-key', 'fix-8'],
      async (request) => {
        const { pathname } = new URL(request.url);
        if (pathname === '/v1/messages') return page([a, b]);
        // a was retried by the earlier run (and failed again since): the API answers the repeat, moving nothing.
        return pathname.includes(a.id) ? answer(200, a) : answer(202, b);
      },
    );

    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('1 retried now, 1 skipped, 0 failed (of 2)\n');
  });

  it('stops at a failure every message would meet (the key refused), exit 3, naming what was done', async () => {
    const ran = await cli(['retry', '--url-prefix', 'https://orders.test/'], async (request) =>
      new URL(request.url).pathname === '/v1/messages'
        ? page([0, 1, 2, 3, 4, 5, 6, 7].map((n) => retrying(n)))
        : answer(401, { type: 'https://vigil.dev/problems/unauthorized', title: 'Unauthorized', status: 401 }),
    );
    expect(ran.code).toBe(3);
    // The four under way when the first refusal came, and no more.
    expect(ran.requests.length).toBe(1 + 4);
    expect(ran.stdout).toBe('0 retried now, 0 skipped, 4 failed (of 8)\n');
    expect(ran.stderr).toMatch(
      /vigil: stopped after 0 retried now, 0 skipped, 4 failed \(of 8\); try again with vigil retry/,
    );
  });

  it('stops at once on Ctrl-C (exit 130), cutting short the requests under way and naming their messages', async () => {
    // Prepare: the first retried at once, the others never answered (an API gone slow); Ctrl-C once five are asked.
    const messages = [0, 1, 2, 3, 4, 5].map((n) => retrying(n));
    let asked = 0;
    const api: Fetch = (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === '/v1/messages') return Promise.resolve(page(messages));
      asked += 1;
      if (pathname.includes(messages[0]!.id)) return Promise.resolve(answer(202, messages[0]));
      if (asked === 5) setImmediate(() => process.emit('SIGINT'));
      return new Promise((_, fail) => request.signal.addEventListener('abort', () => fail(request.signal.reason)));
    };

    // Act
    const ran = await cli(['retry', '--url-prefix', 'https://orders.test/'], api, { timeoutMs: 15_000 });

    // Assess
    expect(ran.code).toBe(130);
    expect(ran.stdout).toBe('1 retried now, 0 skipped, 0 failed (of 6)\n');
    expect(ran.stderr).toMatch(
      new RegExp(
        `\\nvigil: stopped after 1 retried now, 0 skipped, 0 failed \\(of 6\\); ${messages
          .slice(1, 5)
          .map((m) => m.id)
          .join(
            ' ',
          )} may have been retried \\(Ctrl-C cut the request short\\); the rest wait for their next attempt: vigil retry --status retrying --url-prefix https://orders.test/ asks the rest\\n$`,
      ),
    );
  });

  it('stops at a 429 that asks for a long wait too (exit 6), not one refusal printed per message', async () => {
    const ran = await cli(['retry', '--url-prefix', 'https://orders.test/'], async (request) =>
      new URL(request.url).pathname === '/v1/messages'
        ? page([0, 1, 2, 3, 4, 5, 6, 7].map((n) => retrying(n)))
        : new Response(
            '{"type":"https://vigil.dev/problems/rate-limited","title":"x","status":429,"detail":"Too many requests."}',
            {
              status: 429,
              headers: { 'content-type': 'application/problem+json', 'retry-after': '30' },
            },
          ),
    );

    expect(ran.code).toBe(6);
    expect(ran.requests.length).toBe(1 + 4);
    expect(ran.stdout).toBe('0 retried now, 0 skipped, 4 failed (of 8)\n');
    expect(ran.stderr).toMatch(/: Too many requests\. \(429\): try again in 30s\n/);
  });

  it('sends each message its own key, <key>:<id>, by ids, and says the next attempt is now', async () => {
    const a = retrying(0);
    const ran = await cli(['retry', a.id, '--idempotency-key', 'fix-7'], async () => answer(202, a));
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(`${a.id}  retrying, next attempt now\n`);
    expect(ran.requests.map((r) => r.headers.get('idempotency-key'))).toEqual([`fix-7:${a.id}`]);
  });

  it('asks for many ids a few at a time (4 under way), printing in the order given, the first failure in that order setting the exit code', async () => {
    // Prepare: 10 ids whose answers come back in reverse order of asking, the 3rd gone (404) and the 6th refused (409).
    const ids = Array.from({ length: 10 }, (_, n) => `msg_01JDX${'0'.repeat(20)}${n}`);
    let underWay = 0;
    let most = 0;
    const fetch: Fetch = async (request) => {
      const { pathname } = new URL(request.url);
      const id = pathname.split('/')[3]!;
      if (request.method !== 'POST') return answer(200, { ...retrying(0), id, status: 'delivered' });
      underWay += 1;
      most = Math.max(most, underWay);
      await new Promise((done) => setTimeout(done, (10 - ids.indexOf(id)) * 3));
      underWay -= 1;
      if (id === ids[2])
        return answer(404, { type: 'https://vigil.dev/problems/not-found', title: 'Not found', status: 404 });
      if (id === ids[5]) return conflict(id, 'delivered');
      return answer(202, { ...retrying(0), id });
    };

    // Act
    const ran = await cli(['retry', ...ids], fetch);

    // Assess
    expect(most).toBe(4);
    expect(ran.stdout.trimEnd().split('\n')).toEqual(
      ids.filter((_, n) => n !== 2 && n !== 5).map((id) => `${id}  retrying, next attempt now`),
    );
    const [gone, refused, ...rest] = ran.stderr.split('\n');
    expect(gone).toMatch(new RegExp(`^vigil: no message ${ids[2]}`));
    expect(refused).toMatch(new RegExp(`^vigil: Message ${ids[5]} is delivered;`));
    expect(rest).toEqual(['']);
    expect(ran.code).toBe(4);
  });

  it('says a retry the key asked before, answered as a repeat (200), asked no second attempt', async () => {
    const a = retrying(0);
    const ran = await cli(['retry', a.id, '--idempotency-key', 'fix-7'], async () => answer(200, a));
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(
      `${a.id}  retrying, next attempt asked already by an earlier run with this --idempotency-key: no second one\n`,
    );

    const asJson = await cli(['retry', a.id, '--idempotency-key', 'fix-7', '--json'], async () => answer(200, a));
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual([a]);
    expect(asJson.stderr).toBe(
      `vigil: ${a.id}: next attempt asked already by an earlier run with this --idempotency-key: no second one\n`,
    );
  });

  it('a retry of a failed message names vigil redeliver after the 409, in one sentence', async () => {
    const a = { ...retrying(0), status: 'failed' };
    const ran = await cli(['retry', a.id], async (request) =>
      request.method === 'POST' ? conflict(a.id, 'failed') : answer(200, a),
    );
    expect(ran.code).toBe(5);
    expect(ran.stderr).toBe(
      `vigil: Message ${a.id} is failed; only a retrying message (its last attempt failed and it waits for the next) can be retried now: send it again with vigil redeliver ${a.id}\n`,
    );
  });

  it('refuses --status failed before any call, naming vigil redeliver for those', async () => {
    const ran = await cli(['retry', '--status', 'failed', '--url-prefix', 'https://orders.test/'], async () =>
      page([]),
    );
    expect(ran.code).toBe(2);
    expect(ran.requests).toEqual([]);
    expect(ran.stderr).toBe(
      'vigil: --status failed: retry applies to retrying messages only, not to failed ones: send failed or delivered messages again with vigil redeliver --status failed --url-prefix https://orders.test/\n',
    );
  });

  it('a redeliver of retrying messages names vigil retry: by filter before any call, by id after the 409', async () => {
    const bulk = await cli(
      ['redeliver', '--status', 'failed,retrying', '--url-prefix', 'https://orders.test/'],
      async () => page([]),
    );
    expect(bulk.code).toBe(2);
    expect(bulk.requests).toEqual([]);
    expect(bulk.stderr).toBe(
      "vigil: --status failed,retrying: redeliver applies to delivered and failed messages, not to retrying ones: send the retrying ones' next attempt now with vigil retry --status retrying --url-prefix https://orders.test/\n",
    );

    const a = retrying(0);
    const one = await cli(['redeliver', a.id], async (request) =>
      request.method === 'POST'
        ? conflict(a.id, 'retrying', 'only delivered or failed messages can be redelivered')
        : answer(200, a),
    );
    expect(one.code).toBe(5);
    expect(one.stderr).toBe(
      `vigil: Message ${a.id} is retrying; only delivered or failed messages can be redelivered: send its next attempt now with vigil retry ${a.id}\n`,
    );
  });
});

describe('vigil ls --summary', () => {
  it('counts every message the filter selects (up to 10,000), not the 20 a listing shows, and says how many to how many URLs', async () => {
    const items = Array.from({ length: 250 }, (_, i) => ({
      ...MESSAGE,
      id: `msg_01JDX${String(i).padStart(21, '0')}`,
      url: i % 5 === 0 ? 'https://payments.test/h' : 'https://orders.test/h',
      status: 'failed',
    }));
    const ran = await cli(['ls', '--status', 'failed,retrying', '--summary'], async (request) => {
      const query = new URL(request.url).searchParams;
      const from = Number(query.get('cursor') ?? 0);
      const to = Math.min(items.length, from + Number(query.get('limit')));
      return answer(200, {
        items: items.slice(from, to),
        nextCursor: to < items.length ? String(to) : null,
        previousCursor: null,
      });
    });

    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^https:\/\/orders\.test\/h\n {2}messages {6}200: 200 failed\n/);
    expect(ran.stdout).toMatch(/\nhttps:\/\/payments\.test\/h\n {2}messages {6}50: 50 failed\n/);
    expect(ran.stderr).toBe('250 messages to 2 URLs\n');
    expect(ran.requests.map((r) => new URL(r.url).searchParams.get('status'))).toEqual([
      'failed,retrying',
      'failed,retrying',
      'failed,retrying',
    ]);
  });
});

describe('vigil ls --json', () => {
  it('names the next page with --json, so a script that follows it gets JSON again, not a table', async () => {
    const ran = await cli(['ls', '--status', 'failed', '--limit', '1', '--json'], async () =>
      answer(200, { items: [MESSAGE], nextCursor: 'eyJuIjoxfQ', previousCursor: null }),
    );
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual([MESSAGE]);
    expect(ran.stderr).toBe('next page: vigil ls --status failed --limit 1 --json --cursor eyJuIjoxfQ\n');
  });

  it('gives a script that pipes stdout the cursors with --with-cursors, as the API pages them', async () => {
    const ran = await cli(['ls', '--status', 'failed', '--limit', '1', '--json', '--with-cursors'], async () =>
      answer(200, { items: [MESSAGE], nextCursor: 'eyJuIjoxfQ', previousCursor: null }),
    );

    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ items: [MESSAGE], nextCursor: 'eyJuIjoxfQ', previousCursor: null });
    expect(ran.stderr).toBe(
      'next page: vigil ls --status failed --limit 1 --json --with-cursors --cursor eyJuIjoxfQ\n',
    );
  });

  it('refuses --with-cursors without --json, or with --summary, before any call (exit 2)', async () => {
    const page = async () => answer(200, { items: [], nextCursor: null, previousCursor: null });
    const table = await cli(['ls', '--with-cursors'], page);
    const summary = await cli(['ls', '--summary', '--json', '--with-cursors'], page);

    expect(table).toMatchObject({ code: 2, requests: [] });
    expect(table.stderr).toBe('vigil: --with-cursors goes with --json: write vigil ls --json --with-cursors\n');
    expect(summary).toMatchObject({ code: 2, requests: [] });
  });
});

describe('vigil update: a body sent wrong, fixed before the next attempt', () => {
  const RETRYING = { ...MESSAGE, status: 'retrying', attempts: 2 };

  it('PATCHes the body as typed and says how to send it now', async () => {
    const ran = await cli(['update', MESSAGE.id, '--data', '{"b":1,"1":2}'], async () => answer(200, RETRYING));

    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(`${MESSAGE.id}  retrying  body changed; send it now with vigil retry ${MESSAGE.id}\n`);
    expect(ran.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      `PATCH /v1/messages/${MESSAGE.id}`,
    ]);
    expect(await ran.requests[0]!.text()).toBe('{"body":{"b":1,"1":2}}');
  });

  it('says a failed message cannot be changed, and what to do instead (exit 5)', async () => {
    const ran = await cli(['update', MESSAGE.id, '--url', 'https://fixed.test/h'], async () =>
      answer(
        409,
        {
          type: 'https://vigil.dev/problems/state-conflict',
          title: 'The request conflicts with the current state',
          status: 409,
          detail: `Message ${MESSAGE.id} is failed; only scheduled, queued or retrying messages can be changed.`,
        },
        'application/problem+json',
      ),
    );

    expect(ran.code).toBe(5);
    expect(ran.stderr).toBe(
      `vigil: Message ${MESSAGE.id} is failed; only scheduled, queued or retrying messages can be changed: send a corrected one with vigil send, and leave ${MESSAGE.id} out of any redeliver (it would send what it holds)\n`,
    );
  });

  it('needs --data or --url, before any call (exit 2)', async () => {
    const ran = await cli(['update', MESSAGE.id], async () => answer(200, RETRYING));
    expect(ran.code).toBe(2);
    expect(ran.requests).toEqual([]);
    expect(ran.stderr).toMatch(/^vigil: vigil update needs --data or --url: e\.g\. vigil update msg_/);
  });
});
