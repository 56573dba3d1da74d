/**
 * In-memory stand-ins for tenancy's ports, for unit tests of its rules and use cases. The DynamoDB
 * and API Gateway adapters are tested against the local services in *.int.test.ts.
 */
import type {
  ApiKeyIdentity,
  ApiKeyInfo,
  ApiKeyRecord,
  ApiKeyStore,
  SessionRevocations,
  Tenant,
  TenancyDeps,
  TenantStore,
  UsageDay,
  UsageEvent,
  UsageKey,
  UsageLedger,
  UsagePlanBinder,
  UserDirectory,
} from '../src';
import { ApiKeyTakenError, FixedClock, TenantNotFoundError } from '../src';
import { silentLog } from './memory-ports';

export class MemoryTenants implements TenantStore {
  readonly tenants = new Map<string, Tenant>();

  async getTenant(tenantId: string) {
    const tenant = this.tenants.get(tenantId);
    return tenant && structuredClone(tenant);
  }

  async recentTenant(tenantId: string) {
    const tenant = await this.getTenant(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    return tenant;
  }

  async insertTenant(tenant: Tenant) {
    if (!this.tenants.has(tenant.id)) this.tenants.set(tenant.id, structuredClone(tenant));
    return (await this.getTenant(tenant.id)) as Tenant;
  }

  async setPlan(tenantId: string, plan: string) {
    (await this.existing(tenantId)).plan = plan;
  }

  async setUsageKey(tenantId: string, usage: UsageKey) {
    Object.assign(await this.existing(tenantId), usage);
  }

  async replaceSigningSecrets(tenantId: string, expectedCurrent: string, secrets: string[], retiredAt: number[]) {
    const tenant = await this.existing(tenantId);
    if (tenant.signingSecrets[0] !== expectedCurrent) return false;
    Object.assign(tenant, { signingSecrets: [...secrets], rotatedAt: retiredAt[0], retiredAt: [...retiredAt] });
    return true;
  }

  async listTenants() {
    return [...this.tenants.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  private async existing(tenantId: string): Promise<Tenant> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    return tenant;
  }
}

export class MemoryKeys implements ApiKeyStore {
  readonly byHash = new Map<string, ApiKeyRecord & { revokedAt?: number; revokedBy?: string; lastUsedAt?: number }>();
  /** Rotations of the touch clock: how often a key's use was written. */
  touches = 0;

  async addApiKey(record: ApiKeyRecord) {
    const known = this.byHash.get(record.hash);
    if (known && known.tenantId !== record.tenantId) throw new ApiKeyTakenError();
    if (!known) this.byHash.set(record.hash, { ...record });
    const stored = this.byHash.get(record.hash) as ApiKeyRecord;
    return { keyId: stored.keyId, createdAt: stored.createdAt };
  }

  async listApiKeys(tenantId: string, { revokedSince }: { revokedSince?: number } = {}): Promise<ApiKeyInfo[]> {
    return [...this.byHash.values()]
      .filter(
        (k) =>
          k.tenantId === tenantId &&
          (k.revokedAt === undefined || (revokedSince !== undefined && k.revokedAt >= revokedSince)),
      )
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((k) => ({
        id: k.keyId,
        name: k.name,
        prefix: k.prefix,
        createdAt: k.createdAt,
        ...(k.lastUsedAt !== undefined && { lastUsedAt: k.lastUsedAt }),
        ...(k.revokedAt !== undefined && { revokedAt: k.revokedAt, revokedBy: k.revokedBy ?? 'unknown' }),
      }));
  }

  async findApiKey(hash: string): Promise<ApiKeyIdentity | undefined> {
    const key = this.byHash.get(hash);
    return key && key.revokedAt === undefined ? { tenantId: key.tenantId, keyId: key.keyId } : undefined;
  }

  async revokeTenantApiKey(tenantId: string, keyId: string, at: number, by: string) {
    const key = [...this.byHash.values()].find((k) => k.tenantId === tenantId && k.keyId === keyId);
    if (!key) return undefined;
    const revokedNow = key.revokedAt === undefined;
    if (revokedNow) Object.assign(key, { revokedAt: at, revokedBy: by });
    const { keyId: id, name, prefix, createdAt, revokedAt, revokedBy } = key;
    return { key: { id, name, prefix, createdAt, revokedAt, revokedBy }, revokedNow };
  }

  async discardApiKey(tenantId: string, keyId: string) {
    for (const [hash, key] of this.byHash)
      if (key.tenantId === tenantId && key.keyId === keyId) this.byHash.delete(hash);
  }

  async tenantOfApiKey(keyId: string) {
    return [...this.byHash.values()].find((k) => k.keyId === keyId)?.tenantId;
  }

  async touchApiKey(identity: ApiKeyIdentity, now: number) {
    const key = [...this.byHash.values()].find((k) => k.keyId === identity.keyId);
    if (key && (key.lastUsedAt === undefined || key.lastUsedAt < now - 60_000)) {
      key.lastUsedAt = now;
      this.touches += 1;
    }
  }
}

export class MemorySessions implements SessionRevocations {
  readonly revoked = new Map<string, number>();

  async revokeSession(sessionId: string, endsAt: number) {
    this.revoked.set(sessionId, endsAt);
  }

  async isSessionRevoked(sessionId: string) {
    return this.revoked.has(sessionId);
  }
}

export class MemoryUsers implements UserDirectory {
  readonly users = new Map<string, { tenantId: string; email: string; createdAt: number }>();

  async claimUser(user: { id: string; email: string }, tenantId: string, at: number) {
    if (!this.users.has(user.id)) this.users.set(user.id, { tenantId, email: user.email, createdAt: at });
    return (this.users.get(user.id) as { tenantId: string }).tenantId;
  }
}

/** Usage plans as API Gateway keeps them: one key per tenant, in one plan's usage plan. */
export class MemoryUsagePlans implements UsagePlanBinder {
  readonly plans = new Map<string, { plan: string; usageKeyId: string; usageKey: string }>();

  async bind(tenant: { id: string; plan: string }) {
    const known = this.plans.get(tenant.id);
    const usage = known ?? { plan: tenant.plan, usageKeyId: `uk_${tenant.id}`, usageKey: `usage-key-of-${tenant.id}` };
    this.plans.set(tenant.id, { ...usage, plan: tenant.plan });
    return { usageKeyId: usage.usageKeyId, usageKey: usage.usageKey };
  }

  async move(tenant: { id: string; plan: string }, _fromPlan: string) {
    return this.bind(tenant);
  }
}

export class MemoryLedger implements UsageLedger {
  readonly days_ = new Map<string, UsageDay>();

  add(tenantId: string, day: UsageDay) {
    this.days_.set(`${tenantId}/${day.date}`, day);
  }

  async fold(_events: readonly UsageEvent[]) {
    return { counted: 0, duplicates: 0 };
  }

  async days(tenantId: string, from: string, to: string) {
    return [...this.days_.entries()]
      .filter(([k, d]) => k.startsWith(`${tenantId}/`) && d.date >= from && d.date <= to)
      .map(([, d]) => d)
      .sort((a, b) => a.date.localeCompare(b.date));
  }
}

export const tenancyPorts = (now: number, options: { usagePlans?: boolean } = {}) => {
  const clock = new FixedClock(now);
  const deps = {
    tenants: new MemoryTenants(),
    keys: new MemoryKeys(),
    users: new MemoryUsers(),
    sessions: new MemorySessions(),
    ledger: new MemoryLedger(),
    clock,
    log: silentLog,
    ...(options.usagePlans && { usagePlans: new MemoryUsagePlans() }),
  } satisfies TenancyDeps;
  return { ...deps, clock, deps: deps as TenancyDeps };
};
