/**
 * The canary: a reserved tenant whose probe messages the stage sends to its own
 * /canary-receiver, so lateness and success on the real path are measured all the time.
 */
import type { TenancyDeps } from '@vigil/core';
import { ensureTenant } from '@vigil/core';

export const CANARY_TENANT_ID = 'tnt_canary';

let ensured = false;

/** Creates the canary tenant (and its signing secret) on first use in this container. */
export const ensureCanaryTenant = async (tenancy: Pick<TenancyDeps, 'tenants' | 'clock'>): Promise<void> => {
  if (ensured) return;
  await ensureTenant(tenancy, { id: CANARY_TENANT_ID, name: 'Canary', plan: 'pro' });
  ensured = true;
};
