/**
 * The local stack is configured by its arguments: it gives the handlers their settings through
 * startRuntime({ env }) and leaves this process's environment as it found it, so two stacks in a
 * row (or a stack and a test that sets its own environment) never see each other's settings.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientInstrument } from '@vigil/aws';
import { runtime } from '@vigil/aws';
import { revokeAndAnnounceApiKey } from '@vigil/core';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient, FAST_ENGINE_ENV, startTestStack, waitFor } from '../../../test-support/local-stack';
import { startReceiverThread } from '../../../test-support/receiver-thread';
import { LOCAL_ENGINE_DEFAULTS } from './config';
import { DATA_DIR_LOCK_FILE } from './data-dir-lock';
import { startReceiver } from './receiver';
import type { LocalStack } from './stack';
import { startStack } from './stack';

/** An SDK client's middleware stack, as a test records the calls it makes. */
interface CallRecording {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

describe('the local stack, configured by arguments', () => {
  let stack: LocalStack | undefined;
  /** Keeps the JSON lines the stack logs (to stdout) from now until `stop()`, which gives them. */
  const captureLog = () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      lines.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    return {
      stop: (): Array<Record<string, unknown>> => {
        process.stdout.write = write;
        return lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      },
    };
  };
  /** Starts the stack on dataDir at a log level, and gives the JSON lines it logged while it started. */
  const startLogging = async (
    dataDir: string,
    level: string,
    options: Parameters<typeof startTestStack>[0] = {},
  ): Promise<Array<Record<string, unknown>>> => {
    const log = captureLog();
    let logged: Array<Record<string, unknown>>;
    try {
      stack = await startTestStack({ ...options, dataDir, env: { ...options.env, VIGIL_LOG_LEVEL: level } });
    } finally {
      logged = log.stop();
    }
    return logged;
  };
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('leaves process.env untouched while the handlers run on the settings it was given', async () => {
    // Arrange
    const before = { ...process.env };
    const receiver = await startReceiver({ port: 0 });

    try {
      // Act
      stack = await startTestStack({
        env: { VIGIL_NEAR_WINDOW_S: '7', VIGIL_INDEX_SHARDS: '3', VIGIL_TENANT_SHARDS: '8' },
      });
      const api = apiClient(stack.url, stack.apiKey);
      const created = await api.post('/v1/messages', { url: `${receiver.url}/configured`, delay: 1 });
      await receiver.waitFor((received) => received.length === 1, 10_000);
      const delivered = await waitFor(
        () => api.get(`/v1/messages/${created.json.id}`),
        (read) => read.json.status === 'delivered',
      );
      const listed = await api.get('/v1/messages?status=delivered');

      // Assert
      expect(created.status).toBe(201);
      expect(process.env).toEqual(before);
      expect(stack.runtime.config.engine.nearWindowMs).toBe(7_000);
      expect(stack.runtime.config.indexShards).toBe(3);
      expect(stack.runtime.config.tenantShards).toBe(8);
      expect(delivered.json.status).toBe('delivered');
      expect(listed.json.items.map((m: { id: string }) => m.id)).toEqual([created.json.id]);
      expect(stack.runtime.config.endpoints.dynamodb).toBe(stack.dynamoEndpoint);
      expect(runtime()).toBe(stack.runtime);
    } finally {
      await receiver.stop();
    }
  });

  it('refuses to start on a data dir written with other shard counts, and finds every message with its own', async () => {
    // Arrange
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-layout-'));
    stack = await startTestStack({ dataDir, env: { VIGIL_TENANT_SHARDS: '8' } });
    const apiKey = stack.apiKey;
    const created = await apiClient(stack.url, apiKey).post('/v1/messages', {
      url: 'https://example.com/later',
      delay: 3_600,
    });
    await stack.stop();
    stack = undefined;

    // Act
    const refused = await startTestStack({ dataDir }).catch((error: Error) => error);
    const refusedIndexes = await startTestStack({
      dataDir,
      env: { VIGIL_TENANT_SHARDS: '8', VIGIL_INDEX_SHARDS: '16' },
    }).catch((error: Error) => error);
    expect(refused).toMatchObject({ name: 'TableLayoutMismatchError' });
    expect((refused as Error).message).toMatch(/VIGIL_TENANT_SHARDS=8 \(this start: 1\)/);
    expect((refusedIndexes as Error).message).toMatch(/VIGIL_INDEX_SHARDS=8 \(this start: 16\)/);
    stack = await startTestStack({ dataDir, env: { VIGIL_TENANT_SHARDS: '8' } });

    // Assert
    const read = await apiClient(stack.url, apiKey).get(`/v1/messages/${created.json.id}`);
    expect(read.status).toBe(200);
    expect(read.json.status).toBe('scheduled');
  });

  it("says so when it replaces a corrupt saved state (the far path's timers), in its log", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    await writeFile(join(dataDir, 'schedules.json'), 'garbage{');
    const warned = (await startLogging(dataDir, 'warn')).find((l) => l.level === 'warn');
    expect(warned).toMatchObject({
      msg: 'scheduler state is corrupt, starting empty',
      statePath: join(dataDir, 'schedules.json'),
    });
  });

