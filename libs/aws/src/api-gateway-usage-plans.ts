/**
 * Binds a tenant to its plan's API Gateway usage plan: one API key per tenant and stage, named
 * `vigil-<stage>-<tenantId>`, in the usage plan the deployment made for the plan,
 * `vigil-<plan>-<stage>` (infra/api.ts). The authorizer hands the key's value back as
 * `usageIdentifierKey` (the API's key source is AUTHORIZER), so API Gateway throttles and caps
 * the tenant with its plan's rate, burst and monthly quota. Tenants never see this key: they
 * authenticate with their Vigil API keys.
 *
 * Every step can be retried: an existing key of the tenant's name is reused rather than a second
 * one made, and a key already in the plan counts as bound. Two binds of one tenant at once both
 * settle on the oldest key of the name and the other one is deleted.
 *
 * Every key it makes is tagged with its stage (USAGE_KEY_STAGE_TAG), so a deployed function may be
 * allowed to make and delete keys of its own stage only (infra/functions.ts).
 *
 * The caller needs apigateway:GET on /usageplans and /apikeys (the lists), on
 * /usageplans/{id}/keys/{keyId} (after a conflict) and, to move a key, apigateway:DELETE on
 * /usageplans/{id}/keys/{keyId}; apigateway:POST on /apikeys and /usageplans/{id}/keys,
 * apigateway:PUT on /tags/{key ARN} (AWS's reference lists it for CreateApiKey: the key's tags),
 * and apigateway:DELETE on /apikeys/{id} (only after such a race).
 */
import { randomBytes } from 'node:crypto';
import type { ApiKey } from '@aws-sdk/client-api-gateway';
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanKeyCommand,
  NotFoundException,
  paginateGetApiKeys,
  paginateGetUsagePlans,
} from '@aws-sdk/client-api-gateway';
import type { UsagePlanBinder } from '@vigil/core';

/** The usage plan serverless makes for a plan on a stage (`provider.apiGateway.usagePlan`). */
export const usagePlanName = (plan: string, stage: string): string => `vigil-${plan}-${stage}`;

/** The API Gateway API key of a tenant on a stage. */
export const usageKeyName = (stage: string, tenantId: string): string => `vigil-${stage}-${tenantId}`;

/** The tag naming the stage whose binder made a key (API Gateway tag keys may hold `:`). */
export const USAGE_KEY_STAGE_TAG = 'vigil:stage';
/** The tag naming the key's tenant. */
export const USAGE_KEY_TENANT_TAG = 'tenantId';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const USAGE_KEY_LENGTH = 40;
const PAGE_SIZE = 500;

/** 40 letters and digits (about 238 bits): API Gateway asks for at least 20 characters. */
export const newUsageKeyValue = (): string => {
  let out = '';
  while (out.length < USAGE_KEY_LENGTH) {
    // 248 = 4 × 62: dropping bytes at or above it keeps every character equally likely.
    for (const byte of randomBytes(USAGE_KEY_LENGTH)) {
      if (byte < 248 && out.length < USAGE_KEY_LENGTH) out += BASE62[byte % 62];
    }
  }
  return out;
};

/** Why a tenant could not be bound to its usage plan. */
export class UsagePlanBindingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The stage has no usage plan for the tenant's plan (wrong VIGIL_STAGE, or not deployed). */
export class UsagePlanNotFoundError extends UsagePlanBindingError {}

/** The tenant's key is held elsewhere: in another plan on the same API stage, or without a value. */
export class UsageKeyConflictError extends UsagePlanBindingError {}

interface UsageKey {
  id: string;
  value: string;
  createdDate?: Date;
}

/** Oldest first, ties by id: every caller picks the same key out of duplicates. */
const byAge = (a: UsageKey, b: UsageKey) =>
  (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0) || a.id.localeCompare(b.id);

export class ApiGatewayUsagePlanBinder implements UsagePlanBinder {
  /** Usage plan ids by plan name: they change only with a redeploy that replaces the plans. */
  private readonly planIds = new Map<string, Promise<string>>();

  constructor(
    private readonly stage: string,
    private readonly client: APIGatewayClient = new APIGatewayClient({}),
  ) {}

  async bind(tenant: { id: string; plan: string }): Promise<{ usageKeyId: string; usageKey: string }> {
    const usagePlanId = await this.usagePlanId(tenant.plan);
    const name = usageKeyName(this.stage, tenant.id);
    const key = (await this.findKeys(name))[0] ?? (await this.createKey(name, tenant.id));
    await this.addToPlan(usagePlanId, key.id, tenant.plan);
    return { usageKeyId: key.id, usageKey: key.value };
  }

