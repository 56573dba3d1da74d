/**
 * Tenants and their API keys on DynamoDB (same table as messages).
 *   tenant   pk T#<tenant>       sk TENANT   { name, plan, signingSecrets: [current, previous?], rotatedAt?, createdAt }
 *   api key  pk K#<sha256(key)>  sk KEY      { keyId, tenantId, prefix, name, createdAt, revokedAt? }
 *   key info pk T#<tenant>       sk KEY#<id> { keyId, hash, prefix, name, createdAt, revokedAt? }
 * The first answers "whose key is this?" for the authorizer; the second lists a tenant's keys.
 * A key is stored only as its SHA-256 hash plus a short visible prefix; the plaintext is shown once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, paginateQuery, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TenantDirectory } from '@vigil/core';
import { ConcurrentChangeError, newSigningSecret, TenantNotFoundError, VigilError } from '@vigil/core';
import { ulid } from 'ulid';

export interface Tenant {
  id: string;
  name: string;
  plan: string;
  /** The current secret first; after a rotation, the previous one second. */
  signingSecrets: string[];
  /** When the secrets were last rotated: the previous one is honoured until then + the overlap. */
  rotatedAt?: number;
  createdAt: number;
  /** The tenant's API Gateway API key (id and value) in its plan's usage plan; absent locally. */
  usageKeyId?: string;
  usageKey?: string;
}

/** After a rotation, deliveries carry signatures from the old and the new secret this long. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** A key as its tenant sees it: never the secret itself. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt?: number;
}

/** At most this many active API keys per tenant. */
export const MAX_ACTIVE_KEYS = 20;

export class ApiKeyLimitError extends VigilError {
  readonly status = 409;
  readonly type = 'key-limit';
  readonly title = 'Too many API keys';
}

export interface ApiKeyIdentity {
  tenantId: string;
  keyId: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const API_KEY_PATTERN = /^vgl_[0-9A-Za-z]{43}$/;

/** `vgl_` + 43 base62 characters (256 bits of randomness). */
export const newApiKey = (): string => {
  let n = BigInt(`0x${randomBytes(32).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 43; i += 1) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return `vgl_${out}`;
};

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
export const newTenantId = (): string => `tnt_${ulid()}`;

/** Tenants rarely change; a short cache keeps the delivery hot path and the quota check off the store. */
const TENANT_CACHE_MS = 60_000;

export class DynamoTenantStore implements TenantDirectory {
  private readonly cache = new Map<string, { tenant: Tenant; expires: number }>();
  private readonly revocationListeners: Array<() => void> = [];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `T#${tenantId}`, sk: 'TENANT' } }),
    );
    if (!Item) return undefined;
    return {
      id: Item.id,
      name: Item.name,
      plan: Item.plan,
      signingSecrets: Item.signingSecrets,
      rotatedAt: Item.rotatedAt,
      createdAt: Item.createdAt,
      ...(Item.usageKey !== undefined && { usageKeyId: Item.usageKeyId, usageKey: Item.usageKey }),
    };
  }

