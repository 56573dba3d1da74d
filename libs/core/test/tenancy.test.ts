import { describe, expect, it } from 'vitest';
import {
  activeSigningSecrets,
  addApiKey,
  API_KEY_PATTERN,
  ApiKeyLimitError,
  ApiKeyNotFoundError,
  ApiKeyTakenError,
  authorizeCaller,
  changePlan,
  ConcurrentChangeError,
  createApiKey,
  currentSigningSecret,
  DAY_MS,
  ensureTenant,
  hashApiKey,
  isApiKeyToken,
  KEY_HISTORY_DAYS,
  listApiKeys,
  MAX_ACTIVE_KEYS,
  newApiKey,
  provisionTenant,
  receiveCanaryProbe,
  OPERATOR_KEY_ID,
  revokeAnyApiKey,
  revokeApiKey,
  revokeSession,
  rotateSigningSecret,
  SECRET_ROTATION_OVERLAP_MS,
  SESSION_AUDIENCE,
  SESSION_ISSUER,
  SESSION_KEY_ID,
  AUTHORIZATION_CACHE_S,
  SESSION_MAX_AGE_S,
  sessionClaims,
  sessionCredential,
  sessionOf,
  signingSecretDirectory,
  SigningSecretRotationLimitError,
  tenantForUser,
  usageRange,
  usageReport,
  UsageQuery,
  ValidationError,
} from '../src';
import { tenancyPorts } from './memory-tenancy-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const HOUR = 3_600_000;
/** A console session signed in at T0. */
const session = { sessionId: 'ses_AAAAAAAAAAAAAAAAAAAAAA', endsAt: T0 + 12 * HOUR };

