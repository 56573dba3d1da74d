/**
 * Where the canary's probes arrive: verifies the Standard Webhooks signature with the canary
 * tenant's secret and publishes how late the probe was (CanaryLateness) and that it arrived
 * (CanarySuccess). Anything not signed by the canary tenant is refused.
 */
import { CANARY_TENANT_ID, METRIC, runtime } from '@vigil/aws';
import { currentSigningSecret, UnauthorizedError } from '@vigil/core';
import { Webhook } from 'standardwebhooks';
import { httpRoute } from './http';

export const handler = httpRoute({ auth: false }, async ({ headers, rawBody }) => {
  const { tenancy, metrics, log } = runtime();
  const secret = await currentSigningSecret(tenancy, CANARY_TENANT_ID).catch(() => undefined);
  try {
    if (!secret) throw new Error('no canary tenant yet');
    new Webhook(secret).verify(rawBody, headers);
  } catch {
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
