/**
 * The one place that reads the environment. Parsed once at cold start and validated: a missing
 * or malformed setting stops the function loudly instead of misbehaving later.
 */
import type { BackoffPolicy, EngineSettings, ReservedEndpoint } from '@vigil/core';
import { checkEngineSettings, DEFAULT_BACKOFF, DEFAULT_ENGINE_SETTINGS, VIGIL_VERSION } from '@vigil/core';
import { z } from 'zod';
import type { TableLayout } from './tenant-partitions';
import { MAX_INDEX_SHARDS, MAX_TENANT_SHARDS } from './tenant-partitions';

const flag = z
  .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['true', '1', 'on', 'yes'].includes(v));

const optionalUrl = z.url().optional();

/**
 * `name=port,...`: the local stack's own listening ports (its API, web app, DynamoDB, SQS and
 * emulators), which no webhook may target. Set by the local stack; empty on AWS.
 */
const reservedEndpoints = z
  .string()
  .default('')
  .transform((value, ctx): ReservedEndpoint[] =>
    value
      .split(',')
      .filter((entry) => entry.trim() !== '')
      .map((entry) => {
        const [name = '', port = ''] = entry.split('=').map((part) => part.trim());
        if (name === '' || !/^\d{1,5}$/.test(port) || Number(port) > 65535) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not name=port` });
        }
        return { name, port: Number(port) };
      }),
  );

/** How many shards the pending and bucket indexes spread over unless VIGIL_INDEX_SHARDS says otherwise. */
export const DEFAULT_INDEX_SHARDS = 8;

/**
 * API Gateway usage plans for tenants: where tenants are made (the operator's shell through
 * tenant-admin.ts, the console's first sign-in through wiring/provisioning.ts, the local stack),
 * each new tenant gets an API Gateway key in its plan's usage plan `vigil-<plan>-<VIGIL_STAGE>`.
 * Of the Lambdas, only claimSessionTenant reads these (infra gives it VIGIL_USAGE_PLANS=on).
 */
export const UsagePlanEnv = z.object({
  /** Bind new tenants to their plan's usage plan (off by default; the local stack turns it on). */
  VIGIL_USAGE_PLANS: flag.default(false),
  /** API Gateway's endpoint, for a local emulator; unset on AWS. */
  VIGIL_APIGATEWAY_ENDPOINT: optionalUrl,
});

export interface UsagePlanConfig {
  enabled: boolean;
  endpoint?: string;
}

/** The handlers' variables: README's Configuration lists those a user sets (libs/local config.test.ts checks it). */
export const Env = z.object({
  AWS_REGION: z.string().default('us-east-1'),
  VIGIL_TABLE: z.string().min(1),
  VIGIL_DELIVERY_QUEUE_URL: z.url(),
  /**
   * Tickets not to wait out the delivery queue's gather window go here (a queue whose consumer does
   * not gather: routing.ts `placeTickets`). Without it nothing is gathered: every ticket goes on the
   * delivery queue.
   */
  VIGIL_PROMPT_QUEUE_URL: optionalUrl,
  /**
   * The delivery queue consumer's batching window (deliver's event source on AWS, the local poller),
   * which the engine allows for: 1,000 with a prompt queue, else 0 (and only 0 without one).
   */
  VIGIL_GATHER_WINDOW_MS: z.coerce.number().int().min(0).max(10_000).optional(),
  /** Bulk jobs' steps go here (the job worker reads them); only the bulk routes and the worker need it. */
  VIGIL_JOB_QUEUE_URL: optionalUrl,
  /** Usage events go here; without it nothing is metered (and no quota is enforced). */
  VIGIL_METERING_QUEUE_URL: optionalUrl,
  VIGIL_SCHEDULE_GROUP: z.string().min(1).default('default'),
  VIGIL_PROMOTE_ARN: z.string().min(1),
  VIGIL_SCHEDULER_ROLE_ARN: z.string().min(1),
  /**
   * The SQS queue EventBridge Scheduler parks a bucket's promote invocation in when it gave up on
   * it (set by the deployment); without it such an invocation is dropped and waits for the sweep.
   */
  VIGIL_SCHEDULER_DLQ_ARN: z.string().min(1).optional(),
  VIGIL_DYNAMODB_ENDPOINT: optionalUrl,
  VIGIL_SQS_ENDPOINT: optionalUrl,
  VIGIL_SCHEDULER_ENDPOINT: optionalUrl,
  /** SSM's endpoint, for a local one (tests); unset on AWS. */
  VIGIL_SSM_ENDPOINT: optionalUrl,
  VIGIL_INDEX_SHARDS: z.coerce.number().int().min(1).max(MAX_INDEX_SHARDS).default(DEFAULT_INDEX_SHARDS),
  /**
   * Keys a tenant's messages, idempotency claims, listing entries and usage levels spread over
   * (tenant-partitions.ts): 1, every tenant under its own key, as before sharding.
   */
  VIGIL_TENANT_SHARDS: z.coerce.number().int().min(1).max(MAX_TENANT_SHARDS).default(1),
  VIGIL_NEAR_WINDOW_S: z.coerce
    .number()
    .min(1)
    .max(899)
    .default(DEFAULT_ENGINE_SETTINGS.nearWindowMs / 1000),
  VIGIL_ARM_LEAD_MS: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_ENGINE_SETTINGS.armLeadMs),
  VIGIL_TAKE_LEAD_MS: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_ENGINE_SETTINGS.takeLeadMs),
  VIGIL_BUCKET_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(DEFAULT_ENGINE_SETTINGS.bucketMs / 1000),
  VIGIL_FAR_LEAD_S: z.coerce
    .number()
    .min(1)
    .max(600)
    .default(DEFAULT_ENGINE_SETTINGS.farLeadMs / 1000),
  VIGIL_SWEEP_GRACE_S: z.coerce
    .number()
    .min(0)
    .max(3600)
    .default(DEFAULT_ENGINE_SETTINGS.sweepGraceMs / 1000),
  /** Takes without a recorded attempt after which a message is finished `failed` (reason `poison`). */
  VIGIL_POISON_TAKES: z.coerce.number().int().min(1).max(100).default(DEFAULT_ENGINE_SETTINGS.poisonTakes),
  /** How long a ticket the sweep re-enqueued may take to reach a worker before the sweep sends another. */
  VIGIL_FLIGHT_ALLOWANCE_S: z.coerce
    .number()
    .min(1)
    .max(3600)
    .default(DEFAULT_ENGINE_SETTINGS.flightAllowanceMs / 1000),
  /** How long flow control may hold a message back in all before it is finished `failed` (reason `flow-control`). */
  VIGIL_FLOW_MAX_HOLD_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(DEFAULT_ENGINE_SETTINGS.flowMaxHoldMs / 1000),
  /**
   * Tests only: keep finished messages this many seconds instead of their plan's retention days
   * (retention.ts), so an expiry can be watched. Never set in a deployment.
   */
  VIGIL_RETENTION_OVERRIDE_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(400 * 86_400)
    .optional(),
  VIGIL_RETRY_BASE_MS: z.coerce.number().int().min(100).default(DEFAULT_BACKOFF.baseMs),
  VIGIL_RETRY_FACTOR: z.coerce.number().min(1).max(10).default(DEFAULT_BACKOFF.factor),
  VIGIL_ALLOW_PRIVATE_TARGETS: flag.default(false),
  VIGIL_RESERVED_ENDPOINTS: reservedEndpoints,
  VIGIL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  VIGIL_STAGE: z.string().min(1).default('local'),
  /** Emit CloudWatch Embedded Metric Format lines (on in the deployment, off locally). */
  VIGIL_METRICS: flag.default(false),
  /** The canary's probe target: the stage's own /canary-receiver (canary function only). */
  VIGIL_CANARY_URL: optionalUrl,
  /** The web app's origin: API responses allow it cross-origin (API Gateway answers the preflight). */
  VIGIL_WEB_ORIGIN: optionalUrl,
  /**
   * The web app's next-auth secret, as a value: the local stack only. A deployment names an SSM
   * SecureString parameter instead (VIGIL_SESSION_SECRET_PARAMETER), so no template or function
   * configuration holds the secret.
   */
  NEXTAUTH_SECRET: z.union([z.literal(''), z.string().min(16, 'must be at least 16 characters')]).optional(),
  /** The SSM SecureString parameter holding the web app's session secret (the authorizer on AWS). */
  VIGIL_SESSION_SECRET_PARAMETER: z
    .string()
    .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter name starting with /')
    .optional(),
});

export interface VigilConfig {
  region: string;
  table: string;
  deliveryQueueUrl: string;
  /** Where tickets that cannot wait for a batch go: the delivery queue itself when nothing gathers. */
  promptQueueUrl: string;
  meteringQueueUrl?: string;
  jobQueueUrl?: string;
  scheduleGroup: string;
  promoteArn: string;
  schedulerRoleArn: string;
  /** Where Scheduler parks a promote invocation it gave up on (VIGIL_SCHEDULER_DLQ_ARN). */
  schedulerDeadLetterArn?: string;
  endpoints: { dynamodb?: string; sqs?: string; scheduler?: string; ssm?: string };
  indexShards: number;
  /** Keys a tenant's busy items spread over (VIGIL_TENANT_SHARDS). */
  tenantShards: number;
  engine: EngineSettings;
  backoff: BackoffPolicy;
  allowPrivateTargets: boolean;
  /** The local stack's own ports: never a target, even where private targets are allowed. */
  reservedEndpoints: ReservedEndpoint[];
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  stage: string;
  metrics: boolean;
  canaryUrl?: string;
  webOrigin?: string;
  /** The session secret as a value (the local stack), or ... */
  sessionSecret?: string;
  /** ... the name of the SSM parameter that holds it (AWS); the parameter wins when both are set. */
  sessionSecretParameter?: string;
}

/** Settings by the names a Lambda reads from its environment (`process.env`, or the local stack's own). */
export type Environment = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `env` read by `schema`, or a ConfigError naming every setting that is wrong. */
const parseEnv = <T extends z.ZodType>(schema: T, env: Environment): z.infer<T> => {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid Vigil configuration: ${problems}`);
  }
  return parsed.data;
};