describe('tenancy rules', () => {
  it('makes API keys of vgl_ and 43 base62 characters, stored only as their SHA-256', () => {
    const keys = new Set(Array.from({ length: 50 }, newApiKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(API_KEY_PATTERN);
    expect(hashApiKey('vgl_x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs with the previous secret beside the new one for exactly the overlap after a rotation', () => {
    const tenant = { signingSecrets: ['whsec_new', 'whsec_old'], rotatedAt: T0 };
    expect(activeSigningSecrets(tenant, T0)).toEqual(['whsec_new', 'whsec_old']);
    expect(activeSigningSecrets(tenant, T0 + SECRET_ROTATION_OVERLAP_MS - 1)).toEqual(['whsec_new', 'whsec_old']);
    expect(activeSigningSecrets(tenant, T0 + SECRET_ROTATION_OVERLAP_MS)).toEqual(['whsec_new']);
    expect(activeSigningSecrets({ signingSecrets: ['whsec_only'] }, T0)).toEqual(['whsec_only']);
  });

  it('signs with each earlier secret until its own overlap ends', () => {
    const tenant = {
      signingSecrets: ['whsec_c', 'whsec_b', 'whsec_a'],
      rotatedAt: T0 + HOUR,
      retiredAt: [T0 + HOUR, T0],
    };
    expect(activeSigningSecrets(tenant, T0 + HOUR)).toEqual(['whsec_c', 'whsec_b', 'whsec_a']);
    expect(activeSigningSecrets(tenant, T0 + SECRET_ROTATION_OVERLAP_MS)).toEqual(['whsec_c', 'whsec_b']);
    expect(activeSigningSecrets(tenant, T0 + HOUR + SECRET_ROTATION_OVERLAP_MS)).toEqual(['whsec_c']);
  });
});

describe('provisioning', () => {
  it('makes a complete tenant: secret, first key that authorizes, and its usage-plan key', async () => {
    const ports = tenancyPorts(T0, { usagePlans: true });
    const { tenant, apiKey, keyId } = await provisionTenant(ports.deps, { name: 'acme', plan: 'pro' });

    expect(tenant).toMatchObject({ name: 'acme', plan: 'pro', createdAt: T0, usageKey: `usage-key-of-${tenant.id}` });
    expect(tenant.signingSecrets).toHaveLength(1);
    expect(await listApiKeys(ports.deps, tenant.id)).toEqual([
      { id: keyId, name: 'first key', prefix: apiKey.slice(0, 12), createdAt: T0 },
    ]);
    expect(await authorizeCaller(ports.deps, { kind: 'api-key', key: apiKey })).toEqual({
      kind: 'tenant',
      tenantId: tenant.id,
      keyId,
      plan: 'pro',
      usageKey: tenant.usageKey,
    });
  });

  it('maps a web user to one tenant however often (or however concurrently) they first sign in', async () => {
    const ports = tenancyPorts(T0, { usagePlans: true });
    const user = { id: 'dev:ada@example.com', email: 'ada@example.com' };
    const [a, b] = await Promise.all([tenantForUser(ports.deps, user), tenantForUser(ports.deps, user)]);
    const later = await tenantForUser(ports.deps, { ...user, name: 'Ada' });

    expect(a.id).toBe(b.id);
    expect(later.id).toBe(a.id);
    expect(later).toMatchObject({ name: 'ada@example.com', plan: 'free', usageKey: `usage-key-of-${a.id}` });
    expect(ports.tenants.tenants.size).toBe(1);
  });

  it('keeps an existing tenant as it is when ensured again (the canary, the development tenant)', async () => {
    const ports = tenancyPorts(T0);
    const first = await ensureTenant(ports.deps, { id: 'tnt_canary', name: 'Canary', plan: 'pro' });
    ports.clock.advance(HOUR);
    const again = await ensureTenant(ports.deps, { id: 'tnt_canary', name: 'Other', plan: 'free' });
    expect(again).toEqual(first);
  });

  it('moves a tenant to another plan, usage plan first', async () => {
    const ports = tenancyPorts(T0, { usagePlans: true });
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const moved = await changePlan(ports.deps, tenant, 'pro');
    expect(moved.plan).toBe('pro');
    expect((await ports.tenants.getTenant(tenant.id))?.plan).toBe('pro');
    expect(ports.usagePlans?.plans.get(tenant.id)?.plan).toBe('pro');
  });
});

describe('API keys', () => {
  it(`refuses a key beyond ${MAX_ACTIVE_KEYS} active ones, and makes room when one is revoked`, async () => {
    const ports = tenancyPorts(T0);
    const { tenant, keyId } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    for (let i = 1; i < MAX_ACTIVE_KEYS; i += 1) await createApiKey(ports.deps, tenant.id, `key ${i}`);

    await expect(createApiKey(ports.deps, tenant.id, 'one too many')).rejects.toBeInstanceOf(ApiKeyLimitError);
    await revokeApiKey(ports.deps, tenant.id, keyId, SESSION_KEY_ID);
    const created = await createApiKey(ports.deps, tenant.id, 'room again');
    expect(created).toMatchObject({ name: 'room again', prefix: created.key.slice(0, 12), createdAt: T0 });
  });

  it(`keeps to ${MAX_ACTIVE_KEYS} active keys when creates come at once: those past it are discarded, never handed out`, async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    ports.clock.advance(1_000);
    const creates = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => createApiKey(ports.deps, tenant.id, `ci ${i}`)),
    );
    const made = creates.flatMap((c) => (c.status === 'fulfilled' ? [c.value] : []));
    expect(made).toHaveLength(MAX_ACTIVE_KEYS - 1); // and the tenant's first key
    expect(creates.filter((c) => c.status === 'rejected')).toHaveLength(30 - (MAX_ACTIVE_KEYS - 1));
    const active = await listApiKeys(ports.deps, tenant.id);
    expect(active).toHaveLength(MAX_ACTIVE_KEYS);
    // A discarded key was never made: no record of it, not even a revocation.
    expect(await listApiKeys(ports.deps, tenant.id, { includeRevoked: true })).toHaveLength(MAX_ACTIVE_KEYS);
    for (const key of made) {
      expect(await ports.deps.keys.findApiKey(hashApiKey(key.key))).toMatchObject({
        tenantId: tenant.id,
        keyId: key.id,
      });
    }
  });

  it('stops a revoked key at once, and says "not found" for keys the tenant does not hold', async () => {
    const ports = tenancyPorts(T0);
    const acme = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const other = await provisionTenant(ports.deps, { name: 'other', plan: 'free' });

    await expect(revokeApiKey(ports.deps, other.tenant.id, acme.keyId, other.keyId)).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    await expect(revokeApiKey(ports.deps, acme.tenant.id, 'key_nonsense', acme.keyId)).rejects.toBeInstanceOf(
      ApiKeyNotFoundError,
    );
    expect(await authorizeCaller(ports.deps, { kind: 'api-key', key: acme.apiKey })).toBeDefined();

    await revokeApiKey(ports.deps, acme.tenant.id, acme.keyId, acme.keyId);
    expect(await authorizeCaller(ports.deps, { kind: 'api-key', key: acme.apiKey })).toBeUndefined();
    expect(await listApiKeys(ports.deps, acme.tenant.id)).toEqual([]);
    expect(await revokeAnyApiKey(ports.deps, other.keyId)).toEqual({
      tenantId: other.tenant.id,
      key: expect.objectContaining({ id: other.keyId, prefix: other.apiKey.slice(0, 12), revokedBy: OPERATOR_KEY_ID }),
      revokedNow: true,
    });
    expect(await revokeAnyApiKey(ports.deps, 'key_nonsense')).toBeUndefined();
  });

  it(`lists revoked keys on request, with when and by whom, for ${KEY_HISTORY_DAYS} days`, async () => {
    const ports = tenancyPorts(T0);
    const { tenant, keyId } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const ci = await createApiKey(ports.deps, tenant.id, 'ci');
    // The console revokes the first key; the ci key revokes itself a day later.
    await revokeApiKey(ports.deps, tenant.id, keyId, SESSION_KEY_ID);
    ports.clock.set(T0 + DAY_MS);
    const asRevoked = expect.objectContaining({ id: ci.id, name: 'ci', revokedAt: T0 + DAY_MS, revokedBy: ci.id });
    expect(await revokeApiKey(ports.deps, tenant.id, ci.id, ci.id)).toEqual({ key: asRevoked, revokedNow: true });
    // Revoking again changes neither when nor by whom, and says it did not revoke it (nothing to announce).
    expect(await revokeApiKey(ports.deps, tenant.id, ci.id, SESSION_KEY_ID)).toEqual({
      key: asRevoked,
      revokedNow: false,
    });

    expect(await listApiKeys(ports.deps, tenant.id)).toEqual([]);
    expect(await listApiKeys(ports.deps, tenant.id, { includeRevoked: true })).toEqual([
      expect.objectContaining({ id: keyId, revokedAt: T0, revokedBy: SESSION_KEY_ID }),
      expect.objectContaining({ id: ci.id, name: 'ci', revokedAt: T0 + DAY_MS, revokedBy: ci.id }),
    ]);
    // Just past the history's end, the first is gone; the second a day later.
    ports.clock.set(T0 + KEY_HISTORY_DAYS * DAY_MS + 1);
    expect((await listApiKeys(ports.deps, tenant.id, { includeRevoked: true })).map((k) => k.id)).toEqual([ci.id]);
    ports.clock.set(T0 + (KEY_HISTORY_DAYS + 1) * DAY_MS + 1);
    expect(await listApiKeys(ports.deps, tenant.id, { includeRevoked: true })).toEqual([]);
  });

  it("refuses to file one tenant's key under another", async () => {
    const ports = tenancyPorts(T0);
    const acme = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const other = await provisionTenant(ports.deps, { name: 'other', plan: 'free' });
    await expect(addApiKey(ports.deps, other.tenant.id, acme.apiKey, 'stolen')).rejects.toBeInstanceOf(
      ApiKeyTakenError,
    );
  });
});

describe('authorizing callers', () => {
  it('refuses unknown, malformed and tenantless credentials, and notes key use at most once a minute', async () => {
    const ports = tenancyPorts(T0);
    const { tenant, apiKey } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });

    expect(await authorizeCaller(ports.deps, { kind: 'api-key', key: newApiKey() })).toBeUndefined();
    expect(await authorizeCaller(ports.deps, { kind: 'api-key', key: 'vgl_short' })).toBeUndefined();
    expect(await authorizeCaller(ports.deps, { kind: 'session', tenantId: 'tnt_gone', session })).toBeUndefined();
    expect(await authorizeCaller(ports.deps, { kind: 'session', tenantId: tenant.id, session })).toEqual({
      kind: 'tenant',
      tenantId: tenant.id,
      keyId: SESSION_KEY_ID,
      plan: 'free',
      session,
    });

    await authorizeCaller(ports.deps, { kind: 'api-key', key: apiKey });
    ports.clock.advance(30_000);
    await authorizeCaller(ports.deps, { kind: 'api-key', key: apiKey });
    expect(ports.keys.touches).toBe(1);
    expect((await listApiKeys(ports.deps, tenant.id))[0]?.lastUsedAt).toBe(T0);
  });

  it('lets a signed-in user without a tenant through only as a user (to claim their tenant)', async () => {
    const ports = tenancyPorts(T0);
    const caller = await authorizeCaller(ports.deps, { kind: 'user', userId: 'dev:a@b.c', email: 'a@b.c', session });
    expect(caller).toEqual({ kind: 'user', userId: 'dev:a@b.c', email: 'a@b.c' });
    expect(ports.tenants.tenants.size).toBe(0);
  });

  it('refuses a signed-out session, with or without a tenant, and keeps the revocation until the session ends', async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const other = { sessionId: 'ses_BBBBBBBBBBBBBBBBBBBBBB', endsAt: T0 + 3_600_000 };

    await revokeSession(ports.deps, session);

    expect(await authorizeCaller(ports.deps, { kind: 'session', tenantId: tenant.id, session })).toBeUndefined();
    expect(
      await authorizeCaller(ports.deps, { kind: 'user', userId: 'dev:a@b.c', email: 'a@b.c', session }),
    ).toBeUndefined();
    expect(ports.sessions.revoked.get(session.sessionId)).toBe(session.endsAt);
    // Another session of the same tenant goes on.
    expect(await authorizeCaller(ports.deps, { kind: 'session', tenantId: tenant.id, session: other })).toMatchObject({
      tenantId: tenant.id,
    });
  });
});

