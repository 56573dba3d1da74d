import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  GetApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { hashApiKey, PLANS, provisionTenant, tenantForUser } from '@vigil/core';
import type { ApiGatewayEmulator, UsagePlanSeed } from '@vigil/local/api-gateway-emulator';
import { startApiGatewayEmulator } from '@vigil/local/api-gateway-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { startDynalite } from '../../../test-support/dynamo-backends';
import {
  ApiGatewayUsagePlanBinder,
  UsageKeyConflictError,
  USAGE_KEY_STAGE_TAG,
  USAGE_KEY_TENANT_TAG,
  UsagePlanNotFoundError,
  usageKeyName,
  usagePlanName,
} from './api-gateway-usage-plans';
import { DynamoTenantStore } from './dynamo-tenant-store';
import { DynamoUsageLedger } from './dynamo-usage-ledger';
import { createLogger } from './logger';
import { systemClock } from './system-clock';

const STAGE = 'test';
const API_STAGE = [{ apiId: 'restapi001', stage: STAGE }];

/** The stage's usage plans, as the deployment makes them (infra/api.ts), on one API stage. */
const stagePlans = (stage = STAGE): UsagePlanSeed[] =>
  Object.entries(PLANS).map(([plan, limits]) => ({
    name: usagePlanName(plan, stage),
    throttle: { rateLimit: limits.ratePerSecond, burstLimit: limits.burst },
    quota: { limit: limits.monthlyRequests, period: 'MONTH' },
  }));

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const service of running.splice(0).reverse()) await service.stop();
});

/** The emulator, a client of it that counts the commands it sends, and a binder for STAGE. */
const start = async (usagePlans: UsagePlanSeed[] = stagePlans()) => {
  const emulator = await startApiGatewayEmulator({ usagePlans });
  const client = new APIGatewayClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      calls.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'commandCounter' },
  );
  running.push({ stop: () => emulator.stop() }, { stop: async () => client.destroy() });
  return { emulator, client, calls, binder: new ApiGatewayUsagePlanBinder(STAGE, client) };
};

const planNamed = (emulator: ApiGatewayEmulator, name: string) => emulator.usagePlans().find((p) => p.name === name)!;

