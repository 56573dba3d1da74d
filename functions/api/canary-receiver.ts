/**
 * Where the canary's probes arrive: verifies the Standard Webhooks signature with the canary
 * tenant's secrets (any that still signs: a probe made just before a rotation carries only the
 * earlier one) and publishes how late the probe was (CanaryLateness) and that it arrived
 * (CanarySuccess). Anything not signed by the canary tenant is refused.
 */
import { CANARY_TENANT_ID, METRIC, runtime } from '@vigil/aws';
import { activeSigningSecrets, UnauthorizedError } from '@vigil/core';
import { Webhook } from 'standardwebhooks';
import { httpRoute } from './http';

export const handler = httpRoute({ auth: false }, async ({ headers, rawBody }) => {
  const { tenancy, metrics, log } = runtime();
  const tenant = await tenancy.tenants.getTenant(CANARY_TENANT_ID).catch(() => undefined);
  const secrets = tenant ? activeSigningSecrets(tenant, Date.now()) : [];
  const signedBy = (secret: string) => {
    try {
      new Webhook(secret).verify(rawBody, headers, { jsonParse: false });
      return true;
    } catch {
      return false;
    }
  };
  if (!secrets.some(signedBy)) {
    metrics({ [METRIC.canarySuccess]: { value: 0, unit: 'Count' } });
    throw new UnauthorizedError('This endpoint only accepts probes signed by the canary tenant.');
  }
  const latenessMs = Math.max(0, Date.now() - Date.parse(headers['vigil-scheduled-at'] ?? ''));
  metrics({
    [METRIC.canarySuccess]: { value: 1, unit: 'Count' },
    [METRIC.canaryLateness]: { value: latenessMs, unit: 'Milliseconds' },
  });
  log.info('canary probe arrived', { messageId: headers['webhook-id'], latenessMs });
  return { status: 204 };
});