describe('bearer tokens as credentials (isApiKeyToken, sessionCredential)', () => {
  const session = sessionClaims('ses_AAAAAAAAAAAAAAAAAAAAAA', T0);
  const identity = { sessionId: 'ses_AAAAAAAAAAAAAAAAAAAAAA', endsAt: T0 + SESSION_MAX_AGE_S * 1000 };
  const user = { userId: 'cognito:abc', email: 'ada@example.com', name: 'Ada' };

  it('tells an API key from a console session token by its prefix', () => {
    expect(isApiKeyToken(newApiKey())).toBe(true);
    // A malformed key is still a key (refused by authorizeCaller), never decrypted as a session.
    expect(isApiKeyToken('vgl_short')).toBe(true);
    expect(isApiKeyToken('eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..x')).toBe(false);
  });

  it("stands for the session's tenant, on every route", () => {
    const claims = { ...session, tenantId: 'tnt_01JD8X4Q2Z7N5V3K9W6T0RYB1M', ...user };
    for (const claimingTenant of [false, true]) {
      expect(sessionCredential(claims, T0, { claimingTenant })).toEqual({
        kind: 'session',
        tenantId: 'tnt_01JD8X4Q2Z7N5V3K9W6T0RYB1M',
        session: identity,
      });
    }
  });

  it('stands for a user without a tenant on the route that claims one only', () => {
    expect(sessionCredential({ ...session, ...user }, T0, { claimingTenant: true })).toEqual({
      kind: 'user',
      ...user,
      session: identity,
    });
    expect(sessionCredential({ ...session, ...user }, T0, { claimingTenant: false })).toBeUndefined();
  });

  it('stands for nobody when its tenant is not a tenant id, or its session is not one the console made', () => {
    expect(sessionCredential({ ...session, tenantId: 'tnt_../x' }, T0, { claimingTenant: false })).toBeUndefined();
    expect(sessionCredential({ ...session, tenantId: 'acme' }, T0, { claimingTenant: false })).toBeUndefined();
    expect(sessionCredential({ ...session, tenantId: 42 }, T0, { claimingTenant: false })).toBeUndefined();
    const { sid: _sid, ...noSession } = session;
    expect(sessionCredential({ ...noSession, tenantId: 'tnt_a' }, T0, { claimingTenant: false })).toBeUndefined();
    expect(sessionCredential({ ...session, ...user, iss: 'x' }, T0, { claimingTenant: true })).toBeUndefined();
    // An ended session: 12 hours after sign-in.
    expect(
      sessionCredential({ ...session, tenantId: 'tnt_a' }, identity.endsAt, { claimingTenant: false }),
    ).toBeUndefined();
  });
});

