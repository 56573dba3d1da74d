/**
 * The signing secret rotated safely to repeat with an Idempotency-Key (idempotent-request.ts). The
 * key binds the rotation of the secret that was current when the request came: it is done once that
 * secret is no longer the current one, whoever replaced it, as a redeliver's round counts whoever
 * started it. So a repeat (after a timeout, a double click, a client's retry) rotates nothing more,
 * spends no more of the day's rotations, and answers with the rotation as it stands now: the secret
 * that signs now, which the tenant stores anyway (it signs), and until when the one before it signs
 * too. The new secret itself is never written to the key's claim: the claim names the replaced
 * secret by a digest of it (SHA-256, of 32 random bytes: nothing of the secret can be read from it).
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { ConcurrentChangeError, TenantNotFoundError } from '../errors';
import { requestFingerprint } from '../request-fingerprint';
import type { TenancyDeps } from '../tenancy/deps';
import type { SigningSecretRotation } from '../tenancy/secrets';
import { lastRotation, rotateSigningSecret } from '../tenancy/secrets';
import type { Tenant } from '../tenancy/tenant';
import type { IdempotencyDeps } from './idempotent-request';
import { runIdempotently } from './idempotent-request';

/** What a rotation's claim names the secret it replaces by. */
const secretDigest = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 32);

/**
 * Rotates the signing secret (rotateSigningSecret), or, for a repeat with the Idempotency-Key of a
 * rotation made, answers that rotation as it stands now (`created: false`): the current secret (a
 * later rotation's, if there was one since) and until when the secret before it signs too. A
 * request refused (409 `rotation-limit`) releases its key: its repeat is judged afresh.
 */
export const rotateSigningSecretIdempotently = async (
  deps: { tenancy: Pick<TenancyDeps, 'tenants' | 'clock'>; idempotency: IdempotencyDeps },
  tenantId: string,
  idempotencyKey: string | undefined,
): Promise<{ rotation: SigningSecretRotation; created: boolean }> => {
  const { tenancy } = deps;
  if (idempotencyKey === undefined) return { rotation: await rotateSigningSecret(tenancy, tenantId), created: true };
  const tenant = async (): Promise<Tenant> => {
    const found = await tenancy.tenants.getTenant(tenantId);
    if (!found?.signingSecrets[0]) throw new TenantNotFoundError(tenantId);
    return found;
  };
  /** The rotation that replaced the secret named in `ref`, as it stands now; undefined while that secret is current. */
  const rotated = (now: Tenant, ref: string): SigningSecretRotation | undefined =>
    secretDigest(now.signingSecrets[0] as string) === ref.split('#')[0] ? undefined : lastRotation(now);
  const before = await tenant();
  // The request part, unique, makes each request the owner of its own claim.
  const request = ulid(tenancy.clock.now());
  const ref = `${secretDigest(before.signingSecrets[0] as string)}#${request}`;
  const { results, created } = await runIdempotently<SigningSecretRotation>(
    deps.idempotency,
    tenantId,
    { key: idempotencyKey, fingerprint: requestFingerprint('POST /v1/signing-secret/rotate', {}) },
    [ref],
    {
      load: async (refs) => {
        const now = await tenant();
        return refs.map((bound) => rotated(now, bound));
      },
      write: async ([bound], stored) => {
        if (stored[0]) return [stored[0]];
        const now = await tenant();
        const done = rotated(now, bound as string);
        if (done) return [done];
        try {
          return [await rotateSigningSecret(tenancy, tenantId, { replacing: now.signingSecrets[0] as string })];
        } catch (error) {
          // Another request replaced the secret first: the rotation the key asked for is done.
          const meanwhile =
            error instanceof ConcurrentChangeError ? rotated(await tenant(), bound as string) : undefined;
          if (meanwhile) return [meanwhile];
          throw error;
        }
      },
    },
  );
  return { rotation: results[0] as SigningSecretRotation, created };
};
