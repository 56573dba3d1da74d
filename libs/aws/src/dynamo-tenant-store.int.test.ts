/**
 * Signing secret rotation on DynamoDB (DynamoTenantStore), on dynalite and DynamoDB Local: a
 * rotation applied whose answer was lost is reported as done (the caller is shown the secret that
 * now signs), and one that lost to another rotation is not; and a key revocation tells whether it
 * was this call's; a discarded key leaves nothing behind; a revoked key's records expire; a plan
 * or usage key set is what the tenant is read with at once, and refused for a tenant never made.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KEY_HISTORY_DAYS } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoBackends, withLostAnswer } from '../../../test-support/dynamo-backends';
import { DynamoTenantStore } from './dynamo-tenant-store';

const T0 = Date.parse('2026-12-03T09:00:00.000Z');

describe.each(dynamoBackends())('signing secret rotation on $name', ({ start, available }) => {
  let services: DynamoBackend;
  let store: DynamoTenantStore;
  beforeAll(async () => {
    if (!available) return;
    services = await start();
    store = new DynamoTenantStore(services.db, services.table, () => T0);
  }, 60_000);
  afterAll(() => services?.stop());

  it.runIf(available)('reports a rotation whose answer was lost as done, and a lost race as not', async () => {
    await store.insertTenant({
      id: 'tnt_rot',
      name: 'rot',
      plan: 'free',
      signingSecrets: ['whsec_old'],
      createdAt: T0,
    });
    const rotated = await withLostAnswer(services.db, 'UpdateItemCommand', () =>
      store.replaceSigningSecrets('tnt_rot', 'whsec_old', ['whsec_new', 'whsec_old'], [T0 + 1]),
    );
    expect(rotated).toEqual({ result: true, sends: 2 });
    expect(await store.getTenant('tnt_rot')).toMatchObject({
      signingSecrets: ['whsec_new', 'whsec_old'],
      rotatedAt: T0 + 1,
      retiredAt: [T0 + 1],
    });
    // A second rotation from the old secret lost the race: refused.
    expect(await store.replaceSigningSecrets('tnt_rot', 'whsec_old', ['whsec_other', 'whsec_old'], [T0 + 2])).toBe(
      false,
    );
    expect((await store.getTenant('tnt_rot'))?.signingSecrets).toEqual(['whsec_new', 'whsec_old']);
  });

  it.runIf(available)(
    'sets a plan and a usage key, read at once where a copy was cached, and refuses a tenant never made',
    async () => {
      await store.insertTenant({
        id: 'tnt_plan',
        name: 'plan',
        plan: 'free',
        signingSecrets: ['whsec_p'],
        createdAt: T0,
      });
      expect(await store.recentTenant('tnt_plan')).toMatchObject({ plan: 'free' });

      await store.setPlan('tnt_plan', 'pro');
      await store.setUsageKey('tnt_plan', { usageKeyId: 'uk_1', usageKey: 'usage-key-1' });

      // Within the cache's minute: the copy read before was forgotten, not served.
      expect(await store.recentTenant('tnt_plan')).toMatchObject({
        plan: 'pro',
        usageKeyId: 'uk_1',
        usageKey: 'usage-key-1',
      });
      await expect(store.setPlan('tnt_none', 'pro')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      await expect(
        store.setUsageKey('tnt_none', { usageKeyId: 'uk_2', usageKey: 'usage-key-2' }),
      ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      expect(await store.getTenant('tnt_none')).toBeUndefined();
    },
  );

  it.runIf(available)('tells a key revoked by this call from one revoked before, a lost answer included', async () => {
    const key = { keyId: 'key_rev', tenantId: 'tnt_rev', hash: 'h_rev', prefix: 'vgl_rev', name: 'ci', createdAt: T0 };
    await store.addApiKey(key);
    const revoked = await withLostAnswer(services.db, 'UpdateItemCommand', () =>
      store.revokeTenantApiKey('tnt_rev', 'key_rev', T0 + 1, 'key_rev'),
    );
    // The key as revoked, for its announcement: no listing of the tenant's keys needed.
    const asRevoked = {
      id: 'key_rev',
      name: 'ci',
      prefix: 'vgl_rev',
      createdAt: T0,
      revokedAt: T0 + 1,
      revokedBy: 'key_rev',
    };
    expect(revoked.result).toEqual({ key: asRevoked, revokedNow: true });
    expect(await store.revokeTenantApiKey('tnt_rev', 'key_rev', T0 + 2, 'console')).toEqual({
      key: asRevoked,
      revokedNow: false,
    });
    expect(await store.revokeTenantApiKey('tnt_rev', 'key_none', T0 + 2, 'console')).toBeUndefined();
  });

  it.runIf(available)('discards a key as if never made: both its records, no revocation left', async () => {
    const key = {
      keyId: 'key_past',
      tenantId: 'tnt_disc',
      hash: 'h_past',
      prefix: 'vgl_past',
      name: 'ci',
      createdAt: T0,
    };
    await store.addApiKey(key);
    expect(await store.findApiKey('h_past')).toMatchObject({ tenantId: 'tnt_disc', keyId: 'key_past' });
    await store.discardApiKey('tnt_disc', 'key_past');
    expect(await store.findApiKey('h_past')).toBeUndefined();
    expect(await store.listApiKeys('tnt_disc', { revokedSince: 0 })).toEqual([]);
    await store.discardApiKey('tnt_disc', 'key_past'); // again: nothing there, nothing done
  });

  it.runIf(available)(
    'lets both records of a revoked key expire once it is no longer listed, from its first revocation',
    async () => {
      const key = {
        keyId: 'key_old',
        tenantId: 'tnt_ttl',
        hash: 'h_old',
        prefix: 'vgl_old',
        name: 'ci',
        createdAt: T0,
      };
      await store.addApiKey(key);
      await store.revokeTenantApiKey('tnt_ttl', 'key_old', T0 + 5, 'console');
      await store.revokeTenantApiKey('tnt_ttl', 'key_old', T0 + 9_000, 'operator');
      const read = async (pk: string, sk: string) =>
        (await services.db.send(new GetCommand({ TableName: services.table, Key: { pk, sk } }))).Item;
      const ends = T0 + 5 + KEY_HISTORY_DAYS * 86_400_000;
      for (const item of [await read('K#h_old', 'KEY'), await read('T#tnt_ttl', 'KEY#key_old')]) {
        expect(item).toMatchObject({ revokedAt: T0 + 5, expiresAtMs: ends, expiresAt: Math.ceil(ends / 1000) });
      }
      // An active key never expires.
      await store.addApiKey({ ...key, keyId: 'key_live', hash: 'h_live' });
      expect(await read('T#tnt_ttl', 'KEY#key_live')).not.toHaveProperty('expiresAtMs');
    },
  );
});
