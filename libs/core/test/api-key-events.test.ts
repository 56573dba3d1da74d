/** API keys made and revoked through one use case, told to the tenant's endpoints once, whoever revoked them. */
import { describe, expect, it } from 'vitest';
import {
  ApiKeyNotFoundError,
  authorizeCaller,
  createAndAnnounceApiKey,
  OPERATOR_KEY_ID,
  provisionTenant,
  revokeAndAnnounceApiKey,
  SESSION_KEY_ID,
  sweepPending,
} from '../src';
import { deliveryHarness, MemoryEndpoints } from './memory-ports';
import { tenancyPorts } from './memory-tenancy-ports';

const T0 = Date.parse('2026-12-07T09:00:00.000Z');

/** A tenant with an endpoint that takes key events, and the engine the events go through. */
const setup = async () => {
  const ports = tenancyPorts(T0);
  const { tenant, keyId, apiKey } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
  const endpoints = new MemoryEndpoints();
  await endpoints.addEndpoint({
    id: 'nep_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T',
    tenantId: tenant.id,
    url: 'https://example.com/keys',
    events: ['key.created', 'key.revoked'],
    createdAt: T0,
  });
  const engine = deliveryHarness({ t0: T0, secret: 'whsec_test' });
  const deps = { tenancy: ports.deps, events: { ...engine.deps, endpoints } };
  /** The key events stored for the tenant's endpoint: their type and the key they name. */
  const told = () =>
    [...engine.store.messages.values()]
      .filter((m) => m.origin?.kind === 'notification')
      .map((m) => JSON.parse(m.body) as { type: string; data: { key: { id: string; revokedAt?: string } } })
      .map(({ type, data }) => ({ type, key: data.key.id }));
  return { ports, deps, tenant, keyId, apiKey, told, engine };
};

describe('revoking an API key', () => {
  it('tells the tenant once when it revokes its own key, however often the revoke is repeated', async () => {
    // Prepare
    const { deps, tenant, keyId, told } = await setup();

    // Act: the console revokes it, then again (a retry after a lost answer)
    const first = await revokeAndAnnounceApiKey(deps, { tenantId: tenant.id, keyId, by: SESSION_KEY_ID });
    const again = await revokeAndAnnounceApiKey(deps, { tenantId: tenant.id, keyId, by: SESSION_KEY_ID });

    // Assess
    expect(first).toMatchObject({ tenantId: tenant.id, revokedNow: true, key: { id: keyId, revokedBy: 'session' } });
    expect(again?.revokedNow).toBe(false);
    expect(told()).toEqual([{ type: 'key.revoked', key: keyId }]);
  });

  it('tells the tenant when an operator revokes one of its keys, by the same rule, and refuses the key from then on', async () => {
    // Prepare
    const { ports, deps, tenant, keyId, apiKey, told } = await setup();

    // Act: the operator names the key only; then the tenant revokes it too
    const revoked = await revokeAndAnnounceApiKey(deps, { operator: true, keyId });
    await revokeAndAnnounceApiKey(deps, { tenantId: tenant.id, keyId, by: SESSION_KEY_ID });

    // Assess: revoked as the tenant's key, by the operator, told once
    expect(revoked).toMatchObject({
      tenantId: tenant.id,
      revokedNow: true,
      key: { id: keyId, revokedBy: OPERATOR_KEY_ID },
    });
    expect(told()).toEqual([{ type: 'key.revoked', key: keyId }]);
    expect(await authorizeCaller(ports.deps, { kind: 'api-key', key: apiKey })).toBeUndefined();
  });

  it('answers an operator naming no key with nothing, and a tenant naming a key it does not hold with not found', async () => {
    const { deps, keyId, told } = await setup();
    expect(
      await revokeAndAnnounceApiKey(deps, { operator: true, keyId: 'key_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T' }),
    ).toBeUndefined();
    await expect(
      revokeAndAnnounceApiKey(deps, { tenantId: 'tnt_other', keyId, by: SESSION_KEY_ID }),
    ).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    expect(told()).toEqual([]);
  });

  it("stores the operator's key.revoked where there is no queue (the operator shell), and the engine's sweep sends it once its grace has passed", async () => {
    // Prepare: the shell's events: the store and the endpoints, no queue
    const { ports, deps, tenant, keyId, told, engine } = await setup();
    const { store, clock, settings, log, endpoints } = deps.events;
    const stored = { store, clock, settings, log, endpoints };

    // Act: the operator revokes the key twice; then the engine's periodic sweep runs past its grace
    const revoked = await revokeAndAnnounceApiKey({ tenancy: ports.deps, events: stored }, { operator: true, keyId });
    await revokeAndAnnounceApiKey({ tenancy: ports.deps, events: stored }, { operator: true, keyId });
    const queuedByShell = engine.queue.sent.length;
    engine.clock.set(T0 + settings.sweepGraceMs + 1);
    await sweepPending(engine.deps, -settings.sweepGraceMs);
    await engine.deliverLatest();

    // Assess: stored once, queued by nobody but the sweep, noted on the endpoint, sent as the key's event
    expect(revoked).toMatchObject({ tenantId: tenant.id, revokedNow: true });
    expect(told()).toEqual([{ type: 'key.revoked', key: keyId }]);
    expect(queuedByShell).toBe(0);
    expect(engine.queue.sent).toHaveLength(1);
    expect(endpoints.deliveries).toHaveLength(1);
    expect(engine.sender.requests.map((r) => JSON.parse(r.body as string).type)).toEqual(['key.revoked']);
  });
});

describe('creating an API key', () => {
  it('tells the tenant of the new key, and gives its plaintext once', async () => {
    const { deps, tenant, told } = await setup();
    const created = await createAndAnnounceApiKey(deps, tenant.id, 'ci');
    expect(created.key).toMatch(/^vgl_/);
    expect(told()).toEqual([{ type: 'key.created', key: created.id }]);
  });
});
