/** API keys made and revoked through one use case, told to the tenant's endpoints once, whoever revoked them. */
import { describe, expect, it } from 'vitest';
import {
  ApiKeyNotFoundError,
  authorizeCaller,
  createAndAnnounceApiKey,
  OPERATOR_KEY_ID,
  provisionTenant,
  revokeAndAnnounceApiKey,
  MessageIn,
  scheduleMessage,
  SESSION_KEY_ID,
  sweepPending,
  toMessageOut,
} from '../src';
import type { Logger } from '../src';
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

/** A logger that keeps what it was told, by level. */
const recordingLog = () => {
  const lines: Array<{ level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }> = [];
  const log: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, ...(fields && { fields }) }),
    warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields && { fields }) }),
    error: (message, fields) => lines.push({ level: 'error', message, ...(fields && { fields }) }),
  };
  return { log, warnings: () => lines.filter((l) => l.level === 'warn'), lines };
};

/** The shell's events (the operator's `npm run admin`): the engine's store and endpoints, no queue. */
const shellEvents = (deps: Awaited<ReturnType<typeof setup>>['deps']) => {
  const { store, clock, settings, log, endpoints } = deps.events;
  return { store, clock, settings, log, endpoints };
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

  it('tells who revoked the key in the event, as the key listing does: the key that did, the console, or the operator', async () => {
    // Prepare: three keys of one tenant
    const { ports, deps, tenant, keyId, engine } = await setup();
    const ci = await createAndAnnounceApiKey(deps, tenant.id, 'ci');
    const leaked = await createAndAnnounceApiKey(deps, tenant.id, 'leaked');

    // Act: the ci key revokes itself, the console the first key, the operator (from its shell) the leaked one
    await revokeAndAnnounceApiKey(deps, { tenantId: tenant.id, keyId: ci.id, by: ci.id });
    await revokeAndAnnounceApiKey(deps, { tenantId: tenant.id, keyId, by: SESSION_KEY_ID });
    await revokeAndAnnounceApiKey(
      { tenancy: ports.deps, events: shellEvents(deps) },
      { operator: true, keyId: leaked.id },
    );

    // Assess: each key.revoked names its revoker as the listing does, beside when
    const revokedEvents = [...engine.store.messages.values()]
      .map((m) => JSON.parse(m.body) as { type: string; data: { key: Record<string, unknown> } })
      .filter((e) => e.type === 'key.revoked')
      .map((e) => e.data.key);
    const listed = await ports.deps.keys.listApiKeys(tenant.id, { revokedSince: 0 });
    const by = (id: string) => listed.find((k) => k.id === id)!.revokedBy;
    expect([by(ci.id), by(keyId), by(leaked.id)]).toEqual([ci.id, SESSION_KEY_ID, OPERATOR_KEY_ID]);
    expect(revokedEvents).toEqual(
      expect.arrayContaining([
        { id: ci.id, name: 'ci', prefix: ci.prefix, revokedAt: new Date(T0).toISOString(), revokedBy: ci.id },
        expect.objectContaining({ id: keyId, revokedBy: 'session' }),
        expect.objectContaining({ id: leaked.id, name: 'leaked', revokedBy: 'operator' }),
      ]),
    );
    expect(revokedEvents).toHaveLength(3);
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

describe("the engine's sweep, finding the operator's stored key.revoked", () => {
  it('hands it on without warning of a lost dispatch, and shows nothing of it through the API', async () => {
    // Prepare: the operator revokes a key from the shell (stored only); the engine logs to a record
    const { ports, deps, keyId, engine } = await setup();
    await revokeAndAnnounceApiKey({ tenancy: ports.deps, events: shellEvents(deps) }, { operator: true, keyId });
    const { log, warnings, lines } = recordingLog();
    const { settings } = engine.deps;

    // Act: the periodic sweep runs past its grace
    engine.clock.set(T0 + settings.sweepGraceMs + 1);
    const swept = await sweepPending({ ...engine.deps, log }, -settings.sweepGraceMs);
    await engine.deliverLatest();

    // Assess: handed on and sent, counted apart from lost tickets, no warning; the API's origin as ever
    expect(swept).toEqual({ requeued: 0, storedEvents: 1 });
    expect(warnings()).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', fields: { storedEvents: 1 } }));
    expect(engine.sender.requests.map((r) => JSON.parse(r.body as string).type)).toEqual(['key.revoked']);
    const [delivery] = [...engine.store.messages.values()].filter((m) => m.origin?.kind === 'notification');
    // Sent a grace after it was stored, as such events are: the sweep is their way out, not a recovery.
    expect(delivery!.attempts[0]!.latenessMs).toBeGreaterThan(0);
    expect(delivery!.attempts[0]!.latenessReason).toBeUndefined();
    expect(toMessageOut(delivery!, { withBody: false }).origin).toEqual({
      kind: 'notification',
      endpointId: 'nep_01KBJ3Q8ZC4E7B6S0QJ4X9ZP2T',
      event: 'key.revoked',
    });
  });

  it("still warns of a real lost ticket beside it: a message whose enqueue was lost, and the sweep's own ticket for the event once that is lost", async () => {
    // Prepare: the operator's stored key.revoked, and a tenant's message whose ticket never reached the queue
    const { ports, deps, tenant, keyId, engine } = await setup();
    await revokeAndAnnounceApiKey({ tenancy: ports.deps, events: shellEvents(deps) }, { operator: true, keyId });
    await scheduleMessage(engine.deps, tenant.id, MessageIn.parse({ url: 'https://example.com/hook', delay: 0 }));
    engine.queue.sent.length = 0; // the enqueue "never happened"
    const { log, warnings } = recordingLog();
    const { settings } = engine.deps;

    // Act: a sweep past the grace; then the sweep's tickets are lost too, and a sweep past the flight allowance
    engine.clock.set(T0 + settings.sweepGraceMs + 1);
    const first = await sweepPending({ ...engine.deps, log }, -settings.sweepGraceMs);
    const firstWarnings = warnings().length;
    engine.queue.sent.length = 0;
    engine.clock.advance(settings.flightAllowanceMs + settings.sweepGraceMs + 1);
    const second = await sweepPending({ ...engine.deps, log }, -settings.sweepGraceMs);

    // Assess: the lost message warns at once; the event, once the sweep's own ticket for it is lost
    expect(first).toEqual({ requeued: 1, storedEvents: 1 });
    expect(firstWarnings).toBe(1);
    expect(second).toEqual({ requeued: 2, storedEvents: 0 });
    expect(warnings().map((w) => [w.message, w.fields?.requeued])).toEqual([
      ['sweep re-enqueued pending messages', 1],
      ['sweep re-enqueued pending messages', 2],
    ]);
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