/** The usage plan settings (tenant administration: the admin command, the web app, the local stack). */
export const readUsagePlanConfig = (env: Environment = process.env): UsagePlanConfig => {
  const e = parseEnv(UsagePlanEnv, env);
  return { enabled: e.VIGIL_USAGE_PLANS, endpoint: e.VIGIL_APIGATEWAY_ENDPOINT };
};

/**
 * Where a deployment's messages are: the shard counts of its indexes and of its tenants' keys (the
 * local stack and a deploy check them against its table's before anything reads it: table-layout.ts).
 */
export const readStoreLayout = (env: Environment = process.env): TableLayout => {
  const e = parseEnv(Env.pick({ VIGIL_INDEX_SHARDS: true, VIGIL_TENANT_SHARDS: true }), env);
  return { indexShards: e.VIGIL_INDEX_SHARDS, tenantShards: e.VIGIL_TENANT_SHARDS };
};

/** The settings the local stack reads itself, of the handlers' (VigilConfig). */
export interface StackSettings {
  table: string;
  scheduleGroup: string;
  /** The promote function's ARN: the scheduler emulator runs promote for a schedule that names it. */
  promoteArn: string;
  logLevel: VigilConfig['logLevel'];
  sessionSecret?: string;
  layout: TableLayout;
  /** The one origin a browser may call the API from (the local gateway's CORS); unset, any page of this machine. */
  webOrigin?: string;
}

