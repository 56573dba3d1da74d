/**
 * Where the canary's probes arrive: a probe signed by the canary tenant (receiveCanaryProbe)
 * publishes how late it was (CanaryLateness) and that it arrived (CanarySuccess); anything else is
 * refused and counted as a failed probe. A tenant store that does not answer is a 503, no verdict.
 */
import { CANARY_TENANT_ID, METRIC, metricsWriter, tenancyWiring } from '@vigil/aws';
import { receiveCanaryProbe, UnauthorizedError } from '@vigil/core';
import { Webhook } from 'standardwebhooks';
import { httpRoute } from './http';

export const handler = httpRoute({ auth: false }, async ({ headers, rawBody }) => {
  const { tenancy, log } = tenancyWiring();
  const metrics = metricsWriter();
  const verdict = await receiveCanaryProbe(tenancy, CANARY_TENANT_ID, {
    isSignedBy: (secret) => {
      try {
        new Webhook(secret).verify(rawBody, headers, { jsonParse: false });
        return true;
      } catch {
        return false;
      }
    },
    scheduledAt: headers['vigil-scheduled-at'],
  });
  if (!verdict.signed) {
    metrics({ [METRIC.canarySuccess]: { value: 0, unit: 'Count' } });
    throw new UnauthorizedError('This endpoint only accepts probes signed by the canary tenant.');
  }
  const { latenessMs } = verdict;
  metrics({
    [METRIC.canarySuccess]: { value: 1, unit: 'Count' },
    [METRIC.canaryLateness]: { value: latenessMs, unit: 'Milliseconds' },
  });
  log.info('canary probe arrived', { messageId: headers['webhook-id'], latenessMs });
  return { status: 204 };
});
