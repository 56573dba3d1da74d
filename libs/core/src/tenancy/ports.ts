/**
 * What tenancy needs from storage and from the platform. `libs/aws` implements them on DynamoDB
 * and API Gateway; libs/core/test/memory-ports.ts in memory for the unit tests.
 */
import type { ApiKeyIdentity, ApiKeyInfo, ApiKeyRecord, Tenant, UsageKey } from './tenant';

export interface TenantStore {
  /** The tenant as stored now (a consistent read); undefined when there is none. */
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /**
   * The tenant as read at most a short while ago (the adapter may cache it: signing and the quota
   * check read it on every message). Throws TenantNotFoundError when there is none.
   */
  recentTenant(tenantId: string): Promise<Tenant>;
  /** Writes the tenant unless one with its id exists; returns the stored one either way. */
  insertTenant(tenant: Tenant): Promise<Tenant>;
  setPlan(tenantId: string, plan: string): Promise<void>;
  setUsageKey(tenantId: string, usage: UsageKey): Promise<void>;
  /**
   * Replaces the signing secrets (and when each earlier one was replaced: `rotatedAt` becomes
   * `retiredAt[0]`) only if the current one is still `expectedCurrent` (false when another rotation
   * got there first, so no rotation is lost).
   */
  replaceSigningSecrets(
    tenantId: string,
    expectedCurrent: string,
    secrets: string[],
    retiredAt: number[],
  ): Promise<boolean>;
  /** Every tenant, oldest first (operators only: may scan). */
  listTenants(): Promise<Tenant[]>;
}

export interface ApiKeyStore {
  /**
   * Stores a key; idempotent for the same hash (returns the first stored id and time). Throws
   * ApiKeyTakenError when the hash belongs to another tenant.
   */
  addApiKey(record: ApiKeyRecord): Promise<{ keyId: string; createdAt: number }>;
  /** The tenant's active keys, oldest first; with `revokedSince`, also the keys revoked since then. */
  listApiKeys(tenantId: string, options?: { revokedSince?: number }): Promise<ApiKeyInfo[]>;
  /** Whose active key has this hash. */
  findApiKey(hash: string): Promise<ApiKeyIdentity | undefined>;
  /**
   * Revokes one of the tenant's keys at `at`, noting who did (`by`): the key as it stands now, and
   * whether this call revoked it (`revokedNow`; false when it was already: its first revocation's
   * time and author stay); undefined when the tenant has no such key.
   */
  revokeTenantApiKey(
    tenantId: string,
    keyId: string,
    at: number,
    by: string,
  ): Promise<{ key: ApiKeyInfo; revokedNow: boolean } | undefined>;
  /**
   * Removes one of the tenant's keys as if it had never been made (its records, not a revocation):
   * a key made past the limit by requests sent at once, never handed out.
   */
  discardApiKey(tenantId: string, keyId: string): Promise<void>;
  /** The tenant that holds the key, whoever it is (operators: may scan); undefined when there is none. */
  tenantOfApiKey(keyId: string): Promise<string | undefined>;
  /** Notes that a key was used at `now`, at most once a minute per key. Best effort. */
  touchApiKey(identity: ApiKeyIdentity, now: number): Promise<void>;
}

/** Web users and the tenant each is mapped to (`U#<user id>`). */
export interface UserDirectory {
  /** Maps the user to `tenantId` unless they are mapped already; returns the tenant they are mapped to. */
  claimUser(user: { id: string; email: string }, tenantId: string, at: number): Promise<string>;
}

/** Console sessions signed out before they ended (session.ts): the API refuses their tokens. */
export interface SessionRevocations {
  /** Records the session as revoked until `endsAt` (epoch ms; kept no longer: the token is dead by then). */
  revokeSession(sessionId: string, endsAt: number, at: number): Promise<void>;
  isSessionRevoked(sessionId: string): Promise<boolean>;
}

/**
 * Ties a tenant to its plan's rate and quota where the platform enforces them itself (API Gateway
 * usage plans on AWS). Returns the value the authorizer hands back as `usageIdentifierKey`.
 */
export interface UsagePlanBinder {
  bind(tenant: { id: string; plan: string }): Promise<UsageKey>;
  /** Moves a bound tenant's key from the usage plan of `fromPlan` to that of `tenant.plan`. */
  move(tenant: { id: string; plan: string }, fromPlan: string): Promise<UsageKey>;
}
