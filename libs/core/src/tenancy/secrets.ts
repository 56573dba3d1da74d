/** Webhook signing secrets: read, rotated with an overlap, and handed to delivery. */
import { ConcurrentChangeError, TenantNotFoundError } from '../errors';
import type { TenantDirectory } from '../ports';
import { newSigningSecret } from '../signing';
import type { TenancyDeps } from './deps';
import type { Tenant } from './tenant';
import {
  activeSigningSecrets,
  earlierSigningSecrets,
  MAX_EARLIER_SIGNING_SECRETS,
  SECRET_ROTATION_OVERLAP_MS,
  SigningSecretRotationLimitError,
} from './tenant';

type SecretDeps = Pick<TenancyDeps, 'tenants' | 'clock'>;

/**
 * The secret deliveries are signed with now (the newest), as stored: read without a cache, so the
 * answer right after a rotation is the new secret whichever process serves it.
 */
export const currentSigningSecret = async (deps: SecretDeps, tenantId: string): Promise<string> => {
  const tenant = await deps.tenants.getTenant(tenantId);
  const [secret] = tenant === undefined ? [] : activeSigningSecrets(tenant, deps.clock.now());
  if (secret === undefined) throw new TenantNotFoundError(tenantId);
  return secret;
};

/**
 * Replaces the current secret with a new one; the replaced one keeps signing deliveries (next to the
 * new) for SECRET_ROTATION_OVERLAP_MS, so receivers can switch without dropping a webhook, and so do
 * the earlier ones still in their own overlap: a second rotation within the day ends none early.
 * While MAX_EARLIER_SIGNING_SECRETS are, another rotation is refused. Two rotations at once: the
 * second finds the secret changed and is refused rather than lose one.
 */
export const rotateSigningSecret = async (
  deps: SecretDeps,
  tenantId: string,
  { replacing }: { replacing?: string } = {},
): Promise<SigningSecretRotation> => {
  const tenant = await deps.tenants.getTenant(tenantId);
  const current = tenant?.signingSecrets[0];
  if (!tenant || !current) throw new TenantNotFoundError(tenantId);
  if (replacing !== undefined && current !== replacing) throw rotatedByAnother();
  const rotatedAt = deps.clock.now();
  const earlier = earlierSigningSecrets(tenant, rotatedAt);
  if (earlier.length >= MAX_EARLIER_SIGNING_SECRETS) {
    const until = earlier.map((e) => new Date(e.validUntil).toISOString());
    throw new SigningSecretRotationLimitError(
      `The ${earlier.length} secrets replaced in the last 24 hours still sign every delivery beside the current one ` +
        `(until ${until.join(' and ')}), and a delivery carries at most ${MAX_EARLIER_SIGNING_SECRETS + 1} signatures. ` +
        `Rotate again after ${until.at(-1)}.`,
    );
  }
  const secret = newSigningSecret();
  const secrets = [secret, current, ...earlier.map((e) => e.secret)];
  const retiredAt = [rotatedAt, ...earlier.map((e) => e.retiredAt)];
  if (!(await deps.tenants.replaceSigningSecrets(tenantId, current, secrets, retiredAt))) throw rotatedByAnother();
  return { secret, previousValidUntil: rotatedAt + SECRET_ROTATION_OVERLAP_MS };
};

/** A rotation's answer: the secret that signs now, and until when the one it replaced still signs too. */
export interface SigningSecretRotation {
  secret: string;
  previousValidUntil: number;
}

/** Refuses a rotation another one got ahead of (`state-conflict`, without Retry-After: read it again). */
export const rotatedByAnother = (): ConcurrentChangeError =>
  new ConcurrentChangeError('The signing secret was rotated by another request just now; read it again.', {
    sendAgain: false,
  });

/**
 * The last rotation as it stands now: the current secret and until when the secret it replaced
 * signs beside it; undefined for a tenant never rotated.
 */
export const lastRotation = (tenant: Tenant): SigningSecretRotation | undefined => {
  const [secret] = tenant.signingSecrets;
  const replacedAt = (tenant.retiredAt ?? (tenant.rotatedAt === undefined ? [] : [tenant.rotatedAt]))[0];
  if (secret === undefined || replacedAt === undefined) return undefined;
  return { secret, previousValidUntil: replacedAt + SECRET_ROTATION_OVERLAP_MS };
};

/** What delivery needs of a tenant, from one (cached) read: its active secrets at the clock's now and its plan. */
export const signingSecretDirectory = (deps: SecretDeps): TenantDirectory => ({
  forDelivery: async (tenantId) => {
    const tenant = await deps.tenants.recentTenant(tenantId);
    return { signingSecrets: activeSigningSecrets(tenant, deps.clock.now()), plan: tenant.plan };
  },
});
