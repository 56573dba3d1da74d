/**
 * Making tenants: the one path the operator command (`admin tenant create`), the web console's
 * first sign-in (POST /v1/session/tenant) and the local stack's development tenant take, so a
 * tenant made any way is complete (tenant, first API key, and where there are usage plans, its
 * API Gateway key bound to the plan's usage plan).
 */
import { newSigningSecret } from '../signing';
import type { TenancyDeps } from './deps';
import { addApiKey } from './keys';
import type { Tenant, WebUser } from './tenant';
import { FIRST_SIGN_IN_PLAN, newApiKey, newTenantId } from './tenant';

type ProvisionDeps = Pick<TenancyDeps, 'tenants' | 'keys' | 'usagePlans' | 'clock'>;

export interface ProvisionedTenant {
  tenant: Tenant;
  /** The first API key's plaintext: shown once, never stored. */
  apiKey: string;
  keyId: string;
}

/** Creates the tenant unless one with its id exists (with a fresh signing secret); returns the stored one. */
export const ensureTenant = (
  deps: Pick<TenancyDeps, 'tenants' | 'clock'>,
  input: { id: string; name: string; plan: string },
): Promise<Tenant> =>
  deps.tenants.insertTenant({ ...input, signingSecrets: [newSigningSecret()], createdAt: deps.clock.now() });

/** Binds the tenant to its plan's usage plan unless it already is (or there are no usage plans). */
export const ensureUsagePlan = async (
  deps: Pick<TenancyDeps, 'tenants' | 'usagePlans'>,
  tenant: Tenant,
): Promise<Tenant> => {
  if (tenant.usageKey || !deps.usagePlans) return tenant;
  const usage = await deps.usagePlans.bind(tenant);
  await deps.tenants.setUsageKey(tenant.id, usage);
  return { ...tenant, ...usage };
};

/** A new tenant with its first API key (named `firstKeyName`). */
export const provisionTenant = async (
  deps: ProvisionDeps,
  input: { name: string; plan: string; firstKeyName?: string },
): Promise<ProvisionedTenant> => {
  const created = await ensureTenant(deps, { id: newTenantId(deps.clock.now()), name: input.name, plan: input.plan });
  const tenant = await ensureUsagePlan(deps, created);
  const apiKey = newApiKey();
  const { id: keyId } = await addApiKey(deps, tenant.id, apiKey, input.firstKeyName ?? 'first key');
  return { tenant, apiKey, keyId };
};

/**
 * The tenant of a signed-in web user, made on their first sign-in (plan free). Every step is
 * idempotent, so two first sign-ins at once, or one interrupted half-way, end with one tenant.
 */
export const tenantForUser = async (
  deps: Pick<TenancyDeps, 'tenants' | 'users' | 'usagePlans' | 'clock'>,
  user: WebUser,
): Promise<Tenant> => {
  const now = deps.clock.now();
  const tenantId = await deps.users.claimUser(user, newTenantId(now), now);
  const tenant = await ensureTenant(deps, { id: tenantId, name: user.name ?? user.email, plan: FIRST_SIGN_IN_PLAN });
  return ensureUsagePlan(deps, tenant);
};

/**
 * Puts the tenant on another plan: its API Gateway key moves to the new plan's usage plan first
 * (so the gateway's limits change first), then the tenant. Repeating it completes it.
 */
export const changePlan = async (
  deps: Pick<TenancyDeps, 'tenants' | 'usagePlans'>,
  tenant: Tenant,
  plan: string,
): Promise<Tenant> => {
  const fromPlan = tenant.plan;
  const usage = deps.usagePlans
    ? await (tenant.usageKey
        ? deps.usagePlans.move({ id: tenant.id, plan }, fromPlan)
        : deps.usagePlans.bind({ id: tenant.id, plan }))
    : undefined;
  if (usage && !tenant.usageKey) await deps.tenants.setUsageKey(tenant.id, usage);
  await deps.tenants.setPlan(tenant.id, plan);
  return { ...tenant, ...usage, plan };
};