describe('ApiGatewayUsagePlanBinder', () => {
  describe('binding', () => {
    it("puts the tenant's own enabled API key into its plan's usage plan on this stage, and only there", async () => {
      // Prepare: the plans of this stage and of another one
      const { emulator, client, binder } = await start([...stagePlans(), ...stagePlans('prod')]);

      // Act
      const bound = await binder.bind({ id: 'tnt_pro', plan: 'pro' });

      // Assess
      const key = await client.send(new GetApiKeyCommand({ apiKey: bound.usageKeyId, includeValue: true }));
      expect(key).toMatchObject({ name: 'vigil-test-tnt_pro', enabled: true, tags: { tenantId: 'tnt_pro' } });
      expect(bound.usageKey).toBe(key.value);
      expect(bound.usageKey).toMatch(/^[0-9A-Za-z]{40}$/);
      const holding = emulator.usagePlans().filter((p) => p.keyIds.includes(bound.usageKeyId));
      expect(holding.map((p) => p.name)).toEqual(['vigil-pro-test']);
    });

    it('tags the key it makes with its stage, the one tag the deployed function may delete keys by', async () => {
      // Prepare
      const { client, binder } = await start();

      // Act
      const bound = await binder.bind({ id: 'tnt_tagged', plan: 'free' });

      // Assess
      const key = await client.send(new GetApiKeyCommand({ apiKey: bound.usageKeyId }));
      expect(key.tags).toEqual({ [USAGE_KEY_TENANT_TAG]: 'tnt_tagged', [USAGE_KEY_STAGE_TAG]: STAGE });
    });

    it('gives two tenants two different keys', async () => {
      const { binder } = await start();
      const a = await binder.bind({ id: 'tnt_a', plan: 'free' });
      const b = await binder.bind({ id: 'tnt_b', plan: 'free' });
      expect(a.usageKeyId).not.toBe(b.usageKeyId);
      expect(a.usageKey).not.toBe(b.usageKey);
    });

    it('finds its usage plan beyond the first page of usage plans', async () => {
      // Prepare: 600 other plans first, so the stage's plans come on the second page of 500
      const others = Array.from({ length: 600 }, (_, i) => ({ name: `someone-else-${i}` }));
      const { emulator, binder } = await start([...others, ...stagePlans()]);

      // Act
      const bound = await binder.bind({ id: 'tnt_far', plan: 'free' });

      // Assess
      expect(planNamed(emulator, 'vigil-free-test').keyIds).toEqual([bound.usageKeyId]);
    });

    it('looks each usage plan up once, then binds a new tenant with four calls', async () => {
      // Prepare
      const { binder, calls } = await start();
      await binder.bind({ id: 'tnt_1', plan: 'free' });
      calls.length = 0;

      // Act
      await binder.bind({ id: 'tnt_2', plan: 'free' });

      // Assess: find the key (none), make it, check it is the only one of its name, add it to the plan
      expect(calls).toEqual([
        'GetApiKeysCommand',
        'CreateApiKeyCommand',
        'GetApiKeysCommand',
        'CreateUsagePlanKeyCommand',
      ]);
    });
  });

  describe('retries', () => {
    it('binding the same tenant again returns the same key and makes no second one', async () => {
      // Prepare
      const { emulator, client, binder } = await start();
      const first = await binder.bind({ id: 'tnt_retry', plan: 'pro' });

      // Act
      const second = await binder.bind({ id: 'tnt_retry', plan: 'pro' });
      const fromAnotherProcess = await new ApiGatewayUsagePlanBinder(STAGE, client).bind({
        id: 'tnt_retry',
        plan: 'pro',
      });

      // Assess
      expect(second).toEqual(first);
      expect(fromAnotherProcess).toEqual(first);
      expect(emulator.apiKeys().map((k) => k.name)).toEqual(['vigil-test-tnt_retry']);
      expect(planNamed(emulator, 'vigil-pro-test').keyIds).toEqual([first.usageKeyId]);
    });

    it('completes a bind that stopped after making the key: the key is reused and added to the plan', async () => {
      // Prepare: the key exists (as an interrupted bind leaves it), plus a key whose name it is a prefix of
      const { emulator, client, binder } = await start();
      const made = await client.send(
        new CreateApiKeyCommand({ name: usageKeyName(STAGE, 'tnt_1'), enabled: true, value: 'v'.repeat(40) }),
      );
      await client.send(new CreateApiKeyCommand({ name: usageKeyName(STAGE, 'tnt_10'), value: 'w'.repeat(40) }));

      // Act
      const bound = await binder.bind({ id: 'tnt_1', plan: 'free' });

      // Assess
      expect(bound).toEqual({ usageKeyId: made.id, usageKey: 'v'.repeat(40) });
      expect(emulator.apiKeys()).toHaveLength(2);
      expect(planNamed(emulator, 'vigil-free-test').keyIds).toEqual([made.id]);
    });

    it('two binds of one tenant at once end with one key, which both return', async () => {
      // Prepare
      const { emulator, client } = await start();
      const binders = [new ApiGatewayUsagePlanBinder(STAGE, client), new ApiGatewayUsagePlanBinder(STAGE, client)];

      // Act
      const [a, b] = await Promise.all(binders.map((binder) => binder.bind({ id: 'tnt_race', plan: 'free' })));

      // Assess
      expect(a).toEqual(b);
      expect(emulator.apiKeys().map((k) => k.id)).toEqual([a!.usageKeyId]);
      expect(planNamed(emulator, 'vigil-free-test').keyIds).toEqual([a!.usageKeyId]);
    });
  });

  describe('errors', () => {
    it('says which usage plan is missing, and binds once the plan exists (the failure is not cached)', async () => {
      // Prepare: a stage whose plans were never deployed
      const { emulator, client, binder } = await start(stagePlans('prod'));

      // Act
      const missing = await binder.bind({ id: 'tnt_x', plan: 'pro' }).catch((error: unknown) => error);
      await client.send(new CreateUsagePlanCommand({ name: 'vigil-pro-test' }));
      const bound = await binder.bind({ id: 'tnt_x', plan: 'pro' });

      // Assess
      expect(missing).toBeInstanceOf(UsagePlanNotFoundError);
      expect((missing as Error).message).toBe(
        'No API Gateway usage plan named vigil-pro-test for plan pro on stage test: deploy the stage first, or check VIGIL_STAGE.',
      );
      expect(planNamed(emulator, 'vigil-pro-test').keyIds).toEqual([bound.usageKeyId]);
    });

    it('refuses, clearly, to bind a key that another plan on the same API stage already holds', async () => {
      // Prepare: the tenant's key is in the free plan; both plans serve the same API stage
      const { binder } = await start(stagePlans().map((plan) => ({ ...plan, apiStages: API_STAGE })));
      const free = await binder.bind({ id: 'tnt_up', plan: 'free' });

      // Act
      const error = await binder.bind({ id: 'tnt_up', plan: 'pro' }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(UsageKeyConflictError);
      expect((error as Error).message).toMatch(
        new RegExp(`^API key ${free.usageKeyId} could not join usage plan vigil-pro-test \\(\\w+\\): .*same API Stage`),
      );
      expect((error as Error).cause).toMatchObject({ name: 'ConflictException' });
    });
  });
});

describe('provisioning tenants with API Gateway usage plans', () => {
  let dynamo: DynamoBackend;

  const provisioner = async () => {
    dynamo = await startDynalite();
    running.push(dynamo);
    const { emulator, binder } = await start();
    const tenants = new DynamoTenantStore(dynamo.db, dynamo.table);
    const deps = {
      tenants,
      keys: tenants,
      users: tenants,
      sessions: tenants,
      usagePlans: binder,
      ledger: new DynamoUsageLedger(dynamo.db, dynamo.table),
      clock: systemClock,
      log: createLogger('silent'),
    };
    return { emulator, tenants, deps };
  };

  it("creates a tenant whose item carries its usage plan key, in its plan's usage plan, and whose first key works", async () => {
    // Prepare
    const { emulator, tenants, deps } = await provisioner();

    // Act
    const created = await provisionTenant(deps, { name: 'acme', plan: 'pro' });

    // Assess
    const stored = await tenants.getTenant(created.tenant.id);
    expect(stored?.usageKeyId).toEqual(expect.any(String));
    expect(stored?.usageKey).toMatch(/^[0-9A-Za-z]{40}$/);
    expect(created.tenant).toMatchObject({ usageKeyId: stored?.usageKeyId, usageKey: stored?.usageKey });
    expect(planNamed(emulator, 'vigil-pro-test').keyIds).toEqual([stored?.usageKeyId]);
    expect(emulator.apiKeys()).toEqual([
      {
        id: stored?.usageKeyId,
        name: `vigil-test-${created.tenant.id}`,
        enabled: true,
        tags: { tenantId: created.tenant.id, [USAGE_KEY_STAGE_TAG]: STAGE },
      },
    ]);
    expect(await tenants.findApiKey(hashApiKey(created.apiKey))).toEqual({
      tenantId: created.tenant.id,
      keyId: created.keyId,
    });
  });

  it("binds a web user's tenant on the first sign-in only", async () => {
    // Prepare
    const { emulator, tenants, deps } = await provisioner();
    const user = { id: 'cognito-sub-1', email: 'ada@example.com' };

    // Act
    const first = await tenantForUser(deps, user);
    const again = await tenantForUser(deps, user);

    // Assess
    expect(again).toMatchObject({ id: first.id, usageKeyId: first.usageKeyId, usageKey: first.usageKey });
    expect((await tenants.getTenant(first.id))?.usageKeyId).toBe(first.usageKeyId);
    expect(planNamed(emulator, 'vigil-free-test').keyIds).toEqual([first.usageKeyId]);
    expect(emulator.apiKeys()).toHaveLength(1);
  });
});
