/** Starts the whole local stack in-process on random ports, with short timings, for integration tests. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { localServiceClientOptions } from '@vigil/aws';
import { addApiKey, ensureTenant, newApiKey, newTenantId, provisionTenant, usageDate } from '@vigil/core';
import type { LocalStack } from '@vigil/local/stack';
import { startStack } from '@vigil/local/stack';
import { assertResponseMatchesContract } from './openapi';

/** Near window 5 s, one-second buckets with a 2 s lead: the far path runs in seconds. */
export const FAST_ENGINE_ENV: Record<string, string> = {
  VIGIL_NEAR_WINDOW_S: '5',
  VIGIL_FAR_LEAD_S: '2',
  VIGIL_BUCKET_S: '1',
  VIGIL_ARM_LEAD_MS: '1000',
  VIGIL_RETRY_BASE_MS: '400',
  VIGIL_RETRY_FACTOR: '2',
  VIGIL_SWEEP_GRACE_S: '5',
  VIGIL_LOG_LEVEL: 'silent',
};

export const startTestStack = async (
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    authCacheMs?: number;
    /** How often the engine's sweep runs (default a minute, as on AWS). */
    sweepEveryMs?: number;
    rateLimits?: boolean;
    /** The fault layer between the handlers and the services (VIGIL_CHAOS's `<seed>[:<settings>]`). */
    chaos?: string;
    /** How long the start-up sweep hands messages on (StackOptions.startUpSweepBudgetMs). */
    startUpSweepBudgetMs?: number;
  } = {},
): Promise<LocalStack> =>
  startStack({
    ...(options.chaos !== undefined && { chaos: options.chaos }),
    ...(options.startUpSweepBudgetMs !== undefined && { startUpSweepBudgetMs: options.startUpSweepBudgetMs }),
    port: 0,
    host: '127.0.0.1',
    dataDir: options.dataDir ?? (await mkdtemp(join(tmpdir(), 'vigil-int-'))),
    authCacheMs: options.authCacheMs ?? 60_000,
    sweepEveryMs: options.sweepEveryMs ?? 60_000,
    rateLimits: options.rateLimits ?? true,
    env: { ...FAST_ENGINE_ENV, ...options.env },
  });

/**
 * A small API client: JSON in, JSON (or problem+json) out. Every response it receives is checked
 * against openapi.yaml (status, content type, documented headers, body) for its route and
 * method, so any test that calls the API also checks the contract.
 */
export const apiClient = (baseUrl: string, apiKey: string) => {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    assertResponseMatchesContract({ method, path, status: response.status, headers: response.headers, text });
    // Every answer is JSON but a message's body (GET /v1/messages/{id}/body), which may be any text.
    const json = text && (response.headers.get('content-type') ?? '').split(';')[0]!.trim().endsWith('json');
    return { status: response.status, headers: response.headers, text, json: json ? JSON.parse(text) : undefined };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
    raw: call,
  };
};

/** Reads a message (every 100 ms, `waitFor`) until it is in `status`, and gives it as the API answered it. */
export const waitForStatus = (api: ReturnType<typeof apiClient>, id: string, status: string, timeoutMs = 15_000) =>
  waitFor(
    async () => (await api.get(`/v1/messages/${id}`)).json,
    (json) => json.status === status,
    timeoutMs,
  );

/**
 * Makes this month's usage counters show `scheduled` messages already scheduled by a tenant: an
 * earlier-format counter item of today (`U#<date>#99`, which the quota guard sums with the rest),
 * written straight to the stack's table. The guard reads the counters at most every 5 s.
 */
export const seedMonthlyScheduled = async (stack: LocalStack, tenantId: string, scheduled: number): Promise<void> => {
  const { region, table, endpoints } = stack.runtime.config;
  const client = new DynamoDBClient(localServiceClientOptions(region, endpoints.dynamodb as string));
  const date = usageDate(Date.now());
  try {
    await DynamoDBDocumentClient.from(client).send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `T#${tenantId}`, sk: `U#${date}#99` },
        UpdateExpression: 'SET scheduled = :n, #date = :date',
        ExpressionAttributeNames: { '#date': 'date' },
        ExpressionAttributeValues: { ':n': scheduled, ':date': date },
      }),
    );
  } finally {
    client.destroy();
  }
};

/** A new tenant on `plan` in the stack, with its first API key (for tests of a plan's limits). */
export const newTenantKey = async (stack: LocalStack, plan: 'free' | 'pro', name = `tenant-${plan}`): Promise<string> =>
  (await provisionTenant(stack.tenantAdmin.tenancy, { name, plan })).apiKey;

/**
 * A new tenant on `plan`, written straight into the stack's tenancy (no usage-plan key, unlike
 * newTenantKey's), with an API client on its first key.
 */
export const newTenantApi = async (stack: LocalStack, plan: 'free' | 'pro') => {
  const tenantId = newTenantId(Date.now());
  const key = newApiKey();
  await ensureTenant(stack.runtime.tenancy, { id: tenantId, name: tenantId, plan });
  await addApiKey(stack.runtime.tenancy, tenantId, key, 'test');
  return { tenantId, apiKey: key, api: apiClient(stack.url, key) };
};

/** Reads until `done` says the value is there (every 100 ms), or throws after `timeoutMs` showing the last one. */
export const waitFor = async <T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
