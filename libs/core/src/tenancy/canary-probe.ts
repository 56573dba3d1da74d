/**
 * A canary probe arriving at the stage's own receiver: it counts only when the canary tenant
 * signed it with a secret that still signs (a probe made just before a rotation carries only the
 * earlier one), and it says how late it came. A store that does not answer is no verdict on the
 * probe: its error goes to the caller (a 503 the probe's sender retries), never "unsigned", which
 * would publish a failed canary for a passing blip.
 */
import type { TenancyDeps } from './deps';
import { activeSigningSecrets } from './tenant';

export type CanaryProbeVerdict =
  | { signed: false }
  | {
      signed: true;
      /** How long after its `vigil-scheduled-at` it arrived (0 when it names no instant, or a later one). */
      latenessMs: number;
    };

export interface CanaryProbe {
  /** Whether the probe's Standard Webhooks signature verifies with this secret. */
  isSignedBy(secret: string): boolean;
  /** Its `vigil-scheduled-at` header: the instant it was due. */
  scheduledAt: string | undefined;
}

export const receiveCanaryProbe = async (
  deps: Pick<TenancyDeps, 'tenants' | 'clock'>,
  canaryTenantId: string,
  probe: CanaryProbe,
): Promise<CanaryProbeVerdict> => {
  const tenant = await deps.tenants.getTenant(canaryTenantId);
  const now = deps.clock.now();
  const secrets = tenant === undefined ? [] : activeSigningSecrets(tenant, now);
  if (!secrets.some((secret) => probe.isSignedBy(secret))) return { signed: false };
  const dueAt = Date.parse(probe.scheduledAt ?? '');
  return { signed: true, latenessMs: Number.isNaN(dueAt) ? 0 : Math.max(0, now - dueAt) };
};