  /** Puts the tenant on `plan` (rate, burst and monthly quota: libs/core/src/plans.ts). */
  async setPlan(tenantId: string, plan: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `T#${tenantId}`, sk: 'TENANT' },
        UpdateExpression: 'SET #plan = :plan',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#plan': 'plan' },
        ExpressionAttributeValues: { ':plan': plan },
      }),
    );
    this.cache.delete(tenantId);
  }

  /** Records the tenant's API Gateway API key (the authorizer returns it as usageIdentifierKey). */
  async setUsageKey(tenantId: string, usage: { usageKeyId: string; usageKey: string }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `T#${tenantId}`, sk: 'TENANT' },
        UpdateExpression: 'SET usageKeyId = :id, usageKey = :key',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':id': usage.usageKeyId, ':key': usage.usageKey },
      }),
    );
    this.cache.delete(tenantId);
  }

  /** Creates the tenant unless it exists; returns the stored one either way. */
  async ensureTenant(input: { id: string; name: string; plan: string }): Promise<Tenant> {
    const tenant: Tenant = { ...input, signingSecrets: [newSigningSecret()], createdAt: this.now() };
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
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.getTenant(input.id)) as Tenant;
    }
  }

  /** The tenant as read at most TENANT_CACHE_MS ago: what signing and the quota check need. */
  private async cachedTenant(tenantId: string): Promise<Tenant> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.expires > this.now()) return cached.tenant;
    const tenant = await this.getTenant(tenantId);
    if (!tenant) throw new TenantNotFoundError(tenantId);
    this.cache.set(tenantId, { tenant, expires: this.now() + TENANT_CACHE_MS });
    return tenant;
  }

  /** The tenant's plan name. */
  async planOf(tenantId: string): Promise<string> {
    return (await this.cachedTenant(tenantId)).plan;
  }

  /** The secrets deliveries are signed with: the current one, plus the previous one during the overlap. */
  async signingSecrets(tenantId: string): Promise<string[]> {
    const tenant = await this.cachedTenant(tenantId);
    const [current, previous] = tenant.signingSecrets;
    const overlapping = previous !== undefined && this.now() < (tenant.rotatedAt ?? 0) + SECRET_ROTATION_OVERLAP_MS;
    return overlapping ? [current as string, previous] : [current as string];
  }

  /**
   * Replaces the current secret with a new one; the old one keeps signing deliveries (next to the
   * new) for the overlap, so receivers can switch without dropping a webhook.
   */
  async rotateSigningSecret(tenantId: string): Promise<{ secret: string; previousValidUntil: number }> {
    const tenant = await this.getTenant(tenantId);
    const current = tenant?.signingSecrets[0];
    if (!current) throw new Error(`tenant ${tenantId} does not exist`);
    const secret = newSigningSecret();
    const rotatedAt = this.now();
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `T#${tenantId}`, sk: 'TENANT' },
          UpdateExpression: 'SET signingSecrets = :secrets, rotatedAt = :at',
          // Two rotations at once: the second finds the list changed and fails rather than lose one.
          ConditionExpression: 'signingSecrets[0] = :current',
          ExpressionAttributeValues: { ':secrets': [secret, current], ':at': rotatedAt, ':current': current },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        throw new ConcurrentChangeError('The signing secret was rotated by another request just now; read it again.');
      });
    this.cache.delete(tenantId);
    return { secret, previousValidUntil: rotatedAt + SECRET_ROTATION_OVERLAP_MS };
  }

  /**
   * Stores a key (hash and prefix only) for a tenant; idempotent for the same plaintext. The
   * authorizer's record is written first (conditionally), then the tenant's listing record, which
   * a repeat call writes again, so an interrupted call is completed by the next one.
   */
  async addApiKey(tenantId: string, plaintext: string, name: string): Promise<{ keyId: string; prefix: string }> {
    const prefix = plaintext.slice(0, 12);
    const hash = hashApiKey(plaintext);
    let key = { keyId: `key_${ulid()}`, createdAt: this.now() };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `K#${hash}`, sk: 'KEY', ...key, tenantId, prefix, name },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: { pk: `K#${hash}`, sk: 'KEY' }, ConsistentRead: true }),
      );
      if (Item?.tenantId !== tenantId) throw new Error('this API key belongs to another tenant');
      key = { keyId: Item.keyId, createdAt: Item.createdAt };
    }
    await this.db
      .send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `T#${tenantId}`, sk: `KEY#${key.keyId}`, ...key, hash, prefix, name },
          ConditionExpression: 'attribute_not_exists(revokedAt)',
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    return { keyId: key.keyId, prefix };
  }

  /** Items whose sort key is `sk`, page by page: a scan, for operator commands only, never a request path. */
  private async *scanBySortKey(sk: string): AsyncGenerator<Record<string, unknown>> {
    const pages = paginateScan(
      { client: this.db },
      { TableName: this.table, FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': sk } },
    );
    for await (const page of pages) yield* page.Items ?? [];
  }

  /** Every tenant, oldest first (operators). */
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
   * Revokes a key by its id (operators). The authorizer's record goes first, so the key stops
   * working even if the second write fails. Returns the tenant it belonged to, or undefined.
   */
  async revokeApiKey(keyId: string): Promise<{ tenantId: string; prefix: string } | undefined> {
    let found: Record<string, unknown> | undefined;
    for await (const item of this.scanBySortKey(`KEY#${keyId}`)) {
      found = item;
      break;
    }
    if (!found) return undefined;
    await this.revokeKeyRecords(found);
    return { tenantId: String(found.pk).slice(2), prefix: String(found.prefix) };
  }

  /** A tenant revokes one of its own keys; false when it has no such key. */
  async revokeTenantApiKey(tenantId: string, keyId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `T#${tenantId}`, sk: `KEY#${keyId}` }, ConsistentRead: true }),
    );
    if (!Item) return false;
    await this.revokeKeyRecords(Item);
    return true;
  }

  /**
   * Notes that a key was used, at most once a minute per key (the authorizer calls this when it
   * looks a key up; API Gateway then caches the answer for up to a minute anyway). Best effort.
   */
  async touchApiKey(identity: ApiKeyIdentity): Promise<void> {
    const now = this.now();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `T#${identity.tenantId}`, sk: `KEY#${identity.keyId}` },
          UpdateExpression: 'SET lastUsedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)',
          ExpressionAttributeValues: { ':now': now, ':stale': now - 60_000 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The tenant's active keys, oldest first (never the plaintext: it is not stored). */
  async listApiKeys(tenantId: string): Promise<ApiKeyInfo[]> {
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
        if (item.revokedAt !== undefined) continue;
        keys.push({
          id: item.keyId,
          name: item.name,
          prefix: item.prefix,
          createdAt: item.createdAt,
          ...(item.lastUsedAt !== undefined && { lastUsedAt: item.lastUsedAt }),
        });
      }
    }
    return keys;
  }

  /** Makes a new key for the tenant (at most MAX_ACTIVE_KEYS active); the plaintext is returned once. */
  async createApiKey(tenantId: string, name: string): Promise<ApiKeyInfo & { key: string }> {
    if ((await this.listApiKeys(tenantId)).length >= MAX_ACTIVE_KEYS) {
      throw new ApiKeyLimitError(`A tenant may have at most ${MAX_ACTIVE_KEYS} active API keys; revoke one first.`);
    }
    const key = newApiKey();
    const { keyId, prefix } = await this.addApiKey(tenantId, key, name);
    return { id: keyId, name, prefix, createdAt: this.now(), key };
  }

  /** Revokes the authorizer's record first, so the key stops working even if the second write fails. */
  private async revokeKeyRecords(tenantRecord: Record<string, unknown>): Promise<void> {
    const revokedAt = this.now();
    const revoke = (key: Record<string, unknown>) =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': revokedAt },
        }),
      );
    await revoke({ pk: `K#${tenantRecord.hash}`, sk: 'KEY' });
    await revoke({ pk: tenantRecord.pk, sk: tenantRecord.sk });
    for (const listener of this.revocationListeners) listener();
  }

  /** Called after every revocation made through this store (the local gateway drops its auth cache). */
  onRevocation(listener: () => void): void {
    this.revocationListeners.push(listener);
  }

  async findApiKey(plaintext: string): Promise<ApiKeyIdentity | undefined> {
    if (!API_KEY_PATTERN.test(plaintext)) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `K#${hashApiKey(plaintext)}`, sk: 'KEY' } }),
    );
    if (!Item || Item.revokedAt !== undefined) return undefined;
    return { tenantId: Item.tenantId, keyId: Item.keyId };
  }
}
