/**
 * Making tenants: the one path the operator command (`admin tenant create`) and the web app's
 * first sign-in both take, so a tenant made either way is complete (tenant item, first API key,
 * and, on AWS, its API Gateway key bound to the plan's usage plan).
 *
 *   user  pk U#<user id>  sk USER  { tenantId, email, createdAt }   (web sign-in: user -> tenant)
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Tenant, DynamoTenantStore } from './dynamo-tenant-store';
import { newApiKey, newTenantId } from './dynamo-tenant-store';

/**
 * Ties a tenant to its plan's rate and quota where the platform enforces them itself (API Gateway
 * usage plans on AWS). Returns the value the authorizer hands back as `usageIdentifierKey`.
 */
export interface UsagePlanBinder {
  bind(tenant: { id: string; plan: string }): Promise<{ usageKeyId: string; usageKey: string }>;
  /** Moves a bound tenant's key from the usage plan of `fromPlan` to that of `tenant.plan`. */
  move(tenant: { id: string; plan: string }, fromPlan: string): Promise<{ usageKeyId: string; usageKey: string }>;
}

export interface ProvisionedTenant {
  tenant: Tenant;
  /** The first API key's plaintext: shown once, never stored. */
  apiKey: string;
  keyId: string;
}

export class TenantProvisioner {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly tenants: DynamoTenantStore,
    private readonly usagePlans?: UsagePlanBinder,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new tenant with its first API key (named `firstKeyName`). */
  async createTenant(input: { name: string; plan: string; firstKeyName?: string }): Promise<ProvisionedTenant> {
    const tenant = await this.tenants.ensureTenant({ id: newTenantId(), name: input.name, plan: input.plan });
    return this.complete(tenant, input.firstKeyName ?? 'first key');
  }

  /**
   * The tenant of a signed-in user, made on their first sign-in (plan free). Every step is
   * idempotent, so two first sign-ins at once, or one interrupted half-way, end with one tenant.
   */
  async tenantForUser(user: { id: string; email: string; name?: string }): Promise<Tenant> {
    const tenantId = await this.claimUser(user);
    const tenant = await this.tenants.ensureTenant({ id: tenantId, name: user.name ?? user.email, plan: 'free' });
    return this.ensureUsagePlan(tenant);
  }

  /** Binds the tenant to its plan's usage plan unless it already is (or there are no usage plans). */
  async ensureUsagePlan(tenant: Tenant): Promise<Tenant> {
    return tenant.usageKey ? tenant : this.bindUsagePlan(tenant);
  }

  /** The tenant id the user is mapped to, written on first sight (conditionally: first writer wins). */
  private async claimUser(user: { id: string; email: string }): Promise<string> {
    const key = { pk: `U#${user.id}`, sk: 'USER' };
    const read = async () =>
      (await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item?.tenantId as
        string | undefined;
    const known = await read();
    if (known) return known;
    const tenantId = newTenantId();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...key, tenantId, email: user.email, createdAt: this.now() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return tenantId;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await read()) as string;
    }
  }

  /**
   * Puts the tenant on another plan: its API Gateway key moves to the new plan's usage plan first
   * (so the gateway's limits change first), then the tenant item. Repeating it completes it.
   */
  async changePlan(tenant: Tenant, plan: string): Promise<Tenant> {
    const fromPlan = tenant.plan;
    const usage = this.usagePlans
      ? await (tenant.usageKey
          ? this.usagePlans.move({ id: tenant.id, plan }, fromPlan)
          : this.usagePlans.bind({ id: tenant.id, plan }))
      : undefined;
    if (usage && !tenant.usageKey) await this.tenants.setUsageKey(tenant.id, usage);
    await this.tenants.setPlan(tenant.id, plan);
    return { ...tenant, ...usage, plan };
  }

  private async complete(tenant: Tenant, firstKeyName: string): Promise<ProvisionedTenant> {
    const bound = await this.bindUsagePlan(tenant);
    const apiKey = newApiKey();
    const { keyId } = await this.tenants.addApiKey(tenant.id, apiKey, firstKeyName);
    return { tenant: bound, apiKey, keyId };
  }

  /** Binds the tenant to its usage plan where there are usage plans (not in the local stack). */
  private async bindUsagePlan(tenant: Tenant): Promise<Tenant> {
    if (!this.usagePlans) return tenant;
    const usage = await this.usagePlans.bind(tenant);
    await this.tenants.setUsageKey(tenant.id, usage);
    return { ...tenant, ...usage };
  }
}
