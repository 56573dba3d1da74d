/**
 * Every few minutes: schedule two probes from the canary tenant to this stage's own
 * /canary-receiver, one on the near path (1 minute) and one on the far path (20 minutes, through
 * EventBridge Scheduler and promote). The receiver publishes their lateness and success.
 */
import { ConfigError, ensureCanaryTenant, CANARY_TENANT_ID, runtime } from '@vigil/aws';
import { MessageIn, parseOrThrow, scheduleMessage } from '@vigil/core';

export const PROBES = [
  { path: 'near', delayS: 60 },
  { path: 'far', delayS: 20 * 60 },
] as const;

export const handler = async (): Promise<{ scheduled: string[] }> => {
  const { config, scheduling, tenancy } = runtime();
  if (!config.canaryUrl) throw new ConfigError('VIGIL_CANARY_URL is not set: the canary has nowhere to send probes.');
  await ensureCanaryTenant(tenancy);
  const scheduled: string[] = [];
  for (const probe of PROBES) {
    const input = parseOrThrow(MessageIn, {
      url: config.canaryUrl,
      delay: probe.delayS,
      body: { probe: probe.path },
      retry: { maxAttempts: 1 },
      metadata: { probe: probe.path },
    });
    const { message } = await scheduleMessage(scheduling, CANARY_TENANT_ID, input);
    scheduled.push(message.id);
  }
  return { scheduled };
};