describe('console session tokens (sessionOf)', () => {
  const sid = 'ses_AAAAAAAAAAAAAAAAAAAAAA';
  const signedIn = T0;
  const valid = sessionClaims(sid, signedIn);

  it('stands for its session until a minute before 12 hours after sign-in, so no authorization kept for it outlives them', () => {
    expect(SESSION_MAX_AGE_S).toBe(12 * 3600);
    expect(AUTHORIZATION_CACHE_S).toBe(60);
    const endsAt = signedIn + 12 * 3_600_000;
    expect(sessionOf({ ...valid }, signedIn)).toEqual({ sessionId: sid, endsAt });
    // Allowed here, an authorization reused for a minute ends at the 12 hours exactly.
    expect(sessionOf({ ...valid }, endsAt - 60_000)).toEqual({ sessionId: sid, endsAt });
    expect(sessionOf({ ...valid }, endsAt - 59_000)).toBeUndefined();
    expect(sessionOf({ ...valid }, endsAt)).toBeUndefined();
  });

  it('refuses a token not made by the console for the API: wrong or missing issuer or audience', () => {
    expect(sessionOf({ ...valid, iss: 'someone-else' }, T0)).toBeUndefined();
    expect(sessionOf({ ...valid, aud: 'another-api' }, T0)).toBeUndefined();
    expect(sessionOf({ ...valid, aud: [SESSION_AUDIENCE, 'x'] }, T0)).toEqual({
      sessionId: sid,
      endsAt: expect.any(Number),
    });
    const { iss: _iss, ...noIssuer } = valid;
    const { aud: _aud, ...noAudience } = valid;
    expect(sessionOf(noIssuer, T0)).toBeUndefined();
    expect(sessionOf(noAudience, T0)).toBeUndefined();
    expect(SESSION_ISSUER).toBe('vigil-console');
  });

  it('refuses a token without a session id or sign-in time, or signed in in the future', () => {
    expect(sessionOf({ ...valid, sid: undefined }, T0)).toBeUndefined();
    expect(sessionOf({ ...valid, sid: 'not-a-session' }, T0)).toBeUndefined();
    expect(sessionOf({ ...valid, authTime: undefined }, T0)).toBeUndefined();
    expect(sessionOf({ ...valid, authTime: valid.authTime + 3600 }, T0)).toBeUndefined();
  });
});

