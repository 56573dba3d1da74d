/**
 * A local API Gateway (REST APIs' control plane, the usage-plan subset): speaks the service's
 * REST-JSON protocol to the real `@aws-sdk/client-api-gateway`, so the code that binds tenants to
 * usage plans is tested against the wire format it meets on AWS rather than a mock.
 *
 *   usage plans      POST /usageplans, GET /usageplans, GET /usageplans/{id}
 *   API keys         POST /apikeys, GET /apikeys, GET /apikeys/{id}, DELETE /apikeys/{id}
 *   usage plan keys  POST /usageplans/{id}/keys, GET /usageplans/{id}/keys,
 *                    GET /usageplans/{id}/keys/{keyId}, DELETE /usageplans/{id}/keys/{keyId}
 *
 * It keeps the service's rules that callers trip over: a key's value is at least 20 characters and
 * unique, key names are not unique and `name` on GET /apikeys matches a prefix, values are listed
 * only with `includeValues=true`, a key joins a plan once (ConflictException) and never two plans
 * serving the same API stage, and lists come in pages of `limit` (default 25, at most 500). It
 * does not throttle, meter or serve any API. State lives in memory, and in `statePath` (JSON,
 * rewritten after every change) when given, so the local stack's keys survive a restart.
 * Its parts: the state and its file (api-gateway-state.ts, on the shared persisted-state.ts) and
 * the operations (api-gateway-api.ts), over the shared HTTP front (emulated-api.ts).
 */
import { apiGatewayApi } from './api-gateway-api';
import { ApiGatewayState } from './api-gateway-state';
import { serveEmulatedApi } from './emulated-api';

export { ApiGatewayApiError } from './api-gateway-api';

export interface UsagePlanSeed {
  name: string;
  /** The API stages the plan serves: a key joins at most one plan per API stage. */
  apiStages?: Array<{ apiId: string; stage: string }>;
  throttle?: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' };
}

export interface ApiGatewayEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Usage plans that exist from the start (as the deployment's would); kept if already in the state. */
  usagePlans?: UsagePlanSeed[];
  /** Where the state is kept across restarts (JSON); in memory only when absent. */
  statePath?: string;
  now?: () => number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface UsagePlanView {
  id: string;
  name: string;
  /** Ids of the API keys in the plan, in the order they joined. */
  keyIds: string[];
}

export interface ApiKeyView {
  id: string;
  name: string | undefined;
  enabled: boolean;
  tags: Record<string, string>;
}

export interface ApiGatewayEmulator {
  port: number;
  endpoint: string;
  stop(): Promise<void>;
  usagePlans(): UsagePlanView[];
  apiKeys(): ApiKeyView[];
}

export async function startApiGatewayEmulator(options: ApiGatewayEmulatorOptions = {}): Promise<ApiGatewayEmulator> {
  const { host = '127.0.0.1' } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const state = new ApiGatewayState({ statePath: options.statePath, log });
  const { route, createUsagePlan } = apiGatewayApi(state, now);

  await state.load();
  const seeded = new Set([...state.plans.values()].map((plan) => plan.name));
  for (const seed of options.usagePlans ?? []) if (!seeded.has(seed.name)) createUsagePlan(seed);
  await state.persist();

  const { server, port, endpoint } = await serveEmulatedApi({
    name: 'API Gateway emulator',
    host,
    port: options.port,
    messageMember: 'message',
    badRequestCode: 'BadRequestException',
    internalErrorCode: 'InternalFailure',
    route: async (method, url, body) => {
      const answer = route(method, url, body);
      if (method !== 'GET') await state.persist();
      return answer;
    },
    log,
  });
  log({ level: 'debug', msg: 'API Gateway emulator listening', endpoint, usagePlans: state.plans.size });
  let stopped = false;

  return {
    port,
    endpoint,
    usagePlans: () =>
      [...state.plans.values()].map((plan) => ({ id: plan.id, name: plan.name, keyIds: [...plan.keyIds] })),
    apiKeys: () =>
      [...state.keys.values()].map((key) => ({
        id: key.id,
        name: key.name,
        enabled: key.enabled,
        tags: { ...key.tags },
      })),
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state.flushed();
    },
  };
}