  /**
   * Moves the tenant's key from the usage plan of `fromPlan` to that of its (new) plan. A key may
   * be in one plan per API stage, so it leaves the old plan first (for a moment it is in none).
   * Repeating a move, or finishing an interrupted one, is safe.
   */
  async move(
    tenant: { id: string; plan: string },
    fromPlan: string,
  ): Promise<{ usageKeyId: string; usageKey: string }> {
    const key = (await this.findKeys(usageKeyName(this.stage, tenant.id)))[0];
    if (!key) return this.bind(tenant);
    if (fromPlan !== tenant.plan) {
      const usagePlanId = await this.usagePlanId(fromPlan);
      await this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId: key.id })).catch((error: unknown) => {
        if (!(error instanceof NotFoundException)) throw error;
      });
    }
    await this.addToPlan(await this.usagePlanId(tenant.plan), key.id, tenant.plan);
    return { usageKeyId: key.id, usageKey: key.value };
  }

  /** The id of the stage's usage plan for `plan`, looked up once per process. */
  usagePlanId(plan: string): Promise<string> {
    let id = this.planIds.get(plan);
    if (!id) {
      id = this.lookUpUsagePlan(plan);
      // A failed lookup is not remembered: the plan may be deployed by the next call.
      id.catch(() => this.planIds.delete(plan));
      this.planIds.set(plan, id);
    }
    return id;
  }

  private async lookUpUsagePlan(plan: string): Promise<string> {
    const name = usagePlanName(plan, this.stage);
    const ids: string[] = [];
    for await (const page of paginateGetUsagePlans({ client: this.client, pageSize: PAGE_SIZE }, {})) {
      for (const usagePlan of page.items ?? []) if (usagePlan.name === name && usagePlan.id) ids.push(usagePlan.id);
    }
    if (ids.length === 0) {
      throw new UsagePlanNotFoundError(
        `No API Gateway usage plan named ${name} for plan ${plan} on stage ${this.stage}: deploy the stage first, or check VIGIL_STAGE.`,
      );
    }
    if (ids.length > 1) {
      throw new UsagePlanBindingError(`${ids.length} API Gateway usage plans are named ${name} (${ids.join(', ')}).`);
    }
    return ids[0] as string;
  }

  /** The keys named exactly `name` (the service's name query matches a prefix), oldest first. */
  private async findKeys(name: string): Promise<UsageKey[]> {
    const found: UsageKey[] = [];
    const pages = paginateGetApiKeys(
      { client: this.client, pageSize: PAGE_SIZE },
      { nameQuery: name, includeValues: true },
    );
    for await (const page of pages) {
      for (const key of page.items ?? []) {
        if (key.name !== name) continue;
        found.push(this.usageKey(key, name));
      }
    }
    return found.sort(byAge);
  }

  private usageKey(key: ApiKey, name: string): UsageKey {
    if (!key.id || !key.value)
      throw new UsageKeyConflictError(`API Gateway returned API key ${name} without its value.`);
    return { id: key.id, value: key.value, createdDate: key.createdDate };
  }

  /**
   * Makes the tenant's key; if a concurrent bind made one too, both keep the oldest and this
   * call deletes its own, so the tenant ends with one key whichever call finishes first.
   */
  private async createKey(name: string, tenantId: string): Promise<UsageKey> {
    const created = this.usageKey(
      await this.client.send(
        new CreateApiKeyCommand({
          name,
          description: `Vigil tenant ${tenantId}: usage plan identity (not a credential the tenant sees)`,
          enabled: true,
          value: newUsageKeyValue(),
          tags: { [USAGE_KEY_TENANT_TAG]: tenantId, [USAGE_KEY_STAGE_TAG]: this.stage },
        }),
      ),
      name,
    );
    const oldest = (await this.findKeys(name))[0] ?? created;
    if (oldest.id !== created.id) {
      await this.client.send(new DeleteApiKeyCommand({ apiKey: created.id })).catch((error: unknown) => {
        if (!(error instanceof NotFoundException)) throw error;
      });
    }
    return oldest;
  }

  /** Adds the key to the usage plan; a key already in that plan counts as added. */
  private async addToPlan(usagePlanId: string, keyId: string, plan: string): Promise<void> {
    try {
      await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      if (await this.isInPlan(usagePlanId, keyId)) return;
      throw new UsageKeyConflictError(
        `API key ${keyId} could not join usage plan ${usagePlanName(plan, this.stage)} (${usagePlanId}): ${error.message}`,
        { cause: error },
      );
    }
  }

  private async isInPlan(usagePlanId: string, keyId: string): Promise<boolean> {
    try {
      await this.client.send(new GetUsagePlanKeyCommand({ usagePlanId, keyId }));
      return true;
    } catch (error) {
      if (error instanceof NotFoundException) return false;
      throw error;
    }
  }
}
