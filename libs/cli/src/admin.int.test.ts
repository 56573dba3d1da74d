import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiGatewayEmulator } from '@vigil/local/api-gateway-emulator';
import type { Receiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { ENDPOINTS_FILE } from '@vigil/local/stack-provisioning';
import { ensureTenant, PLANS } from '@vigil/core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiClient, startTestStack, waitFor } from '../../../test-support/local-stack';
import { startReceiverThread } from '../../../test-support/receiver-thread';
import { adminProgram } from './admin';

let stack: LocalStack;
let receiver: Receiver;
/** What the stack's engine logged (its JSON lines, kept here rather than printed). */
const engineLog: Array<{ level: string; msg: string; [field: string]: unknown }> = [];

/** Runs one admin command against a local stack (the running test stack by default) and returns what it printed. */
const adminIn = async (dataDir: string, ...args: string[]) => {
  const lines: string[] = [];
  await adminProgram((line) => lines.push(line)).parseAsync([
    'node',
    'admin',
    '--local',
    '--data-dir',
    dataDir,
    ...args,
  ]);
  return lines.join('\n');
};
const admin = (...args: string[]) => adminIn(stack.dataDir, ...args);

beforeAll(async () => {
  receiver = await startReceiverThread();
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
    const text = String(chunk);
    if (!text.startsWith('{"level":')) return write(chunk, ...(rest as []));
    engineLog.push(JSON.parse(text));
    return true;
  });
  // The gateway caches authorizer answers for a minute, as API Gateway does. The sweep (5 s of
  // grace in the test stack) runs every second, so what the operator's shell stores is sent soon.
  // Its log is kept (info and up): what it tells operators is asserted too.
  stack = await startTestStack({ authCacheMs: 60_000, sweepEveryMs: 1_000, env: { VIGIL_LOG_LEVEL: 'info' } });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
  await receiver?.stop();
});