/**
 * What the local stack reads of the handlers' settings, once readConfig has checked them all: it
 * provisions and starts what the rest of them then name (queue URLs, endpoints).
 */
export const stackSettingsOf = (config: VigilConfig): StackSettings => ({
  table: config.table,
  scheduleGroup: config.scheduleGroup,
  promoteArn: config.promoteArn,
  logLevel: config.logLevel,
  ...(config.sessionSecret && { sessionSecret: config.sessionSecret }),
  layout: { indexShards: config.indexShards, tenantShards: config.tenantShards },
  ...(config.webOrigin && { webOrigin: config.webOrigin }),
});

export const readConfig = (env: Environment = process.env): VigilConfig => {
  const e = parseEnv(Env, env);
  if (e.VIGIL_PROMPT_QUEUE_URL === undefined && (e.VIGIL_GATHER_WINDOW_MS ?? 0) > 0) {
    // A ticket due within the window would wait it out on the delivery queue: late.
    throw new ConfigError(
      'VIGIL_GATHER_WINDOW_MS needs VIGIL_PROMPT_QUEUE_URL, the queue for tickets that cannot wait',
    );
  }
  const gatherWindowMs =
    e.VIGIL_GATHER_WINDOW_MS ?? (e.VIGIL_PROMPT_QUEUE_URL === undefined ? 0 : DEFAULT_ENGINE_SETTINGS.gatherWindowMs);
  const engine: EngineSettings = {
    ...DEFAULT_ENGINE_SETTINGS,
    nearWindowMs: e.VIGIL_NEAR_WINDOW_S * 1000,
    armLeadMs: e.VIGIL_ARM_LEAD_MS,
    gatherWindowMs,
    takeLeadMs: e.VIGIL_TAKE_LEAD_MS,
    armHorizonMs: Math.max(DEFAULT_ENGINE_SETTINGS.armHorizonMs, e.VIGIL_ARM_LEAD_MS + gatherWindowMs + 3_000),
    bucketMs: e.VIGIL_BUCKET_S * 1000,
    farLeadMs: e.VIGIL_FAR_LEAD_S * 1000,
    sweepGraceMs: e.VIGIL_SWEEP_GRACE_S * 1000,
    poisonTakes: e.VIGIL_POISON_TAKES,
    flightAllowanceMs: e.VIGIL_FLIGHT_ALLOWANCE_S * 1000,
    flowMaxHoldMs: e.VIGIL_FLOW_MAX_HOLD_S * 1000,
    version: VIGIL_VERSION,
    ...(e.VIGIL_RETENTION_OVERRIDE_S !== undefined && { retentionOverrideMs: e.VIGIL_RETENTION_OVERRIDE_S * 1000 }),
  };
  if (e.VIGIL_RETENTION_OVERRIDE_S !== undefined && e.VIGIL_STAGE !== 'local') {
    // A deployed stage with it would delete its tenants' messages within seconds.
    throw new ConfigError('VIGIL_RETENTION_OVERRIDE_S is for tests on the local stack only (VIGIL_STAGE=local)');
  }
  const problems = checkEngineSettings(engine);
  if (problems.length > 0) throw new ConfigError(`Invalid Vigil timing settings: ${problems.join('; ')}`);
  return {
    region: e.AWS_REGION,
    table: e.VIGIL_TABLE,
    deliveryQueueUrl: e.VIGIL_DELIVERY_QUEUE_URL,
    promptQueueUrl: e.VIGIL_PROMPT_QUEUE_URL ?? e.VIGIL_DELIVERY_QUEUE_URL,
    meteringQueueUrl: e.VIGIL_METERING_QUEUE_URL,
    jobQueueUrl: e.VIGIL_JOB_QUEUE_URL,
    scheduleGroup: e.VIGIL_SCHEDULE_GROUP,
    promoteArn: e.VIGIL_PROMOTE_ARN,
    schedulerRoleArn: e.VIGIL_SCHEDULER_ROLE_ARN,
    schedulerDeadLetterArn: e.VIGIL_SCHEDULER_DLQ_ARN,
    endpoints: {
      dynamodb: e.VIGIL_DYNAMODB_ENDPOINT,
      sqs: e.VIGIL_SQS_ENDPOINT,
      scheduler: e.VIGIL_SCHEDULER_ENDPOINT,
      ssm: e.VIGIL_SSM_ENDPOINT,
    },
    indexShards: e.VIGIL_INDEX_SHARDS,
    tenantShards: e.VIGIL_TENANT_SHARDS,
    engine,
    backoff: { ...DEFAULT_BACKOFF, baseMs: e.VIGIL_RETRY_BASE_MS, factor: e.VIGIL_RETRY_FACTOR },
    allowPrivateTargets: e.VIGIL_ALLOW_PRIVATE_TARGETS,
    reservedEndpoints: e.VIGIL_RESERVED_ENDPOINTS,
    logLevel: e.VIGIL_LOG_LEVEL,
    stage: e.VIGIL_STAGE,
    metrics: e.VIGIL_METRICS,
    canaryUrl: e.VIGIL_CANARY_URL,
    webOrigin: e.VIGIL_WEB_ORIGIN,
    // An empty value (a deployment without the web app) means "no session tokens".
    sessionSecret: e.NEXTAUTH_SECRET || undefined,
    sessionSecretParameter: e.VIGIL_SESSION_SECRET_PARAMETER,
  };
};