describe('signing secrets', () => {
  it('rotates to a new current secret and keeps signing with the old one for the overlap', async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const [old] = tenant.signingSecrets as [string];
    const directory = signingSecretDirectory(ports.deps);

    ports.clock.advance(HOUR);
    const { secret, previousValidUntil } = await rotateSigningSecret(ports.deps, tenant.id);
    expect(secret).toMatch(/^whsec_/);
    expect(previousValidUntil).toBe(T0 + HOUR + SECRET_ROTATION_OVERLAP_MS);
    expect(await currentSigningSecret(ports.deps, tenant.id)).toBe(secret);
    expect(await directory.forDelivery(tenant.id)).toEqual({ signingSecrets: [secret, old], plan: tenant.plan });

    ports.clock.set(previousValidUntil);
    expect((await directory.forDelivery(tenant.id)).signingSecrets).toEqual([secret]);
  });

  it('keeps every replaced secret signing for its own 24 hours, rotated twice in an hour; a third rotation then is refused, not one dropped', async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const [first] = tenant.signingSecrets as [string];
    const directory = signingSecretDirectory(ports.deps);
    const second = await rotateSigningSecret(ports.deps, tenant.id);
    ports.clock.advance(HOUR);
    const third = await rotateSigningSecret(ports.deps, tenant.id);
    expect((await directory.forDelivery(tenant.id)).signingSecrets).toEqual([third.secret, second.secret, first]);
    expect(third.previousValidUntil).toBe(T0 + HOUR + SECRET_ROTATION_OVERLAP_MS);

    const refused = await rotateSigningSecret(ports.deps, tenant.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SigningSecretRotationLimitError);
    expect((refused as Error).message).toContain(
      `Rotate again after ${new Date(T0 + SECRET_ROTATION_OVERLAP_MS).toISOString()}`,
    );
    expect(await currentSigningSecret(ports.deps, tenant.id)).toBe(third.secret);

    // The first secret's overlap over: one more rotation, and the first no longer signs.
    ports.clock.set(T0 + SECRET_ROTATION_OVERLAP_MS);
    const fourth = await rotateSigningSecret(ports.deps, tenant.id);
    expect((await directory.forDelivery(tenant.id)).signingSecrets).toEqual([
      fourth.secret,
      third.secret,
      second.secret,
    ]);
  });

  it('reads the secret as stored, not from a cached tenant (another process rotated it since)', async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const { secret } = await rotateSigningSecret(ports.deps, tenant.id);
    const cached = Object.assign(Object.create(ports.deps.tenants), { recentTenant: async () => tenant });
    expect(await currentSigningSecret({ ...ports.deps, tenants: cached }, tenant.id)).toBe(secret);
  });

  it('refuses the second of two rotations racing, rather than lose one', async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const results = await Promise.allSettled([
      rotateSigningSecret(ports.deps, tenant.id),
      rotateSigningSecret(ports.deps, tenant.id),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ConcurrentChangeError);
    // Not one to send again as it was (it would rotate once more): the caller reads the secret again.
    expect((refused.reason as ConcurrentChangeError).headers).toBeUndefined();
  });
});

