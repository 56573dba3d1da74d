/**
 * Tenancy's storage on DynamoDB (same table as messages). Storage only: the rules (key limits,
 * secret rotation and its overlap, ids) are in libs/core/src/tenancy.
 *   tenant   pk T#<tenant>       sk TENANT   { name, plan, signingSecrets: [current, ...earlier], rotatedAt?, retiredAt?, createdAt }
 *   api key  pk K#<sha256(key)>  sk KEY      { keyId, tenantId, prefix, name, createdAt, revokedAt?, revokedBy? }
 *   key info pk T#<tenant>       sk KEY#<id> { keyId, hash, prefix, name, createdAt, revokedAt?, revokedBy?, lastUsedAt? }
 *   (revoked, both expire KEY_HISTORY_DAYS after: expiresAt (TTL), expiresAtMs)
 *   user     pk U#<user id>      sk USER     { tenantId, email, createdAt }   (web sign-in: user -> tenant)
 *   session  pk S#<session id>   sk REVOKED  { revokedAt, expiresAt (TTL), expiresAtMs }   (a console sign-out)
 * The first answers "whose key is this?" for the authorizer; the second lists a tenant's keys.
 * A key is stored only as its SHA-256 hash plus a short visible prefix; the plaintext is shown once.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  ApiKeyIdentity,
  ApiKeyInfo,
  ApiKeyRecord,
  ApiKeyStore,
  SessionRevocations,
  Tenant,
  TenantStore,
  UsageKey,
  UserDirectory,
} from '@vigil/core';
import { ApiKeyTakenError, revokedKeyExpiry, TenantNotFoundError } from '@vigil/core';
import { ITEM_ON_CONDITION_FAILURE, itemAfterRefusal } from './own-write';
import { TTL_ATTRIBUTE } from './table-definition';

/** A key as its tenant's record (`T#<tenant>` / `KEY#<id>`) holds it. */
const keyInfoOf = (item: Record<string, unknown>): ApiKeyInfo => ({
  id: item.keyId as string,
  name: item.name as string,
  prefix: item.prefix as string,
  createdAt: item.createdAt as number,
  ...(item.lastUsedAt !== undefined && { lastUsedAt: item.lastUsedAt as number }),
  // Keys revoked before their author was noted: by an operator or the console, unknown which.
  ...(item.revokedAt !== undefined && {
    revokedAt: item.revokedAt as number,
    revokedBy: (item.revokedBy as string | undefined) ?? 'unknown',
  }),
});

/** Tenants rarely change; a short cache keeps the delivery hot path and the quota check off the store. */
const TENANT_CACHE_MS = 60_000;

const ignoreConditionFailed = (error: unknown): void => {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
};

export class DynamoTenantStore implements TenantStore, ApiKeyStore, UserDirectory, SessionRevocations {
  private readonly cache = new Map<string, { tenant: Tenant; expires: number }>();
  private readonly revocationListeners: Array<() => void> = [];

