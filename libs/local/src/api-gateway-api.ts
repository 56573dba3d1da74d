/**
 * The API Gateway emulator's API: the usage-plan subset of the control plane (usage plans, API
 * keys, usage plan keys) on the emulator's state, with the service's rules and answers.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { EmulatedAnswer } from './emulated-api';
import { describeIssues, EmulatedApiError, parseJsonBody } from './emulated-api';
import type { ApiGatewayState, ApiKey, UsagePlan } from './api-gateway-state';
import { createApiKeySchema, createUsagePlanKeySchema, createUsagePlanSchema } from './api-gateway-state';

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

const parseBody = <T>(schema: z.ZodType<T>, body: string): T => {
  const parsed = schema.safeParse(parseJsonBody(body, badRequest));
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

/** The emulator's operations over its state, and the request router that reaches them. */
export const apiGatewayApi = (state: ApiGatewayState, now: () => number) => {
  // ---- usage plans ----
  const findPlan = (id: string) => {
    const plan = state.plans.get(id);
    if (!plan) throw notFound('Invalid Usage Plan ID specified');
    return plan;
  };

  const planOut = ({ keyIds: _keyIds, ...plan }: UsagePlan) => ({
    ...plan,
    ...(plan.apiStages && { apiStages: plan.apiStages.map((s) => ({ apiId: s.apiId, stage: s.stage })) }),
  });

  const createUsagePlan = (input: z.infer<typeof createUsagePlanSchema>) => {
    let id = newId(6);
    while (state.plans.has(id)) id = newId(6);
    const plan: UsagePlan = { ...input, id, keyIds: [] };
    state.plans.set(id, plan);
    return plan;
  };

  const getUsagePlans = (query: URLSearchParams) => {
    const keyId = query.get('keyId');
    const matching = [...state.plans.values()].filter((plan) => !keyId || plan.keyIds.includes(keyId));
    const result = page(matching, query);
    return { ...result, item: result.item.map(planOut) };
  };

  // ---- API keys ----
  const findKey = (id: string) => {
    const key = state.keys.get(id);
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
    for (const key of state.keys.values()) if (key.value === value) throw conflict('API Key already exists');
    let id = newId(10);
    while (state.keys.has(id)) id = newId(10);
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
    state.keys.set(id, key);
    // The service returns the value on creation, whatever includeValues says elsewhere.
    return keyOut(key, true);
  };

  const getApiKeys = (query: URLSearchParams) => {
    const name = query.get('name');
    const customerId = query.get('customerId');
    const withValues = query.get('includeValues') === 'true';
    const matching = [...state.keys.values()]
      .filter((key) => !name || (key.name ?? '').startsWith(name))
      .filter((key) => !customerId || key.customerId === customerId)
      .sort((a, b) => a.createdDate - b.createdDate || a.id.localeCompare(b.id));
    const result = page(matching, query);
    return { ...result, item: result.item.map((key) => keyOut(key, withValues)) };
  };

  const deleteApiKey = (id: string) => {
    findKey(id);
    state.keys.delete(id);
    for (const plan of state.plans.values()) plan.keyIds = plan.keyIds.filter((keyId) => keyId !== id);
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
    const other = [...state.plans.values()].find(
      (p) => p !== plan && p.keyIds.includes(key.id) && sharesStage(p, plan),
    );
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
      .keyIds.map((id) => state.keys.get(id))
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

  const route = (method: string, url: URL, body: string): EmulatedAnswer => {
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
  return { route, createUsagePlan };
};