describe('usage report', () => {
  const day = (date: string, scheduled: number) => ({
    date,
    scheduled,
    delivered: scheduled,
    failed: 0,
    attempt: scheduled,
  });

  it('covers the last 30 days by default, sums the month to date by the clock, and shows the plan', async () => {
    const ports = tenancyPorts(Date.parse('2026-11-23T10:00:00Z'));
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'pro' });
    ports.ledger.add(tenant.id, day('2026-10-30', 5));
    ports.ledger.add(tenant.id, day('2026-11-01', 2));
    ports.ledger.add(tenant.id, day('2026-11-23', 3));

    const report = await usageReport(ports.deps, tenant.id, {});
    expect(report.from).toBe('2026-10-25');
    expect(report.to).toBe('2026-11-23');
    expect(report.days.map((d) => d.date)).toEqual(['2026-10-30', '2026-11-01', '2026-11-23']);
    expect(report.monthToDate).toEqual({ date: '2026-11-01', scheduled: 5, delivered: 5, failed: 0, attempt: 5 });
    expect(report.plan).toEqual({
      name: 'pro',
      monthlyMessages: 1_000_000,
      monthlyRequests: 500_000_000,
      ratePerSecond: 100,
      burst: 200,
      retentionDays: 30,
    });
  });

  it('holds the range rules with its defaults: a from ahead of today reads up to it, a from years back is refused', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    // A caller at UTC+13 asking for its own today, still tomorrow in UTC: that day, nothing counted yet.
    expect(usageRange({ from: '2026-11-24' }, now)).toEqual({ from: '2026-11-24', to: '2026-11-24' });
    expect(usageRange({ to: '2026-11-01' }, now)).toEqual({ from: '2026-10-03', to: '2026-11-01' });
    const refusal = (query: { from?: string; to?: string }) => {
      try {
        usageRange(query, now);
      } catch (error) {
        return error instanceof ValidationError ? error.errors : error;
      }
      return 'accepted';
    };
    expect(refusal({ from: '2000-01-01' })).toEqual([
      { path: 'query.from', message: 'the range is at most 366 days (to is 2026-11-23 when not given)' },
    ]);
    expect(refusal({ from: '2026-11-02', to: '2026-11-01' })).toEqual([
      { path: 'query.from', message: 'must not be after to' },
    ]);
    // 367 days, counted with both ends; then 366.
    expect(refusal({ from: '2025-11-22', to: '2026-11-23' })).toEqual([
      { path: 'query.from', message: 'the range is at most 366 days' },
    ]);
    expect(refusal({ from: '2025-11-23', to: '2026-11-23' })).toBe('accepted');
    expect(UsageQuery.safeParse({ to: '0000-01-29' }).success).toBe(false);
    expect(UsageQuery.safeParse({ from: '2000-01-01' }).success).toBe(true);
  });

  it("reports a plan this build does not know with the free plan's limits", async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'enterprise' });
    const report = await usageReport(ports.deps, tenant.id, { from: '2026-11-01', to: '2026-11-02' });
    expect(report).toMatchObject({ from: '2026-11-01', to: '2026-11-02', days: [] });
    expect(report.plan).toEqual({
      name: 'enterprise',
      monthlyMessages: 10_000,
      monthlyRequests: 5_000_000,
      ratePerSecond: 10,
      burst: 20,
      retentionDays: 7,
    });
  });

  it("reports a plan named like an object's own property ('toString') with the free plan's limits", async () => {
    const ports = tenancyPorts(T0);
    const { tenant } = await provisionTenant(ports.deps, { name: 'acme', plan: 'toString' });
    const report = await usageReport(ports.deps, tenant.id, { from: '2026-11-01', to: '2026-11-02' });
    expect(report.plan).toEqual({
      name: 'toString',
      monthlyMessages: 10_000,
      monthlyRequests: 5_000_000,
      ratePerSecond: 10,
      burst: 20,
      retentionDays: 7,
    });
  });
});