  /** `now` only ages the cache; every time the domain records comes from its clock. */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `T#${tenantId}`, sk: 'TENANT' }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      id: Item.id,
      name: Item.name,
      plan: Item.plan,
      signingSecrets: Item.signingSecrets,
      rotatedAt: Item.rotatedAt,
      ...(Item.retiredAt !== undefined && { retiredAt: Item.retiredAt }),
      createdAt: Item.createdAt,
      ...(Item.usageKey !== undefined && { usageKeyId: Item.usageKeyId, usageKey: Item.usageKey }),
    };
  }

  /** The tenant as read at most TENANT_CACHE_MS ago: what signing and the quota check need. */
  async recentTenant(tenantId: string): Promise<Tenant> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.expires > this.now()) return cached.tenant;
    const tenant = await this.getTenant(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    this.cache.set(tenantId, { tenant, expires: this.now() + TENANT_CACHE_MS });
    return tenant;
  }

  async insertTenant(tenant: Tenant): Promise<Tenant> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `T#${tenant.id}`, sk: 'TENANT', ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return tenant;
    } catch (error) {
      ignoreConditionFailed(error);
      return (await this.getTenant(tenant.id)) as Tenant;
    }
  }

  async setPlan(tenantId: string, plan: string): Promise<void> {
    await this.updateTenant(tenantId, {
      UpdateExpression: 'SET #plan = :plan',
      ExpressionAttributeNames: { '#plan': 'plan' },
      ExpressionAttributeValues: { ':plan': plan },
    });
  }

  async setUsageKey(tenantId: string, usage: UsageKey): Promise<void> {
    await this.updateTenant(tenantId, {
      UpdateExpression: 'SET usageKeyId = :id, usageKey = :key',
      ExpressionAttributeValues: { ':id': usage.usageKeyId, ':key': usage.usageKey },
    });
  }

  /** Sets what `update` says on a tenant that exists (else ConditionalCheckFailedException), and forgets its cached copy. */
  private async updateTenant(
    tenantId: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `T#${tenantId}`, sk: 'TENANT' },
        ConditionExpression: 'attribute_exists(pk)',
        ...update,
      }),
    );
    this.cache.delete(tenantId);
  }

  async replaceSigningSecrets(
    tenantId: string,
    expectedCurrent: string,
    secrets: string[],
    retiredAt: number[],
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `T#${tenantId}`, sk: 'TENANT' },
          UpdateExpression: 'SET signingSecrets = :secrets, rotatedAt = :at, retiredAt = :retired',
          ConditionExpression: 'signingSecrets[0] = :current',
          ExpressionAttributeValues: {
            ':secrets': secrets,
            ':at': retiredAt[0],
            ':retired': retiredAt,
            ':current': expectedCurrent,
          },
          ...ITEM_ON_CONDITION_FAILURE,
        }),
      );
    } catch (error) {
      // Refused, or applied with its answer lost: the SDK's retry refused by the rotation it had made,
      // or the error reaching here after it landed (a 503 would have a client without an
      // Idempotency-Key rotate again). The current secret (fresh random bytes) tells which.
      const key = { pk: `T#${tenantId}`, sk: 'TENANT' };
      const refused = error instanceof ConditionalCheckFailedException;
      const current = refused
        ? await itemAfterRefusal(this.db, this.table, key, error)
        : await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })).then(
            (read) => read.Item,
            () => undefined,
          );
      const applied = (current?.signingSecrets as string[] | undefined)?.[0] === secrets[0];
      if (!applied && !refused) throw error;
      return applied;
    } finally {
      this.cache.delete(tenantId);
    }
    return true;
  }

  /** Items whose sort key is `sk`, page by page: a scan, for operator commands only, never a request path. */
  private async *scanBySortKey(sk: string): AsyncGenerator<Record<string, unknown>> {
    const pages = paginateScan(
      { client: this.db },
      { TableName: this.table, FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': sk } },
    );
    for await (const page of pages) yield* page.Items ?? [];
  }

  async listTenants(): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    for await (const item of this.scanBySortKey('TENANT')) {
      tenants.push({
        id: String(item.id),
        name: String(item.name),
        plan: String(item.plan),
        signingSecrets: [],
        createdAt: Number(item.createdAt),
        ...(item.usageKey !== undefined && { usageKeyId: String(item.usageKeyId), usageKey: String(item.usageKey) }),
      });
    }
    return tenants.sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * The authorizer's record is written first (conditionally), then the tenant's listing record,
   * which a repeat call writes again, so an interrupted call is completed by the next one.
   *
   * A write that throws may have landed all the same (its answer lost past the SDK's retries). Unless
   * the tenant's record of the key is there (the key is made: a retry with the request's
   * Idempotency-Key finds it), the authorizer's record is deleted again (while it is this key's)
   * before the error is thrown: a caller that is not given the key makes another, with a secret of
   * its own, and this one would stay a working key that nobody holds, lists or can revoke.
   */
  async addApiKey(record: ApiKeyRecord): Promise<{ keyId: string; createdAt: number }> {
    const { tenantId, hash, prefix, name } = record;
    let key = { keyId: record.keyId, createdAt: record.createdAt };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `K#${hash}`, sk: 'KEY', ...key, tenantId, prefix, name },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) return this.unlessListed(record, error);
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: { pk: `K#${hash}`, sk: 'KEY' }, ConsistentRead: true }),
      );
      if (Item?.tenantId !== tenantId) throw new ApiKeyTakenError();
      key = { keyId: Item.keyId, createdAt: Item.createdAt };
    }
    try {
      await this.db
        .send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: `T#${tenantId}`, sk: `KEY#${key.keyId}`, ...key, hash, prefix, name },
            ConditionExpression: 'attribute_not_exists(revokedAt)',
          }),
        )
        .catch(ignoreConditionFailed);
    } catch (error) {
      return this.unlessListed({ ...record, keyId: key.keyId }, error);
    }
    return key;
  }

  /** After a write of `addApiKey` threw: its key if the tenant's record of it is there, else nothing of it is left and the error is thrown. */
  private async unlessListed(record: ApiKeyRecord, error: unknown): Promise<{ keyId: string; createdAt: number }> {
    const listed = await this.tenantKeyRecord(record.tenantId, record.keyId).catch(() => undefined);
    if (listed?.hash === record.hash) return { keyId: record.keyId, createdAt: Number(listed.createdAt) };
    await this.db
      .send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `K#${record.hash}`, sk: 'KEY' },
          ConditionExpression: 'tenantId = :tenant AND keyId = :key',
          ExpressionAttributeValues: { ':tenant': record.tenantId, ':key': record.keyId },
        }),
      )
      .catch(() => undefined);
    throw error;
  }

  async tenantOfApiKey(keyId: string): Promise<string | undefined> {
    for await (const item of this.scanBySortKey(`KEY#${keyId}`)) return String(item.pk).slice(2);
    return undefined;
  }

  async revokeTenantApiKey(
    tenantId: string,
    keyId: string,
    at: number,
    by: string,
  ): Promise<{ key: ApiKeyInfo; revokedNow: boolean } | undefined> {
    const record = await this.tenantKeyRecord(tenantId, keyId);
    if (!record) return undefined;
    let revoked: Record<string, unknown>;
    try {
      revoked = await this.revokeKeyRecords(record, at, by);
    } catch (error) {
      // Applied, its answer lost past the SDK's retries: the tenant's record holds this call's time
      // and author (read once, on this path only), so it is revoked, and this call tells it; a
      // repeat would find it revoked before and tell nobody.
      const found = await this.tenantKeyRecord(tenantId, keyId).catch(() => undefined);
      if (found?.revokedAt !== at || found?.revokedBy !== by) throw error;
      this.revoked();
      revoked = found;
      // Its authorizer record was revoked first, maybe by an earlier call that failed before the listing.
      await this.authorizerAgrees(record, revoked, undefined);
    }
    // This call's revocation if the record holds its time and author (a retry of its write included).
    return { key: keyInfoOf(revoked), revokedNow: revoked.revokedAt === at && revoked.revokedBy === by };
  }

  async discardApiKey(tenantId: string, keyId: string): Promise<void> {
    const record = await this.tenantKeyRecord(tenantId, keyId);
    if (!record) return;
    // The hash's record only while it is this key's (a hash is one plaintext: never another's).
    await this.db
      .send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `K#${record.hash}`, sk: 'KEY' },
          ConditionExpression: 'tenantId = :tenant AND keyId = :key',
          ExpressionAttributeValues: { ':tenant': tenantId, ':key': keyId },
        }),
      )
      .catch(ignoreConditionFailed);
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `T#${tenantId}`, sk: `KEY#${keyId}` } }));
    this.revoked();
  }

  /** The tenant's record of one of its keys (a consistent read), if it has it. */
  private async tenantKeyRecord(tenantId: string, keyId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `T#${tenantId}`, sk: `KEY#${keyId}` }, ConsistentRead: true }),
    );
    return Item;
  }

  /** At most once a minute per key (API Gateway caches the authorizer's answer for up to a minute anyway). */
  async touchApiKey(identity: ApiKeyIdentity, now: number): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `T#${identity.tenantId}`, sk: `KEY#${identity.keyId}` },
          UpdateExpression: 'SET lastUsedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)',
          ExpressionAttributeValues: { ':now': now, ':stale': now - 60_000 },
        }),
      )
      .catch(ignoreConditionFailed);
  }

  async listApiKeys(tenantId: string, { revokedSince }: { revokedSince?: number } = {}): Promise<ApiKeyInfo[]> {
    const keys: ApiKeyInfo[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `T#${tenantId}`, ':prefix': 'KEY#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item.revokedAt !== undefined && (revokedSince === undefined || item.revokedAt < revokedSince)) continue;
        keys.push(keyInfoOf(item));
      }
    }
    return keys;
  }

  async findApiKey(hash: string): Promise<ApiKeyIdentity | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `K#${hash}`, sk: 'KEY' } }));
    if (!Item || Item.revokedAt !== undefined) return undefined;
    return { tenantId: Item.tenantId, keyId: Item.keyId };
  }

  /** Conditionally, so the first writer wins and two first sign-ins at once end with one tenant. */
  async claimUser(user: { id: string; email: string }, tenantId: string, at: number): Promise<string> {
    const key = { pk: `U#${user.id}`, sk: 'USER' };
    const read = async () =>
      (await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item?.tenantId as
        string | undefined;
    const known = await read();
    if (known) return known;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, tenantId, email: user.email, createdAt: at },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return tenantId;
    } catch (error) {
      ignoreConditionFailed(error);
      return (await read()) as string;
    }
  }

  /** Revokes the authorizer's record first, so the key stops working even if the second write fails. */
  private async revokeKeyRecords(
    tenantRecord: Record<string, unknown>,
    revokedAt: number,
    revokedBy: string,
  ): Promise<Record<string, unknown>> {
    // The first revocation's time and author stay (a second revoke changes nothing).
    const revoke = (key: Record<string, unknown>) =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          // Both records go once the key is no longer listed (TTL on AWS, the reaper locally).
          UpdateExpression:
            'SET revokedAt = if_not_exists(revokedAt, :at), revokedBy = if_not_exists(revokedBy, :by), ' +
            '#ttl = if_not_exists(#ttl, :ttl), expiresAtMs = if_not_exists(expiresAtMs, :ttlMs)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':at': revokedAt,
            ':by': revokedBy,
            ':ttl': Math.ceil(revokedKeyExpiry(revokedAt) / 1000),
            ':ttlMs': revokedKeyExpiry(revokedAt),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
    const { Attributes: authorizer } = await revoke({ pk: `K#${tenantRecord.hash}`, sk: 'KEY' });
    const { Attributes } = await revoke({ pk: tenantRecord.pk, sk: tenantRecord.sk });
    this.revoked();
    const revoked = Attributes ?? tenantRecord;
    await this.authorizerAgrees(tenantRecord, revoked, authorizer);
    return revoked;
  }

  /**
   * The authorizer's record of a revoked key holds the listing's `revokedAt` and `revokedBy` (and
   * so goes when it does): a revocation whose authorizer write landed and whose listing write did
   * not (an error, a 503) left its own time there, and the retry that revoked the listing its own.
   * Written only when they differ (`authorizer`, the record as the revoke left it; unknown after a
   * write that threw: a conditional write then). Best effort: the key is revoked either way, and a
   * repeat of the revoke makes them agree.
   */
  private async authorizerAgrees(
    tenantRecord: Record<string, unknown>,
    revoked: Record<string, unknown>,
    authorizer: Record<string, unknown> | undefined,
  ): Promise<void> {
    const { revokedAt, revokedBy } = revoked;
    if (revokedAt === undefined) return;
    if (authorizer && authorizer.revokedAt === revokedAt && authorizer.revokedBy === revokedBy) return;
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `K#${tenantRecord.hash}`, sk: 'KEY' },
          UpdateExpression: 'SET revokedAt = :at, revokedBy = :by, #ttl = :ttl, expiresAtMs = :ttlMs',
          ConditionExpression: 'attribute_exists(pk) AND (revokedAt <> :at OR revokedBy <> :by)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':at': revokedAt,
            ':by': revokedBy,
            ':ttl': Math.ceil(revokedKeyExpiry(revokedAt as number) / 1000),
            ':ttlMs': revokedKeyExpiry(revokedAt as number),
          },
        }),
      )
      .catch(() => undefined);
  }

  /** Kept until the session would have ended (DynamoDB TTL deletes it after; reads check expiresAtMs). */
  async revokeSession(sessionId: string, endsAt: number, at: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `S#${sessionId}`,
          sk: 'REVOKED',
          revokedAt: at,
          [TTL_ATTRIBUTE]: Math.ceil(endsAt / 1000),
          expiresAtMs: endsAt,
        },
      }),
    );
    this.revoked();
  }

  async isSessionRevoked(sessionId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `S#${sessionId}`, sk: 'REVOKED' }, ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  /** Called after every revocation made through this store (the local gateway drops its auth cache). */
  onRevocation(listener: () => void): void {
    this.revocationListeners.push(listener);
  }

  /** Tells the revocation listeners (onRevocation) that a key or session was revoked. */
  private revoked(): void {
    for (const listener of this.revocationListeners) listener();
  }
}
