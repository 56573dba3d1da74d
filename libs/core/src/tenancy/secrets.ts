/** Webhook signing secrets: read, rotated with an overlap, and handed to delivery. */
import { ConcurrentChangeError, TenantNotFoundError } from '../errors';
import type { TenantDirectory } from '../ports';
import { newSigningSecret } from '../signing';
import type { TenancyDeps } from './deps';
import { activeSigningSecrets, SECRET_ROTATION_OVERLAP_MS } from './tenant';

type SecretDeps = Pick<TenancyDeps, 'tenants' | 'clock'>;

/** The secret deliveries are signed with now (the newest). */
export const currentSigningSecret = async (deps: SecretDeps, tenantId: string): Promise<string> => {
  const [secret] = activeSigningSecrets(await deps.tenants.recentTenant(tenantId), deps.clock.now());
  if (secret === undefined) throw new TenantNotFoundError(tenantId);
  return secret;
};

/**
 * Replaces the current secret with a new one; the old one keeps signing deliveries (next to the
 * new) for SECRET_ROTATION_OVERLAP_MS, so receivers can switch without dropping a webhook. Two
 * rotations at once: the second finds the secret changed and is refused rather than lose one.
 */
export const rotateSigningSecret = async (
  deps: SecretDeps,
  tenantId: string,
): Promise<{ secret: string; previousValidUntil: number }> => {
  const current = (await deps.tenants.getTenant(tenantId))?.signingSecrets[0];
  if (!current) throw new TenantNotFoundError(tenantId);
  const secret = newSigningSecret();
  const rotatedAt = deps.clock.now();
  if (!(await deps.tenants.replaceSigningSecrets(tenantId, current, [secret, current], rotatedAt))) {
    throw new ConcurrentChangeError('The signing secret was rotated by another request just now; read it again.', {
      sendAgain: false,
    });
  }
  return { secret, previousValidUntil: rotatedAt + SECRET_ROTATION_OVERLAP_MS };
};

/** What delivery needs of a tenant, from one (cached) read: its active secrets at the clock's now and its plan. */
export const signingSecretDirectory = (deps: SecretDeps): TenantDirectory => ({
  forDelivery: async (tenantId) => {
    const tenant = await deps.tenants.recentTenant(tenantId);
    return { signingSecrets: activeSigningSecrets(tenant, deps.clock.now()), plan: tenant.plan };
  },
});
