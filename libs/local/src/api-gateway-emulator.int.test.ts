import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  paginateGetApiKeys,
} from '@aws-sdk/client-api-gateway';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiGatewayEmulator, ApiGatewayEmulatorOptions } from './api-gateway-emulator';
import { startApiGatewayEmulator } from './api-gateway-emulator';

const running: Array<{ emulator: ApiGatewayEmulator; client: APIGatewayClient }> = [];

const start = async (options: ApiGatewayEmulatorOptions = {}) => {
  const emulator = await startApiGatewayEmulator(options);
  const client = new APIGatewayClient({
    region: 'us-east-1',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  running.push({ emulator, client });
  return { emulator, client };
};

afterEach(async () => {
  for (const { emulator, client } of running.splice(0)) {
    client.destroy();
    await emulator.stop();
  }
});

/** `ConflictException: API Key already exists`, or `resolved`. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: Error) => `${error.name}: ${error.message}`,
  );

const STAGE = [{ apiId: 'a1b2c3d4e5', stage: 'dev' }];

describe('API Gateway emulator', () => {
  describe('usage plans', () => {
    it('creates a usage plan with its throttle and quota and lists it, seeded ones included', async () => {
      // Prepare
      const { client } = await start({
        usagePlans: [{ name: 'vigil-free-dev', throttle: { rateLimit: 10, burstLimit: 20 } }],
      });

      // Act
      const created = await client.send(
        new CreateUsagePlanCommand({
          name: 'vigil-pro-dev',
          apiStages: STAGE,
          throttle: { rateLimit: 100, burstLimit: 200 },
          quota: { limit: 1_000_000, period: 'MONTH' },
        }),
      );
      const listed = await client.send(new GetUsagePlansCommand({}));

      // Assess
      expect(created.id).toMatch(/^[a-z0-9]{6}$/);
      expect(created).toMatchObject({
        name: 'vigil-pro-dev',
        apiStages: STAGE,
        throttle: { rateLimit: 100, burstLimit: 200 },
        quota: { limit: 1_000_000, period: 'MONTH' },
      });
      expect(listed.items?.map((p) => [p.name, p.throttle?.rateLimit])).toEqual([
        ['vigil-free-dev', 10],
        ['vigil-pro-dev', 100],
      ]);
      expect(listed.position).toBeUndefined();
    });

    it('refuses a usage plan without a name with BadRequestException', async () => {
      const { client } = await start();
      expect(await outcome(client.send(new CreateUsagePlanCommand({ name: '' })))).toMatch(/^BadRequestException: /);
    });
  });

  describe('API keys', () => {
    it('creates an enabled key with its value and tags, and shows the value only when asked', async () => {
      // Prepare
      const { client } = await start();
      const value = 'v'.repeat(30);

      // Act
      const created = await client.send(
        new CreateApiKeyCommand({ name: 'vigil-dev-tnt_a', enabled: true, value, tags: { tenantId: 'tnt_a' } }),
      );
      const withoutValue = await client.send(new GetApiKeyCommand({ apiKey: created.id! }));
      const withValue = await client.send(new GetApiKeyCommand({ apiKey: created.id!, includeValue: true }));
      const listedWithout = await client.send(new GetApiKeysCommand({}));
      const listedWith = await client.send(new GetApiKeysCommand({ includeValues: true }));

      // Assess
      expect(created.id).toMatch(/^[a-z0-9]{10}$/);
      expect(created).toMatchObject({ name: 'vigil-dev-tnt_a', enabled: true, value, tags: { tenantId: 'tnt_a' } });
      expect(created.createdDate).toBeInstanceOf(Date);
      expect(Math.abs(created.createdDate!.getTime() - Date.now())).toBeLessThan(5000);
      expect(withoutValue.value).toBeUndefined();
      expect(withValue.value).toBe(value);
      expect(listedWithout.items?.map((k) => k.value)).toEqual([undefined]);
      expect(listedWith.items?.map((k) => k.value)).toEqual([value]);
    });

    it('generates a value when none is given, and refuses a short or a repeated value', async () => {
      // Prepare
      const { client } = await start();
      const value = 'x'.repeat(20);
      await client.send(new CreateApiKeyCommand({ name: 'first', value }));

      // Act
      const generated = await client.send(new CreateApiKeyCommand({ name: 'generated' }));
      const short = await outcome(client.send(new CreateApiKeyCommand({ name: 'short', value: 'x'.repeat(19) })));
      const repeated = await outcome(client.send(new CreateApiKeyCommand({ name: 'again', value })));

      // Assess
      expect(generated.value?.length).toBeGreaterThanOrEqual(20);
      expect(generated.enabled).toBe(false);
      expect(short).toMatch(/^BadRequestException: .*at least 20 characters/);
      expect(repeated).toBe('ConflictException: API Key already exists');
    });

    it('matches names by prefix, as the service does, and allows two keys of one name', async () => {
      // Prepare
      const { client } = await start();
      for (const name of ['vigil-dev-tnt_1', 'vigil-dev-tnt_1', 'vigil-dev-tnt_12', 'vigil-prod-tnt_1'])
        await client.send(new CreateApiKeyCommand({ name }));

      // Act
      const listed = await client.send(new GetApiKeysCommand({ nameQuery: 'vigil-dev-tnt_1' }));

      // Assess
      expect(listed.items?.map((k) => k.name)).toEqual(['vigil-dev-tnt_1', 'vigil-dev-tnt_1', 'vigil-dev-tnt_12']);
    });

    it('pages a long list with position and limit, which the SDK paginator follows to the end', async () => {
      // Prepare
      const { client } = await start();
      for (let i = 0; i < 7; i += 1) await client.send(new CreateApiKeyCommand({ name: `key-${i}` }));

      // Act
      const first = await client.send(new GetApiKeysCommand({ limit: 3 }));
      const names: string[] = [];
      for await (const page of paginateGetApiKeys({ client, pageSize: 3 }, {}))
        names.push(...(page.items ?? []).map((k) => k.name!));
      const tooMany = await outcome(client.send(new GetApiKeysCommand({ limit: 501 })));

      // Assess
      expect(first.items).toHaveLength(3);
      expect(first.position).toEqual(expect.any(String));
      expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `key-${i}`));
      expect(tooMany).toMatch(/^BadRequestException: /);
    });

    it('deletes a key, which also leaves its usage plan; a missing key is NotFoundException', async () => {
      // Prepare
      const { client, emulator } = await start({ usagePlans: [{ name: 'plan' }] });
      const planId = emulator.usagePlans()[0]!.id;
      const key = await client.send(new CreateApiKeyCommand({ name: 'gone' }));
      await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id!, keyType: 'API_KEY' }));

      // Act
      await client.send(new DeleteApiKeyCommand({ apiKey: key.id! }));

      // Assess
      expect(await outcome(client.send(new GetApiKeyCommand({ apiKey: key.id! })))).toBe(
        'NotFoundException: Invalid API Key identifier specified',
      );
      expect(await outcome(client.send(new DeleteApiKeyCommand({ apiKey: key.id! })))).toMatch(/^NotFoundException/);
      expect((await client.send(new GetUsagePlanKeysCommand({ usagePlanId: planId }))).items).toEqual([]);
    });
  });

  describe('usage plan keys', () => {
    it('adds a key to a plan once: the second time is ConflictException, and the key is listed once', async () => {
      // Prepare
      const { client, emulator } = await start({ usagePlans: [{ name: 'vigil-pro-dev' }] });
      const usagePlanId = emulator.usagePlans()[0]!.id;
      const key = await client.send(new CreateApiKeyCommand({ name: 'vigil-dev-tnt_a', value: 'k'.repeat(32) }));
      const add = () => client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id!, keyType: 'API_KEY' }));

      // Act
      const added = await add();
      const again = await outcome(add());
      const listed = await client.send(new GetUsagePlanKeysCommand({ usagePlanId }));
      const one = await client.send(new GetUsagePlanKeyCommand({ usagePlanId, keyId: key.id! }));
      const plansOfKey = await client.send(new GetUsagePlansCommand({ keyId: key.id! }));

      // Assess
      const planKey = { id: key.id, type: 'API_KEY', name: 'vigil-dev-tnt_a', value: 'k'.repeat(32) };
      expect(added).toMatchObject(planKey);
      expect(again).toMatch(/^ConflictException: /);
      expect(listed.items).toEqual([planKey]);
      expect(one).toMatchObject(planKey);
      expect(plansOfKey.items?.map((p) => p.name)).toEqual(['vigil-pro-dev']);
      expect(emulator.usagePlans()).toEqual([{ id: usagePlanId, name: 'vigil-pro-dev', keyIds: [key.id] }]);
    });

    it('keeps a key out of two plans on the same API stage, but lets it into plans on different stages', async () => {
      // Prepare
      const { client } = await start();
      const plan = async (name: string, stage: string) =>
        (await client.send(new CreateUsagePlanCommand({ name, apiStages: [{ apiId: 'api', stage }] }))).id!;
      const free = await plan('vigil-free-dev', 'dev');
      const pro = await plan('vigil-pro-dev', 'dev');
      const other = await plan('vigil-free-prod', 'prod');
      const key = await client.send(new CreateApiKeyCommand({ name: 'k' }));
      const add = (usagePlanId: string) =>
        outcome(client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id!, keyType: 'API_KEY' })));

      // Act
      const intoFree = await add(free);
      const intoPro = await add(pro);
      const intoOther = await add(other);

      // Assess
      expect(intoFree).toBe('resolved');
      expect(intoPro).toMatch(/^ConflictException: .*multiple Usage Plans with the same API Stage/);
      expect(intoOther).toBe('resolved');
    });

    it('answers an unknown plan or key with NotFoundException and a wrong key type with BadRequestException', async () => {
      // Prepare
      const { client, emulator } = await start({ usagePlans: [{ name: 'plan' }] });
      const usagePlanId = emulator.usagePlans()[0]!.id;
      const key = await client.send(new CreateApiKeyCommand({ name: 'k' }));

      // Act
      const noPlan = await outcome(
        client.send(new CreateUsagePlanKeyCommand({ usagePlanId: 'nope00', keyId: key.id!, keyType: 'API_KEY' })),
      );
      const noKey = await outcome(
        client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: 'nope000000', keyType: 'API_KEY' })),
      );
      const wrongType = await outcome(
        client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id!, keyType: 'COGNITO' })),
      );
      const notInPlan = await outcome(client.send(new GetUsagePlanKeyCommand({ usagePlanId, keyId: key.id! })));
      const keysOfNoPlan = await outcome(client.send(new GetUsagePlanKeysCommand({ usagePlanId: 'nope00' })));

      // Assess
      expect(noPlan).toBe('NotFoundException: Invalid Usage Plan ID specified');
      expect(noKey).toBe('NotFoundException: Invalid API Key identifier specified');
      expect(wrongType).toMatch(/^BadRequestException: keyType/);
      expect(notInPlan).toMatch(/^NotFoundException: /);
      expect(keysOfNoPlan).toBe('NotFoundException: Invalid Usage Plan ID specified');
    });

    it('removes a key from a plan, leaving the key itself', async () => {
      // Prepare
      const { client, emulator } = await start({ usagePlans: [{ name: 'plan' }] });
      const usagePlanId = emulator.usagePlans()[0]!.id;
      const key = await client.send(new CreateApiKeyCommand({ name: 'k' }));
      await client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id!, keyType: 'API_KEY' }));

      // Act
      await client.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId: key.id! }));
      const again = await outcome(client.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId: key.id! })));

      // Assess
      expect((await client.send(new GetUsagePlanKeysCommand({ usagePlanId }))).items).toEqual([]);
      expect((await client.send(new GetApiKeyCommand({ apiKey: key.id! }))).name).toBe('k');
      expect(again).toMatch(/^NotFoundException: /);
    });
  });

  describe('state across restarts', () => {
    it('keeps plans, keys and memberships in statePath, and does not seed a plan twice', async () => {
      // Prepare
      const statePath = join(await mkdtemp(join(tmpdir(), 'vigil-apigw-')), 'apigateway.json');
      const seeds = { statePath, usagePlans: [{ name: 'vigil-free-local' }] };
      const first = await start(seeds);
      const usagePlanId = first.emulator.usagePlans()[0]!.id;
      const key = await first.client.send(new CreateApiKeyCommand({ name: 'tenant', enabled: true }));
      await first.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: key.id!, keyType: 'API_KEY' }));
      await first.emulator.stop();

      // Act
      const second = await start(seeds);

      // Assess
      expect(second.emulator.usagePlans()).toEqual([{ id: usagePlanId, name: 'vigil-free-local', keyIds: [key.id] }]);
      const kept = await second.client.send(new GetApiKeyCommand({ apiKey: key.id!, includeValue: true }));
      expect(kept.value).toBe(key.value);
    });
  });
});
