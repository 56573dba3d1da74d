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
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { EmulatedApiError, serveEmulatedApi } from './emulated-api';

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

type ApiGatewayErrorCode =
  'BadRequestException' | 'NotFoundException' | 'ConflictException' | 'UnknownOperationException';

/** An error the emulator answers with, as the service does: a code, a status and a message. */
export class ApiGatewayApiError extends EmulatedApiError<ApiGatewayErrorCode> {
  override readonly name = 'ApiGatewayApiError';
}

const badRequest = (message: string) => new ApiGatewayApiError('BadRequestException', 400, message);
const notFound = (message: string) => new ApiGatewayApiError('NotFoundException', 404, message);
const conflict = (message: string) => new ApiGatewayApiError('ConflictException', 409, message);

const DEFAULT_PAGE = 25;
const MAX_PAGE = 500;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

const tagsSchema = z.record(z.string(), z.string());
const throttleSchema = z.object({ burstLimit: z.number().int().min(0), rateLimit: z.number().min(0) }).partial();
const quotaSchema = z.object({
  limit: z.number().int().min(0),
  offset: z.number().int().min(0).optional(),
  period: z.enum(['DAY', 'WEEK', 'MONTH']),
});
const apiStageSchema = z.object({ apiId: z.string().min(1), stage: z.string().min(1) });

/** The CreateUsagePlan body. */
const createUsagePlanSchema = z.object({
  name: z.string().min(1, 'Usage plan name must be non-empty'),
  description: z.string().optional(),
  apiStages: z.array(apiStageSchema).optional(),
  throttle: throttleSchema.optional(),
  quota: quotaSchema.optional(),
  tags: tagsSchema.optional(),
});

/** The CreateApiKey body (stageKeys, the pre-usage-plan binding, is not emulated). */
const createApiKeySchema = z.object({
  name: z.string().min(1).max(1024).optional(),
  description: z.string().max(125_000).optional(),
  enabled: z.boolean().optional(),
  generateDistinctId: z.boolean().optional(),
  value: z
    .string()
    .min(20, 'API Key value should be at least 20 characters')
    .max(128, 'API Key value should be at most 128 characters')
    .optional(),
  customerId: z.string().optional(),
  tags: tagsSchema.optional(),
});

/** The CreateUsagePlanKey body (usagePlanId travels in the path). */
const createUsagePlanKeySchema = z.object({
  keyId: z.string().min(1, 'Invalid API Key identifier specified'),
  keyType: z.literal('API_KEY', 'Invalid key type: API_KEY is the only key type'),
});