  it('prints no info line of its own while it starts, a first start or a second, and tells where its services listen at debug', async () => {
    // npm start printed four JSON lines ahead of its banner: where the scheduler and API Gateway
    // emulators listen and that they found no saved state, nothing a person needs there.
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    const startLogged = async (level: string) => {
      const lines = await startLogging(dataDir, level);
      await stack!.stop();
      stack = undefined;
      return lines;
    };

    // Act: a first start, a second on the same data dir (its saved state read), and one at debug.
    const first = await startLogged('info');
    const second = await startLogged('info');
    const debug = await startLogged('debug');

    // Assert
    expect(first.filter((l) => l.level === 'info')).toEqual([]);
    expect(second.filter((l) => l.level === 'info')).toEqual([]);
    expect(debug.filter((l) => l.level === 'debug').map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'scheduler state loaded',
        'scheduler emulator listening',
        'API Gateway emulator listening',
      ]),
    );
  });

  it('refuses a port in use before it starts anything: no endpoints file for the admin command, nothing delivered', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    try {
      await expect(
        startStack({ port, host: '127.0.0.1', dataDir, authCacheMs: 0, sweepEveryMs: 60_000, rateLimits: false }),
      ).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use: stop the other process or set VIGIL_PORT`);
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      busy.close();
    }
  });

  it.each([
    ['empty', { VIGIL_TABLE: '' }, /VIGIL_TABLE: .*>=1 characters/],
    ['not one of its values', { VIGIL_LOG_LEVEL: 'loud' }, /VIGIL_LOG_LEVEL: .*"debug"/],
    // A browser compares the origin it allows with its page's character for character: none would match.
    [
      'an origin with a trailing slash',
      { VIGIL_WEB_ORIGIN: 'http://localhost:5173/' },
      'VIGIL_WEB_ORIGIN: must be an origin, scheme://host[:port] with no path or trailing slash (http://localhost:5173, not http://localhost:5173/)',
    ],
  ])('refuses a setting it reads itself that is %s, naming it, before it starts anything', async (_, env, named) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    const started = startStack({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      authCacheMs: 0,
      sweepEveryMs: 60_000,
      rateLimits: false,
      env: { VIGIL_PROMOTE_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:promote', ...env },
    });
    await expect(started).rejects.toThrow(/^Invalid Vigil configuration: /);
    await expect(started).rejects.toThrow(named);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('refuses a bad engine setting the handlers read (VIGIL_NEAR_WINDOW_S=abc), naming it, before it starts anything', async () => {
    // Arrange
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));

    // Act
    const refused = startTestStack({ dataDir, env: { VIGIL_NEAR_WINDOW_S: 'abc' } });

    // Assert: named by the handlers' own rules; no service started, nothing written to the data dir.
    await expect(refused).rejects.toThrow(/^Invalid Vigil configuration: VIGIL_NEAR_WINDOW_S: /);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("names every bad setting in one refusal, its own (VIGIL_LOG_LEVEL) and the handlers' (VIGIL_NEAR_WINDOW_S) alike, as it reads them once", async () => {
    // Arrange
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));

    // Act
    const refused = startTestStack({ dataDir, env: { VIGIL_LOG_LEVEL: 'loud', VIGIL_NEAR_WINDOW_S: 'abc' } });

    // Assert: both named at once (the stack's own were read first, alone, and the second waited for the next start).
    await expect(refused).rejects.toThrow(/VIGIL_NEAR_WINDOW_S: /);
    await expect(refused).rejects.toThrow(/VIGIL_LOG_LEVEL: .*"debug"/);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('stops every service it started when a start fails after they did, so the next start on the data dir works', async () => {
    // Arrange: a data dir whose development tenant file is damaged fails the start after the
    // store, the queues and the emulators have started (and the runtime has been built).
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    stack = await startTestStack({ dataDir });
    await stack.stop();
    stack = undefined;
    await writeFile(join(dataDir, 'dev-tenant.json'), '{');

    // Act
    const failed = await startTestStack({ dataDir }).catch((error: Error) => error);
    await rm(join(dataDir, 'dev-tenant.json'));
    stack = await startTestStack({ dataDir });

    // Assert: the second start has the store (dynalite's LevelDB lock was given up) and answers.
    expect(String(failed)).toMatch(/dev-tenant\.json is not the development tenant's saved id and key/);
    const created = await apiClient(stack.url, stack.apiKey).post('/v1/messages', {
      url: 'https://example.com/later',
      delay: 3_600,
    });
    expect(created.status).toBe(201);
  });

  it('takes the local default for a setting given as undefined, as for one missing from the environment', async () => {
    stack = await startStack({
      port: 0,
      host: '127.0.0.1',
      dataDir: await mkdtemp(join(tmpdir(), 'vigil-int-')),
      authCacheMs: 0,
      sweepEveryMs: 60_000,
      rateLimits: false,
      env: { VIGIL_PROMOTE_ARN: undefined, VIGIL_TABLE: undefined },
    });
    expect(stack.runtime.config.promoteArn).toBe(LOCAL_ENGINE_DEFAULTS.VIGIL_PROMOTE_ARN);
    expect(stack.runtime.config.table).toBe(LOCAL_ENGINE_DEFAULTS.VIGIL_TABLE);
  });

  it("refuses a second stack in this process while one runs, which would serve the first one's API from its own store", async () => {
    // Arrange
    stack = await startTestStack();
    const api = apiClient(stack.url, stack.apiKey);
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));

    // Act
    const second = startTestStack({ dataDir });

    // Assert: refused before it starts anything; the first one goes on creating in its own store.
    await expect(second).rejects.toThrow(
      `a local stack already runs in this process (data dir ${stack.dataDir}): the handlers' runtime is the process's`,
    );
    expect(await readdir(dataDir)).toEqual([]);
    const created = await api.post('/v1/messages', { url: 'https://example.com/later', delay: 3_600 });
    expect(created.status).toBe(201);
    // Once it stops, the next one starts.
    await stack.stop();
    stack = await startTestStack({ dataDir });
    expect((await apiClient(stack.url, stack.apiKey).get('/v1/messages')).status).toBe(200);
  });

  it('refuses a data dir another running Vigil holds before it starts anything, and takes over one a dead process left', async () => {
    // Arrange: another process holds the dir (as a stack started by `npm start` elsewhere would).
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await writeFile(join(dataDir, DATA_DIR_LOCK_FILE), String(other.pid));
    try {
      // Act, Assert: refused, naming the process and what to do; nothing of this start in the dir.
      await expect(startTestStack({ dataDir })).rejects.toThrow(
        `another Vigil (process ${other.pid}) is using the data dir ${dataDir}: stop it first, or start this one with another VIGIL_DATA_DIR`,
      );
      expect(await readdir(dataDir)).toEqual([DATA_DIR_LOCK_FILE]);
    } finally {
      other.kill('SIGKILL');
      await once(other, 'exit');
    }

    // Its process gone (a kill -9 leaves the file behind), the next start takes the dir over.
    stack = await startTestStack({ dataDir });
    expect(await readFile(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8')).toBe(String(process.pid));
    await stack.stop();
    stack = undefined;
    expect(await readdir(dataDir)).not.toContain(DATA_DIR_LOCK_FILE);
  });

  it('leaves dev-tenant.json as it is on a start that changes nothing, and makes a session secret an interrupted start left empty', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    const file = join(dataDir, 'dev-tenant.json');
    stack = await startTestStack({ dataDir });
    const { apiKey } = stack;
    await stack.stop();
    stack = undefined;
    const first = await stat(file);
    // A crash while the secret was first written (a kill -9 in start-up) left it empty.
    await writeFile(join(dataDir, 'session-secret'), '');

    stack = await startTestStack({ dataDir });
    expect(stack.apiKey).toBe(apiKey);
    // Not written again (a kill -9 in the middle of a rewrite would have left it empty).
    expect((await stat(file)).mtimeMs).toBe(first.mtimeMs);
    expect((await readFile(join(dataDir, 'session-secret'), 'utf8')).trim()).toMatch(/^[\w-]{43}$/);
  });

  it('names a damaged dev-tenant.json and what to do, rather than a bare JSON error', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    await writeFile(join(dataDir, 'dev-tenant.json'), '');
    await expect(startTestStack({ dataDir })).rejects.toThrow(
      `${join(dataDir, 'dev-tenant.json')} is not the development tenant's saved id and key (it is damaged or empty): delete it`,
    );
  });

  it('lets a delivery under way finish and be recorded when stopped with a drain (Ctrl-C), so a restart does not send it again', async () => {
    // A receiver that answers after 4 s: longer than the pollers' default 3 s grace.
    let arrivals = 0;
    const slow = createServer((req, res) => {
      arrivals += 1;
      req.resume();
      setTimeout(() => res.end('ok'), 4_000);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`;
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    try {
      stack = await startTestStack({ dataDir });
      const created = await apiClient(stack.url, stack.apiKey).post('/v1/messages', { url, delay: 0 });
      await waitFor(
        async () => arrivals,
        (n) => n === 1,
      );
      await stack.stop({ drainMs: 10_000 });
      stack = await startTestStack({ dataDir });
      const read = await apiClient(stack.url, stack.apiKey).get(`/v1/messages/${created.json.id}`);
      expect(read.json).toMatchObject({ status: 'delivered', attempts: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(arrivals).toBe(1);
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  }, 30_000);

  it('hands messages on at start-up for one run budget, then the rest of the near window in the background: each on time, and once', async () => {
    // On a thread of its own: a starved stack would otherwise answer itself late, and count retries.
    const receiver = await startReceiverThread();
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    try {
      // 150 messages due in 15 and 16 s, whose tickets the stop loses with the queue: on the near
      // path (a window of 30 s, not the tests' 5 s), so the start-up's look-ahead finds them however
      // soon it comes (with 5 s, only a start late enough found them, as on a loaded machine). One
      // index shard: read in pages of 100, earliest first, the second page finds the first one's
      // messages again, a flight allowance on.
      const settings = { VIGIL_NEAR_WINDOW_S: '30', VIGIL_INDEX_SHARDS: '1' };
      stack = await startTestStack({ dataDir, sweepEveryMs: 3_600_000, env: settings });
      const api = apiClient(stack.url, stack.apiKey);
      const ids: string[] = [];
      for (const batch of [0, 1]) {
        const messages = Array.from({ length: batch === 0 ? 100 : 50 }, (_, i) => ({
          url: `${receiver.url}/backlog/${batch * 100 + i}`,
          delay: 15 + batch,
        }));
        const created = await api.post('/v1/messages/batch', { messages });
        expect(created.status).toBe(201);
        ids.push(...created.json.items.map((m: { id: string }) => m.id));
      }
      await stack.stop();
      expect(receiver.received).toEqual([]);

      // A run budget spent by the first page: the start-up hands on one page (100) before it serves,
      // and the other 50 in the background. Until 2026-12-08 they were left to the periodic runs,
      // which found them once overdue past the grace (5 s) and sent them 5 to 6 s late.
      const log = captureLog();
      let logged: Array<Record<string, unknown>>;
      try {
        stack = await startTestStack({
          dataDir,
          sweepEveryMs: 1_000,
          startUpSweepBudgetMs: 1,
          env: { ...settings, VIGIL_LOG_LEVEL: 'info' },
        });
        await receiver.waitFor((received) => received.length >= 150, 30_000);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      } finally {
        logged = log.stop();
      }
      const paths = receiver.received.map((r) => r.path);
      expect(new Set(paths).size).toBe(150);
      expect(paths).toHaveLength(150);
      const read = apiClient(stack.url, stack.apiKey);
      const lateness = await Promise.all(
        ids.map(async (id) => (await read.get(`/v1/messages/${id}`)).json.lastAttempt.latenessMs as number),
      );
      // On time, give or take a loaded machine's second or two: not once overdue past the grace.
      expect(lateness.filter((ms) => ms >= 4_000)).toEqual([]);
      // Each handed on once: the first page's, found again, are left alone.
      const told = logged.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('the start-up sweep'));
      expect(told[0]).toMatchObject({
        msg: 'the start-up sweep goes on in the background, one run at a time',
        handedOn: 100,
        runs: 1,
      });
      expect(told.at(-1)).toMatchObject({ msg: 'the start-up sweep has seen the whole near window', handedOn: 150 });
    } finally {
      await receiver.stop();
    }
  }, 60_000);

  it('ends the start-up sweep’s background runs when stopped, before the store stops: no write fails on it, none comes after', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    // 500 messages due in 40 s (a near window of 60 s), whose tickets the stop loses with the queue.
    const nearWindow = { VIGIL_NEAR_WINDOW_S: '60' };
    stack = await startTestStack({ dataDir, sweepEveryMs: 3_600_000, env: nearWindow });
    const api = apiClient(stack.url, stack.apiKey);
    for (let batch = 0; batch < 5; batch += 1) {
      const messages = Array.from({ length: 100 }, (_, i) => ({
        url: `http://127.0.0.1:9/m/${batch}/${i}`,
        delay: 40,
      }));
      expect((await api.post('/v1/messages/batch', { messages })).status).toBe(201);
    }
    await stack.stop();

    // Every call the stack's clients make, when it was made.
    const calls: Array<{ at: number; command: string }> = [];
    const instrument: ClientInstrument = (client) => {
      (client as unknown as CallRecording).middlewareStack.add(
        (next, context) => (args) => {
          calls.push({ at: Date.now(), command: String(context.commandName) });
          return next(args);
        },
        { step: 'initialize', name: 'stopTestCalls' },
      );
    };
    const log = captureLog();
    let logged: Array<Record<string, unknown>>;
    let stoppedAt = 0;
    try {
      stack = await startStack({
        port: 0,
        host: '127.0.0.1',
        dataDir,
        sweepEveryMs: 3_600_000,
        authCacheMs: 60_000,
        rateLimits: true,
        startUpSweepBudgetMs: 1,
        env: { ...FAST_ENGINE_ENV, ...nearWindow, VIGIL_LOG_LEVEL: 'info' },
        observer: { instrument, invocation: (_name, run) => run() },
      });
      await stack.stop();
      stack = undefined;
      stoppedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      logged = log.stop();
    }
    // Stopped part-way (not all 500 handed on), its last page handed on while the store still ran: no
    // write failed on a stopped store (one that went on past the stop failed there, and said so).
    expect(logged.find((l) => l.msg === 'the start-up sweep stopped with the stack')).toMatchObject({
      handedOn: expect.toSatisfy((n: number) => n >= 100 && n < 500),
    });
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
    expect(calls.filter((call) => call.at > stoppedAt)).toEqual([]);
  }, 60_000);

  it('sends an event stored for the sweep while the start-up sweep’s background runs go on, not once they end', async () => {
    const receiver = await startReceiver({ port: 0 });
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    try {
      // 1,000 messages due in 60 s (a near window of 90 s), whose tickets the stop loses with the
      // queue; a tenant endpoint told of key.revoked, and a key the operator will revoke.
      const settings = { VIGIL_NEAR_WINDOW_S: '90', VIGIL_INDEX_SHARDS: '1', VIGIL_SWEEP_GRACE_S: '1' };
      stack = await startTestStack({ dataDir, sweepEveryMs: 3_600_000, env: settings });
      const api = apiClient(stack.url, stack.apiKey);
      const endpoint = { url: `${receiver.url}/revoked`, events: ['key.revoked'] };
      expect((await api.post('/v1/notification-endpoints', endpoint)).status).toBe(201);
      const leaked = (await api.post('/v1/keys', { name: 'leaked in a log' })).json;
      for (let batch = 0; batch < 10; batch += 1) {
        const messages = Array.from({ length: 100 }, (_, i) => ({
          url: `http://127.0.0.1:9/m/${batch}/${i}`,
          delay: 60,
        }));
        expect((await api.post('/v1/messages/batch', { messages })).status).toBe(201);
      }
      await stack.stop();

      // A slow store: each sweep run (the start-up's, one page of 100 each, and the periodic ones)
      // waits a second first, so the background runs go on for 10 s or more.
      const log = captureLog();
      let logged: Array<Record<string, unknown>>;
      try {
        stack = await startStack({
          port: 0,
          host: '127.0.0.1',
          dataDir,
          sweepEveryMs: 500,
          authCacheMs: 60_000,
          rateLimits: true,
          startUpSweepBudgetMs: 1,
          env: { ...FAST_ENGINE_ENV, ...settings, VIGIL_LOG_LEVEL: 'info' },
          observer: {
            instrument: () => {},
            invocation: async (name, run) => {
              if (name === 'sweep') await new Promise((resolve) => setTimeout(resolve, 1_000));
              return run();
            },
          },
        });
        // The operator's shell stores the event for the sweep to send: behind the start-up's read,
        // which is past it (at the messages due in 60 s), so only a periodic run finds it.
        const { tenantAdmin } = stack;
        const events = await tenantAdmin.accountEvents();
        expect(events).toBeDefined();
        const revoked = await revokeAndAnnounceApiKey(
          { tenancy: tenantAdmin.tenancy, ...(events && { events }) },
          { operator: true, keyId: leaked.id },
        );
        expect(revoked?.revokedNow).toBe(true);
        await receiver.waitFor((received) => received.some((r) => r.path === '/revoked'), 30_000);
      } finally {
        logged = log.stop();
      }
      // Sent while the background runs went on: until 2026-12-08 the periodic sweep was skipped
      // while they did, and the event waited for the last of them.
      const told = logged.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('the start-up sweep'));
      expect(told[0]).toMatchObject({ msg: 'the start-up sweep goes on in the background, one run at a time' });
      expect(told.map((l) => l.msg)).not.toContain('the start-up sweep has seen the whole near window');
      expect(logged).toContainEqual(
        expect.objectContaining({ msg: 'sweep handed on event deliveries stored for it', storedEvents: 1 }),
      );
      expect(receiver.received.filter((r) => r.path === '/revoked')).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  }, 90_000);

  it('waits, when stopped, for the periodic sweep runs under way, ended before they start anything: none runs after the stop on no runtime', async () => {
    // Each periodic run waits 1.5 s before it starts once the stack serves (a run held up on a slow
    // store), so runs are under way when the stop comes.
    let serving = false;
    const log = captureLog();
    let logged: Array<Record<string, unknown>>;
    let stoppedAt = 0;
    const ran: number[] = [];
    try {
      stack = await startStack({
        port: 0,
        host: '127.0.0.1',
        dataDir: await mkdtemp(join(tmpdir(), 'vigil-int-')),
        sweepEveryMs: 50,
        authCacheMs: 60_000,
        rateLimits: true,
        env: { ...FAST_ENGINE_ENV, VIGIL_LOG_LEVEL: 'info' },
        observer: {
          instrument: () => {},
          invocation: async (name, run) => {
            if (name === 'sweep' && serving) await new Promise((resolve) => setTimeout(resolve, 1_500));
            const result = await run();
            if (name === 'sweep') ran.push(Date.now());
            return result;
          },
        },
      });
      serving = true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await stack.stop();
      stack = undefined;
      stoppedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1_600));
    } finally {
      logged = log.stop();
    }
    // Until 2026-12-08 the stop did not wait for them: each went on after it, on a runtime the stop
    // had let go of (built again from this process's environment: 'sweep failed', a ConfigError).
    expect(ran.filter((at) => at > stoppedAt)).toEqual([]);
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
  }, 30_000);

  it('promotes a far-path bucket whose timer fell due while it was down once its handlers run, on its own settings, not the shell’s: fired once, the message on time', async () => {
    const receiver = await startReceiver({ port: 0 });
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-int-'));
    try {
      // Due in 12 s, past the near window (8 s): in a bucket whose timer fires 4 to 5 s from now.
      const settings = { VIGIL_NEAR_WINDOW_S: '8', VIGIL_FAR_LEAD_S: '6' };
      stack = await startTestStack({ dataDir, sweepEveryMs: 3_600_000, env: settings });
      const createdAt = Date.now();
      const created = await apiClient(stack.url, stack.apiKey).post('/v1/messages', {
        url: `${receiver.url}/far`,
        delay: 12,
      });
      await stack.stop();
      // Down while the timer falls due.
      await new Promise((resolve) => setTimeout(resolve, createdAt + 6_500 - Date.now()));

      // The shell has a whole Vigil environment of its own (another stage's table, services nothing
      // answers on, a wider near window): nothing the stack runs may act on it, not even what runs
      // before its handlers' runtime exists (the timer's firing), nor the periodic sweep.
      const unanswered = 'http://127.0.0.1:9';
      const shell: Record<string, string> = {
        VIGIL_TABLE: 'vigil-shell',
        AWS_REGION: 'eu-west-3',
        VIGIL_DYNAMODB_ENDPOINT: unanswered,
        VIGIL_SQS_ENDPOINT: unanswered,
        VIGIL_SCHEDULER_ENDPOINT: unanswered,
        VIGIL_DELIVERY_QUEUE_URL: `${unanswered}/000000000000/shell-delivery`,
        VIGIL_PROMPT_QUEUE_URL: `${unanswered}/000000000000/shell-prompt`,
        VIGIL_JOB_QUEUE_URL: `${unanswered}/000000000000/shell-jobs`,
        VIGIL_PROMOTE_ARN: 'arn:aws:lambda:eu-west-3:000000000000:function:shell-promote',
        VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/shell',
        VIGIL_NEAR_WINDOW_S: '600',
      };
      const before = { ...process.env };
      Object.assign(process.env, shell);
      const log = captureLog();
      let logged: Array<Record<string, unknown>>;
      try {
        stack = await startTestStack({
          dataDir,
          sweepEveryMs: 500,
          env: { ...settings, VIGIL_LOG_LEVEL: 'info' },
        });
        const api = apiClient(stack.url, stack.apiKey);
        const delivered = await waitFor(
          () => api.get(`/v1/messages/${created.json.id}`),
          (read) => read.json.status === 'delivered',
          15_000,
        );
        expect(delivered.json.lastAttempt.latenessMs).toBeLessThan(1_000);
        expect(runtime()).toBe(stack.runtime);
      } finally {
        logged = log.stop();
        for (const name of Object.keys(shell)) {
          if (before[name] === undefined) delete process.env[name];
          else process.env[name] = before[name];
        }
      }
      expect(stack.runtime.config.table).not.toBe('vigil-shell');
      expect(stack.runtime.config.engine.nearWindowMs).toBe(8_000);
      expect(stack.runtime.config.endpoints.dynamodb).toBe(stack.dynamoEndpoint);
      // A handler that had read the shell's settings would have failed on its services, and said so.
      expect(logged.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      // Fired at the start (so it was still due), at its first try: until 2026-12-08 it was fired
      // before the handlers' runtime existed, failed ('schedule target failed', a ConfigError of this
      // process's environment) and was tried again a second later.
      const firings = logged.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('schedule '));
      expect(firings).toEqual([expect.objectContaining({ msg: 'schedule fired', attempt: 1 })]);
      expect(receiver.received.map((r) => r.path)).toEqual(['/far']);
    } finally {
      await receiver.stop();
    }
  }, 60_000);

  it("gives the next stack its own settings, not the last one's", async () => {
    // Arrange
    stack = await startTestStack({ env: { VIGIL_NEAR_WINDOW_S: '6' } });
    const firstDynamo = stack.dynamoEndpoint;
    await stack.stop();

    // Act
    stack = await startTestStack({ env: { VIGIL_NEAR_WINDOW_S: '8' } });

    // Assert
    expect(stack.runtime.config.engine.nearWindowMs).toBe(8_000);
    expect(stack.runtime.config.endpoints.dynamodb).toBe(stack.dynamoEndpoint);
    expect(stack.dynamoEndpoint).not.toBe(firstDynamo);
  });
});
