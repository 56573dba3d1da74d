/**
 * A key's creation with an Idempotency-Key, in memory at a fixed clock: a repeat makes no second key
 * and answers the key without its secret (kept nowhere but as a hash), whether the first request
 * answered, or died after making the key (its answer, and the secret, lost); a request that died
 * before making it is finished by the retry, which does show the secret (it made the key).
 */
import { describe, expect, it } from 'vitest';
import {
  createApiKey,
  createApiKeyIdempotently,
  IDEMPOTENCY_LEASE_MS,
  IdempotencyKeyReusedError,
  newApiKeyId,
  provisionTenant,
  requestFingerprint,
} from '../src';
import { MemoryStore, silentLog } from './memory-ports';
import { tenancyPorts } from './memory-tenancy-ports';

const T0 = Date.parse('2026-12-07T09:00:00.000Z');

const setup = async () => {
  const ports = tenancyPorts(T0);
  const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
  const store = new MemoryStore(() => ports.clock.now());
  const deps = { tenancy: ports.deps, idempotency: { store, clock: ports.clock, log: silentLog } };
  const keys = () => ports.keys.listApiKeys(tenant.id);
  /** The key `idempotencyKey` as a request that died left it: bound to `keyId`, its lease over. */
  const boundByDeadRequest = async (idempotencyKey: string, name: string, keyId: string) => {
    const record = {
      messageIds: [keyId],
      fingerprint: requestFingerprint('POST /v1/keys', { name }),
      owner: keyId,
      leaseUntil: T0 + IDEMPOTENCY_LEASE_MS,
    };
    expect(await store.claimIdempotencyKey(tenant.id, idempotencyKey, record, T0, 86_400_000)).toEqual({
      claimed: true,
    });
  };
  return { ports, deps, tenant, keys, boundByDeadRequest };
};

describe('creating an API key with an Idempotency-Key', () => {
  it('makes one key: the repeat answers it without its secret, and a key reused for another name is refused', async () => {
    const { deps, tenant, keys } = await setup();
    const before = (await keys()).length;

    const first = await createApiKeyIdempotently(deps, tenant.id, 'ci', 'k1');
    const repeat = await createApiKeyIdempotently(deps, tenant.id, 'ci', 'k1');

    expect(first.created).toBe(true);
    expect(first.apiKey.key).toMatch(/^vgl_/);
    expect(repeat.created).toBe(false);
    expect(repeat.apiKey).toEqual({ id: first.apiKey.id, name: 'ci', prefix: first.apiKey.prefix, createdAt: T0 });
    expect(await keys()).toHaveLength(before + 1);
    await expect(createApiKeyIdempotently(deps, tenant.id, 'other', 'k1')).rejects.toThrow(IdempotencyKeyReusedError);
    expect(await keys()).toHaveLength(before + 1);
  });

  it('answers a retry of a request that died after making the key with that key, without its secret, and makes none', async () => {
    const { ports, deps, tenant, keys, boundByDeadRequest } = await setup();
    const keyId = newApiKeyId(T0);
    await boundByDeadRequest('k-dead-after', 'ci', keyId);
    await createApiKey(ports.deps, tenant.id, 'ci', keyId);
    const before = (await keys()).length;
    ports.clock.advance(IDEMPOTENCY_LEASE_MS + 1);

    const retry = await createApiKeyIdempotently(deps, tenant.id, 'ci', 'k-dead-after');

    expect(retry.created).toBe(false);
    expect(retry.apiKey.id).toBe(keyId);
    expect(retry.apiKey.key).toBeUndefined();
    expect(await keys()).toHaveLength(before);
  });

  it('finishes a request that died before making the key: the retry makes it, under the bound id, and shows its secret', async () => {
    const { ports, deps, tenant, keys, boundByDeadRequest } = await setup();
    const keyId = newApiKeyId(T0);
    await boundByDeadRequest('k-dead-before', 'ci', keyId);
    const before = (await keys()).length;
    ports.clock.advance(IDEMPOTENCY_LEASE_MS + 1);

    const retry = await createApiKeyIdempotently(deps, tenant.id, 'ci', 'k-dead-before');

    expect(retry.created).toBe(true);
    expect(retry.apiKey.id).toBe(keyId);
    expect(retry.apiKey.key).toMatch(/^vgl_/);
    expect(await keys()).toHaveLength(before + 1);
  });

  it('answers the key as it is now when it was revoked since, still without making another', async () => {
    const { ports, deps, tenant, keys } = await setup();
    const first = await createApiKeyIdempotently(deps, tenant.id, 'ci', 'k-revoked');
    ports.clock.advance(60_000);
    await ports.keys.revokeTenantApiKey(tenant.id, first.apiKey.id, ports.clock.now(), 'session');
    const before = (await keys()).length;

    const repeat = await createApiKeyIdempotently(deps, tenant.id, 'ci', 'k-revoked');

    expect(repeat).toMatchObject({ created: false, apiKey: { id: first.apiKey.id, revokedAt: T0 + 60_000 } });
    expect(await keys()).toHaveLength(before);
  });
});