type UsagePlan = z.infer<typeof createUsagePlanSchema> & { id: string; keyIds: string[] };
interface ApiKey {
  id: string;
  value: string;
  name?: string;
  description?: string;
  enabled: boolean;
  customerId?: string;
  tags: Record<string, string>;
  createdDate: number;
  lastUpdatedDate: number;
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');

const parseBody = <T>(schema: z.ZodType<T>, body: string): T => {
  let json: unknown;
  try {
    json = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw badRequest('Invalid request body: not valid JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badRequest(describeIssues(parsed.error));
  return parsed.data;
};

/** Lowercase letters and digits, as API Gateway's own ids (10 for keys, 6 for usage plans). */
const newId = (length: number): string =>
  Array.from(randomBytes(length), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');

/** What the service generates when CreateApiKey names no value: 40 characters. */
const newKeyValue = (): string => randomBytes(20).toString('hex');

/** One page of `items` from the query's `position` and `limit`, as the service pages its lists. */
const page = <T>(items: T[], query: URLSearchParams): { item: T[]; position?: string } => {
  const limit = Number(query.get('limit') ?? DEFAULT_PAGE);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw badRequest(`Invalid limit: it must be 1 to ${MAX_PAGE}.`);
  const rawPosition = query.get('position');
  const offset = rawPosition === null ? 0 : Number(Buffer.from(rawPosition, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('Invalid position.');
  const slice = items.slice(offset, offset + limit);
  const end = offset + slice.length;
  return {
    item: slice,
    ...(end < items.length && { position: Buffer.from(String(end)).toString('base64url') }),
  };
};

const seconds = (ms: number) => Math.floor(ms / 1000);

export async function startApiGatewayEmulator(options: ApiGatewayEmulatorOptions = {}): Promise<ApiGatewayEmulator> {
  const { host = '127.0.0.1' } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const plans = new Map<string, UsagePlan>();
  const keys = new Map<string, ApiKey>();

  // ---- usage plans ----
  const findPlan = (id: string) => {
    const plan = plans.get(id);
    if (!plan) throw notFound('Invalid Usage Plan ID specified');
    return plan;
  };

  const planOut = ({ keyIds: _keyIds, ...plan }: UsagePlan) => ({
    ...plan,
    ...(plan.apiStages && { apiStages: plan.apiStages.map((s) => ({ apiId: s.apiId, stage: s.stage })) }),
  });

  const createUsagePlan = (input: z.infer<typeof createUsagePlanSchema>) => {
    let id = newId(6);
    while (plans.has(id)) id = newId(6);
    const plan: UsagePlan = { ...input, id, keyIds: [] };
    plans.set(id, plan);
    return plan;
  };

  const getUsagePlans = (query: URLSearchParams) => {
    const keyId = query.get('keyId');
    const matching = [...plans.values()].filter((plan) => !keyId || plan.keyIds.includes(keyId));
    const result = page(matching, query);
    return { ...result, item: result.item.map(planOut) };
  };

  // ---- API keys ----
  const findKey = (id: string) => {
    const key = keys.get(id);
    if (!key) throw notFound('Invalid API Key identifier specified');
    return key;
  };

  const keyOut = (key: ApiKey, withValue: boolean) => {
    const { value, ...rest } = key;
    return {
      ...rest,
      ...(withValue && { value }),
      createdDate: seconds(key.createdDate),
      lastUpdatedDate: seconds(key.lastUpdatedDate),
      stageKeys: [],
    };
  };

  const createApiKey = (input: z.infer<typeof createApiKeySchema>) => {
    const value = input.value ?? newKeyValue();
    for (const key of keys.values()) if (key.value === value) throw conflict('API Key already exists');
    let id = newId(10);
    while (keys.has(id)) id = newId(10);
    const time = now();
    const key: ApiKey = {
      id,
      value,
      name: input.name,
      description: input.description,
      enabled: input.enabled ?? false,
      customerId: input.customerId,
      tags: input.tags ?? {},
      createdDate: time,
      lastUpdatedDate: time,
    };
    keys.set(id, key);
    // The service returns the value on creation, whatever includeValues says elsewhere.
    return keyOut(key, true);
  };

  const getApiKeys = (query: URLSearchParams) => {
    const name = query.get('name');
    const customerId = query.get('customerId');
    const withValues = query.get('includeValues') === 'true';
    const matching = [...keys.values()]
      .filter((key) => !name || (key.name ?? '').startsWith(name))
      .filter((key) => !customerId || key.customerId === customerId)
      .sort((a, b) => a.createdDate - b.createdDate || a.id.localeCompare(b.id));
    const result = page(matching, query);
    return { ...result, item: result.item.map((key) => keyOut(key, withValues)) };
  };

  const deleteApiKey = (id: string) => {
    findKey(id);
    keys.delete(id);
    for (const plan of plans.values()) plan.keyIds = plan.keyIds.filter((keyId) => keyId !== id);
    return undefined;
  };

  // ---- usage plan keys ----
  const planKeyOut = (key: ApiKey) => ({ id: key.id, type: 'API_KEY', name: key.name, value: key.value });

  const sharesStage = (a: UsagePlan, b: UsagePlan) =>
    (a.apiStages ?? []).some((s) => (b.apiStages ?? []).some((t) => s.apiId === t.apiId && s.stage === t.stage));

  const createUsagePlanKey = (planId: string, input: z.infer<typeof createUsagePlanKeySchema>) => {
    const plan = findPlan(planId);
    const key = findKey(input.keyId);
    if (plan.keyIds.includes(key.id)) throw conflict(`API Key ${key.id} is already in Usage Plan ${plan.id}`);
    const other = [...plans.values()].find((p) => p !== plan && p.keyIds.includes(key.id) && sharesStage(p, plan));
    if (other) {
      throw conflict(
        `Usage Plan ${plan.id} cannot be added because API Key ${key.id} cannot reference multiple Usage Plans with the same API Stage`,
      );
    }
    plan.keyIds.push(key.id);
    return planKeyOut(key);
  };

  const getUsagePlanKeys = (planId: string, query: URLSearchParams) => {
    const name = query.get('name');
    const matching = findPlan(planId)
      .keyIds.map((id) => keys.get(id))
      .filter((key): key is ApiKey => key !== undefined && (!name || (key.name ?? '').startsWith(name)));
    const result = page(matching, query);
    return { ...result, item: result.item.map(planKeyOut) };
  };

  const findPlanKey = (planId: string, keyId: string) => {
    const plan = findPlan(planId);
    const key = findKey(keyId);
    if (!plan.keyIds.includes(key.id)) throw notFound('Invalid Usage Plan Key identifier specified');
    return { plan, key };
  };

  const deleteUsagePlanKey = (planId: string, keyId: string) => {
    const { plan } = findPlanKey(planId, keyId);
    plan.keyIds = plan.keyIds.filter((id) => id !== keyId);
    return undefined;
  };

  // ---- state on disk ----
  const { statePath } = options;
  if (statePath && existsSync(statePath)) {
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { plans: UsagePlan[]; keys: ApiKey[] };
    for (const plan of saved.plans) plans.set(plan.id, plan);
    for (const key of saved.keys) keys.set(key.id, key);
  }
  const save = () => {
    if (!statePath) return;
    // Written whole to a temporary file and renamed: a crash mid-write leaves the previous state.
    writeFileSync(`${statePath}.tmp`, JSON.stringify({ plans: [...plans.values()], keys: [...keys.values()] }));
    renameSync(`${statePath}.tmp`, statePath);
  };

  const seeded = new Set([...plans.values()].map((plan) => plan.name));
  for (const seed of options.usagePlans ?? []) if (!seeded.has(seed.name)) createUsagePlan(seed);
  save();

  // ---- HTTP ----
  interface Answer {
    status: number;
    body?: unknown;
  }

  const route = (method: string, url: URL, body: string): Answer => {
    const [collection, id, sub, subId, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const query = url.searchParams;
    if (rest.length === 0 && collection === 'usageplans') {
      if (id === undefined && method === 'POST')
        return { status: 201, body: planOut(createUsagePlan(parseBody(createUsagePlanSchema, body))) };
      if (id === undefined && method === 'GET') return { status: 200, body: getUsagePlans(query) };
      if (id !== undefined && sub === undefined && method === 'GET')
        return { status: 200, body: planOut(findPlan(id)) };
      if (id !== undefined && sub === 'keys' && subId === undefined) {
        if (method === 'POST')
          return { status: 201, body: createUsagePlanKey(id, parseBody(createUsagePlanKeySchema, body)) };
        if (method === 'GET') return { status: 200, body: getUsagePlanKeys(id, query) };
      }
      if (id !== undefined && sub === 'keys' && subId !== undefined) {
        if (method === 'GET') return { status: 200, body: planKeyOut(findPlanKey(id, subId).key) };
        if (method === 'DELETE') return { status: 202, body: deleteUsagePlanKey(id, subId) };
      }
    }
    if (rest.length === 0 && sub === undefined && collection === 'apikeys') {
      if (id === undefined && method === 'POST')
        return { status: 201, body: createApiKey(parseBody(createApiKeySchema, body)) };
      if (id === undefined && method === 'GET') return { status: 200, body: getApiKeys(query) };
      if (id !== undefined && method === 'GET')
        return { status: 200, body: keyOut(findKey(id), query.get('includeValue') === 'true') };
      if (id !== undefined && method === 'DELETE') return { status: 202, body: deleteApiKey(id) };
    }
    throw new ApiGatewayApiError('UnknownOperationException', 404, `${method} ${url.pathname} is not emulated.`);
  };

  const { server, port, endpoint } = await serveEmulatedApi({
    name: 'API Gateway emulator',
    host,
    port: options.port,
    messageMember: 'message',
    badRequestCode: 'BadRequestException',
    internalErrorCode: 'InternalFailure',
    route: (method, url, body) => {
      const answer = route(method, url, body);
      if (method !== 'GET') save();
      return answer;
    },
    log,
  });
  log({ level: 'info', msg: 'API Gateway emulator listening', endpoint, usagePlans: plans.size });
  let stopped = false;

  return {
    port,
    endpoint,
    usagePlans: () => [...plans.values()].map((plan) => ({ id: plan.id, name: plan.name, keyIds: [...plan.keyIds] })),
    apiKeys: () =>
      [...keys.values()].map((key) => ({ id: key.id, name: key.name, enabled: key.enabled, tags: { ...key.tags } })),
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