describe('canary probe', () => {
  const CANARY = 'tnt_canary';
  /** A probe signed with `secret`, due `lateMs` before T0 + 1 h. */
  const probeSignedBy = (secret: string, scheduledAt = new Date(T0 + HOUR - 250).toISOString()) => ({
    isSignedBy: (candidate: string) => candidate === secret,
    scheduledAt,
  });

  it('counts a probe signed by the canary tenant and says how late it came', async () => {
    const ports = tenancyPorts(T0);
    const canary = await ensureTenant(ports.deps, { id: CANARY, name: 'Canary', plan: 'pro' });
    ports.clock.set(T0 + HOUR);
    const [secret] = canary.signingSecrets;
    expect(await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(secret!))).toEqual({
      signed: true,
      latenessMs: 250,
    });
    // Early by the sender's clock, or naming no instant: not late.
    expect(
      await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(secret!, new Date(T0 + 2 * HOUR).toISOString())),
    ).toEqual({ signed: true, latenessMs: 0 });
    expect(await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(secret!, 'soon'))).toEqual({
      signed: true,
      latenessMs: 0,
    });
  });

  it('counts a probe signed with the secret a rotation replaced, for the overlap only', async () => {
    const ports = tenancyPorts(T0);
    const [before] = (await ensureTenant(ports.deps, { id: CANARY, name: 'Canary', plan: 'pro' })).signingSecrets;
    await rotateSigningSecret(ports.deps, CANARY);
    expect(await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(before!))).toMatchObject({ signed: true });
    ports.clock.set(T0 + SECRET_ROTATION_OVERLAP_MS);
    expect(await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(before!))).toEqual({ signed: false });
  });

  it('refuses a probe another tenant signed, and any probe when there is no canary tenant', async () => {
    const ports = tenancyPorts(T0);
    const other = await provisionTenant(ports.deps, { name: 'acme', plan: 'free' });
    const [othersSecret] = other.tenant.signingSecrets;
    expect(await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(othersSecret!))).toEqual({ signed: false });
    await ensureTenant(ports.deps, { id: CANARY, name: 'Canary', plan: 'pro' });
    expect(await receiveCanaryProbe(ports.deps, CANARY, probeSignedBy(othersSecret!))).toEqual({ signed: false });
  });

  it('gives a store that does not answer back as an error, not as an unsigned probe (a failed canary)', async () => {
    const ports = tenancyPorts(T0);
    await ensureTenant(ports.deps, { id: CANARY, name: 'Canary', plan: 'pro' });
    ports.tenants.getTenant = () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
    await expect(receiveCanaryProbe(ports.deps, CANARY, probeSignedBy('whsec_any'))).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );
  });
});