describe('npm run admin', () => {
  it('takes `--local tenant create --name acme` as the README prints it, in the data dir npm start uses', async () => {
    // Prepare: this shell's VIGIL_DATA_DIR names the running stack's data dir, as for npm start
    const saved = process.env.VIGIL_DATA_DIR;
    process.env.VIGIL_DATA_DIR = stack.dataDir;
    const lines: string[] = [];

    try {
      // Act: `npm run admin -- --local tenant create --name acme`
      await adminProgram((line) => lines.push(line)).parseAsync([
        'node',
        'admin',
        '--local',
        'tenant',
        'create',
        '--name',
        'acme',
      ]);
    } finally {
      if (saved === undefined) delete process.env.VIGIL_DATA_DIR;
      else process.env.VIGIL_DATA_DIR = saved;
    }

    // Assess: `tenant` was a command, not a data dir
    expect(lines[0]).toMatch(
      new RegExp(`^Created tenant tnt_\\w+ \\(acme, plan free\\) in local stack \\(${stack.dataDir}\\)$`),
    );
    const apiKey = /API key key_\w+: (vgl_\w+)/.exec(lines.join('\n'))?.[1];
    expect((await apiClient(stack.url, apiKey!).get('/v1/messages?limit=1')).status).toBe(200);
  });

  it('names another data dir with --data-dir, and says plainly when no stack runs there', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vigil-admin-none-'));
    try {
      const run = adminProgram(() => {}).parseAsync(['node', 'admin', '--data-dir', empty, 'tenant', 'list']);
      await expect(run).rejects.toThrow(`No running local stack found in ${empty}: start it with npm start first.`);
      expect(await adminProgram(() => {}).helpInformation()).toContain('--data-dir <dir>');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('creates a tenant whose first key works, lists it, and revokes the key', async () => {
    const created = await admin('tenant', 'create', '--name', 'acme', '--plan', 'pro');
    const tenantId = /tenant (tnt_\w+)/.exec(created)?.[1];
    const [, keyId, apiKey] = /API key (key_\w+): (vgl_\w+)/.exec(created) ?? [];
    expect(tenantId).toBeDefined();
    expect(apiKey).toMatch(/^vgl_[0-9A-Za-z]{43}$/);

    const acme = apiClient(stack.url, apiKey!);
    expect((await acme.post('/v1/messages', { url: 'http://127.0.0.1:9/x', delay: 600 })).status).toBe(201);
    expect(await admin('tenant', 'list')).toContain(`${tenantId}  pro`);

    expect(await admin('key', 'revoke', keyId!)).toContain(`Revoked ${keyId}`);
    // Refused at once, although the gateway had cached the key's authorizer answer.
    await new Promise((r) => setTimeout(r, 150));
    const refused = await acme.get('/v1/messages');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  });

  it("tells the tenant's key.revoked endpoint once, signed, that the operator revoked its key, as for its own revoke", async () => {
    // Prepare: a tenant with a second key (the leaked one) and an endpoint that takes key.revoked
    const created = await admin('tenant', 'create', '--name', 'leaky');
    const own = apiClient(stack.url, /API key key_\w+: (vgl_\w+)/.exec(created)![1]!);
    const leaked = (await own.post('/v1/keys', { name: 'leaked in a log' })).json;
    const endpoint = (
      await own.post('/v1/notification-endpoints', { url: `${receiver.url}/operator-revoke`, events: ['key.revoked'] })
    ).json;
    const whsec = (await own.get('/v1/signing-secret')).json.secret as string;
    const arrivals = () => receiver.received.filter((r) => r.path === '/operator-revoke');

    // Act: the operator revokes it (from a shell that runs no engine), then again
    const loggedBefore = engineLog.length;
    const first = await admin('key', 'revoke', leaked.id);
    const again = await admin('key', 'revoke', leaked.id);

    // Assess: one event, signed with the tenant's secret, the key as the tenant's own revoke tells it
    expect(first).toContain(`Revoked ${leaked.id} (${leaked.prefix}...) of tenant `);
    expect(first).toContain('Its endpoints that take key.revoked are told');
    expect(again).toContain(`${leaked.id} (${leaked.prefix}...) of tenant `);
    expect(again).toContain('was revoked already; nothing more is told.');
    const [arrival] = await waitFor(
      async () => arrivals(),
      (list) => list.length > 0,
    );
    const event = new Webhook(whsec).verify(arrival!.body, {
      'webhook-id': String(arrival!.headers['webhook-id']),
      'webhook-timestamp': String(arrival!.headers['webhook-timestamp']),
      'webhook-signature': String(arrival!.headers['webhook-signature']),
    }) as { type: string; data: { key: Record<string, unknown> } };
    const listed = (await own.get('/v1/keys?include=revoked')).json.items.find(
      (k: { id: string }) => k.id === leaked.id,
    );
    expect(listed).toMatchObject({ revokedBy: 'operator' });
    expect(event).toMatchObject({ type: 'key.revoked' });
    expect(event.data.key).toEqual({
      id: leaked.id,
      name: 'leaked in a log',
      prefix: leaked.prefix,
      revokedAt: listed.revokedAt,
      revokedBy: 'operator',
    });
    // Listed on the endpoint like any notification, and nothing more sent past another sweep's grace.
    const deliveries = (await own.get(`/v1/notification-endpoints/${endpoint.id}/deliveries`)).json.items;
    expect(deliveries.map((m: { origin: { event: string } }) => m.origin.event)).toEqual(['key.revoked']);
    await new Promise((r) => setTimeout(r, 7_000));
    expect(arrivals()).toHaveLength(1);
    // Handed on by the sweep as stored for it: said at info, never warned of as a lost dispatch.
    const logged = engineLog.slice(loggedBefore);
    expect(logged.filter((l) => l.msg === 'sweep re-enqueued pending messages')).toEqual([]);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'info',
        msg: 'sweep handed on event deliveries stored for it',
        storedEvents: 1,
      }),
    );
  }, 40_000);

  it("keeps two tenants apart: one cannot read the other tenant's message", async () => {
    const keyOf = async (name: string) =>
      /API key key_\w+: (vgl_\w+)/.exec(await admin('tenant', 'create', '--name', name))![1]!;
    const a = apiClient(stack.url, await keyOf('a'));
    const b = apiClient(stack.url, await keyOf('b'));
    const message = (await a.post('/v1/messages', { url: 'http://127.0.0.1:9/x', delay: 600 })).json;
    expect((await b.get(`/v1/messages/${message.id}`)).status).toBe(404);
    expect((await b.get(`/v1/messages/${message.id}/attempts`)).status).toBe(404);
    expect((await b.patch(`/v1/messages/${message.id}`, { delay: 5 })).status).toBe(404);
    expect((await b.post(`/v1/messages/${message.id}/redeliver`)).status).toBe(404);
    expect((await b.delete(`/v1/messages/${message.id}`)).status).toBe(404);
    expect((await b.get('/v1/messages')).json.items).toEqual([]);
    // A's message is untouched by all of B's attempts.
    const after = (await a.get(`/v1/messages/${message.id}`)).json;
    expect(after).toMatchObject({ status: 'scheduled', sendAt: message.sendAt, updatedAt: message.updatedAt });
  });

  it("throttles a tenant beyond its plan's burst with 429, Retry-After, RateLimit-* and problem+json, and no one else", async () => {
    const keyOf = async (name: string) =>
      /API key key_\w+: (vgl_\w+)/.exec(await admin('tenant', 'create', '--name', name, '--plan', 'free'))![1]!;
    const noisy = apiClient(stack.url, await keyOf('noisy'));
    const quiet = apiClient(stack.url, await keyOf('quiet'));
    // One request first: a burst that all misses the authorizer's cache is counted as each check
    // answers, which a busy machine spreads past the plan's one-second refill. Three bursts' worth at
    // once: a machine that answers 30 a second still refuses 20 of them (the refill adds 10 a second),
    // where a burst and ten more were all let through on a loaded CI machine.
    expect((await noisy.get('/v1/messages?limit=1')).status).toBe(200);
    const answers = await Promise.all(
      Array.from({ length: PLANS.free.burst * 3 }, () => noisy.get('/v1/messages?limit=1')),
    );
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]?.headers.get('retry-after')).toBe('1');
    expect(refused[0]?.headers.get('ratelimit-limit')).toBe(String(PLANS.free.burst));
    expect(refused[0]?.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused[0]?.headers.get('ratelimit-reset')).toBe('1');
    expect(refused[0]?.headers.get('content-type')).toBe('application/problem+json');
    expect(refused[0]?.json.type).toBe('https://vigil.dev/problems/rate-limited');
    expect((await quiet.get('/v1/messages?limit=1')).status).toBe(200);
  });

  it('refuses an unknown plan and an unknown key with a clear message', async () => {
    await expect(admin('tenant', 'create', '--name', 'x', '--plan', 'gold')).rejects.toThrow(/gold/);
    await expect(admin('key', 'revoke', 'key_nope')).rejects.toThrow('No API key key_nope.');
  });

  it("gives a new tenant its API Gateway key in its plan's usage plan where the stack names an API Gateway", async () => {
    // Prepare: the test stack's table, seen through a data dir that also names an API Gateway emulator
    const emulator = await startApiGatewayEmulator({
      usagePlans: [{ name: 'vigil-free-ci' }, { name: 'vigil-pro-ci' }],
    });
    const dataDir = await mkdtemp(join(tmpdir(), 'vigil-admin-'));
    const endpoints = JSON.parse(await readFile(join(stack.dataDir, ENDPOINTS_FILE), 'utf8'));
    await writeFile(
      join(dataDir, ENDPOINTS_FILE),
      JSON.stringify({ ...endpoints, apigateway: emulator.endpoint, stage: 'ci' }),
    );

    try {
      // Act
      const created = await adminIn(dataDir, 'tenant', 'create', '--name', 'metered', '--plan', 'pro');

      // Assess
      const tenantId = /tenant (tnt_\w+)/.exec(created)![1]!;
      const apiKey = /API key key_\w+: (vgl_\w+)/.exec(created)![1]!;
      const usageKeyId = /Usage plan vigil-pro-ci: API Gateway key (\w+)/.exec(created)?.[1];
      const tenant = await stack.runtime.tenants.getTenant(tenantId);
      expect(usageKeyId).toBeDefined();
      expect(tenant).toMatchObject({ usageKeyId, usageKey: expect.stringMatching(/^[0-9A-Za-z]{40}$/) });
      expect(created).not.toContain(tenant!.usageKey);
      expect(emulator.usagePlans().map((p) => [p.name, p.keyIds])).toEqual([
        ['vigil-free-ci', []],
        ['vigil-pro-ci', [usageKeyId]],
      ]);
      expect((await apiClient(stack.url, apiKey).get('/v1/messages?limit=1')).status).toBe(200);
    } finally {
      await emulator.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses usage plans on a deployed stage that does not say which stage it is', async () => {
    // Prepare: a deployed stage's environment with usage plans on and no VIGIL_STAGE
    const names = ['VIGIL_TABLE', 'AWS_REGION', 'VIGIL_STAGE', 'VIGIL_USAGE_PLANS'] as const;
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    Object.assign(process.env, { VIGIL_TABLE: 'vigil-ci', AWS_REGION: 'us-east-1', VIGIL_USAGE_PLANS: 'on' });
    delete process.env.VIGIL_STAGE;
    const lines: string[] = [];

    try {
      // Act
      const run = adminProgram((line) => lines.push(line)).parseAsync([
        'node',
        'admin',
        'tenant',
        'create',
        '--name',
        'x',
      ]);

      // Assess
      await expect(run).rejects.toThrow('VIGIL_USAGE_PLANS=on needs VIGIL_STAGE');
      expect(lines).toEqual([]);
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it('binds tenants made without a usage key (tenant bind), and leaves bound ones alone', async () => {
    // A tenant made where usage plans were off: no API Gateway key, so API Gateway would refuse it.
    const { store } = stack.tenantAdmin;
    const unbound = await ensureTenant(stack.tenantAdmin.tenancy, {
      id: 'tnt_01JUNB0UND00000000000000000',
      name: 'old',
      plan: 'free',
    });
    expect(unbound.usageKey).toBeUndefined();
    expect(await admin('tenant', 'list')).toContain(`${unbound.id}  free`);
    expect(await admin('tenant', 'list')).toContain('(no usage key: tenant bind)');

    const first = await admin('tenant', 'bind', '--all');
    expect(first).toContain(`Bound ${unbound.id} to vigil-free-local: API Gateway key `);
    const bound = await store.getTenant(unbound.id);
    expect(bound?.usageKey).toEqual(expect.any(String));

    // Again: nothing left to do, and no second key.
    expect(await admin('tenant', 'bind', unbound.id)).toContain('already has its usage key');
    expect((await store.getTenant(unbound.id))?.usageKeyId).toBe(bound?.usageKeyId);
    await expect(admin('tenant', 'bind')).rejects.toThrow('Name the tenants to bind, or pass --all');
    await expect(admin('tenant', 'bind', 'tnt_nope')).rejects.toThrow('No tenant tnt_nope.');
  });

  it("moves a tenant to another plan, and its API Gateway key to that plan's usage plan", async () => {
    const created = await admin('tenant', 'create', '--name', 'growing');
    const tenantId = /tenant (tnt_\w+)/.exec(created)![1]!;
    const usagePlans = async () =>
      (
        JSON.parse(await readFile(join(stack.dataDir, 'apigateway.json'), 'utf8')) as {
          plans: Array<{ name: string; keyIds: string[] }>;
        }
      ).plans;
    const planHolding = async (keyId: string) =>
      (await usagePlans()).filter((p) => p.keyIds.includes(keyId)).map((p) => p.name);
    const { usageKeyId } = (await stack.tenantAdmin.store.getTenant(tenantId))!;
    expect(await planHolding(usageKeyId!)).toEqual(['vigil-free-local']);

    expect(await admin('tenant', 'plan', tenantId, 'pro')).toContain(
      `Moved ${tenantId} from plan free to pro (usage plan vigil-pro-local)`,
    );
    expect(await planHolding(usageKeyId!)).toEqual(['vigil-pro-local']);
    expect((await stack.tenantAdmin.store.getTenant(tenantId))?.plan).toBe('pro');
    expect(await admin('tenant', 'plan', tenantId, 'pro')).toContain('already on plan pro');
    await expect(admin('tenant', 'plan', tenantId, 'gold')).rejects.toThrow();
  });

  it('stores API keys only as hashes', async () => {
    const created = await admin('tenant', 'create', '--name', 'hashes');
    const apiKey = /(vgl_\w+)/.exec(created)![1]!;
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'us-east-1',
        endpoint: stack.runtime.config.endpoints.dynamodb,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      }),
    );
    const { Items = [] } = await db.send(new ScanCommand({ TableName: stack.runtime.config.table }));
    expect(JSON.stringify(Items)).not.toContain(apiKey);
    expect(JSON.stringify(Items)).toContain(apiKey.slice(0, 12));
  });
});
