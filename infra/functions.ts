/**
 * Every Lambda function: the API (one function per route in API_ROUTES, behind the REQUEST
 * authorizer, /v1 open to the web app's origin), the engine (deliver, promote, sweep) and the
 * canary. Each function runs with a role of its own that allows exactly what its code does, on
 * this stage's resources only: the grants below are read from the use-cases each handler calls
 * (store, queue, timer), so a handler that starts doing something new needs its grant changed
 * here too.
 */
import { API_ROUTES, API_TIMEOUT_S, type ApiRoute } from '../functions/api/routes';
import type { CorsSettings } from './api';
import { corsFor, REST_API, usagePlanLogicalId } from './api';
import { USAGE_KEY_STAGE_TAG, USAGE_KEY_TENANT_TAG } from '../libs/aws/src/api-gateway-usage-plans';
import { PLANS } from '../libs/core/src/plans';
import type { CfnValue, IamAction, PolicyCondition, PolicyStatement, Resources } from './cloudformation';
import { attachedPolicy, ref, serviceRole, sub } from './cloudformation';
import {
  lambdaArn,
  lambdaName,
  logGroupArn,
  pascalCase,
  SESSION_SECRET_PARAMETER,
  sessionSecretParameterArn,
  STAGE,
} from './names';
import { consoleOrigin } from './console-origin';
import { param } from './params';
import {
  DELIVER_TIMEOUT_S,
  DELIVERY_BATCHING_WINDOW_S,
  JOB_TIMEOUT_S,
  METERING_BATCHING_WINDOW_S,
  METERING_TIMEOUT_S,
} from '../libs/aws/src/queue-settings';
import { DELIVERY_BATCH_SIZE } from '../libs/core/src/routing';
import { AUTHORIZATION_CACHE_S } from '../libs/core/src/tenancy/session';
import {
  deliveryQueueArn,
  deliveryQueueUrl,
  promptDeliveryQueueArn,
  promptDeliveryQueueUrl,
  jobQueueArn,
  jobQueueUrl,
  meteringQueueArn,
  meteringQueueUrl,
} from './queues';
import { bucketSchedulesArn, scheduleGroupName, schedulerDeadLetterQueueArn, schedulerRoleArn } from './scheduler';
import type { IndexName } from './tables';
import { indexArn, tableArn, tableName } from './tables';
import { TABLE_LAYOUT_CHECK } from './table-layout-check';

type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan';

/** What a function may touch. Everything not listed is denied. */
/** The canary tenant's item key (libs/aws/src/canary.ts: `T#${CANARY_TENANT_ID}`). */
export const CANARY_TENANT_KEY = 'T#tnt_canary';
/** The canary tenant's sharded partitions (its probes, `T#tnt_canary#<n>`: libs/aws tenant-partitions.ts), as a StringLike pattern. */
export const CANARY_TENANT_SHARDS = `${CANARY_TENANT_KEY}#*`;
/** The partition of the notes that a bucket was promoted (libs/aws/src/dynamo-message-store.ts PROMOTED_BUCKETS_PK). */
export const PROMOTED_BUCKETS_KEY = 'BUCKETS';
/** Every tenant's partition (its messages, jobs, usage, ...), as a StringLike pattern: not API keys (`K#`), users (`U#`), sessions (`S#`) or the layout. */
export const TENANT_PARTITIONS = 'T#*';
/** The authorizer's records of API keys, `K#<key hash>` (libs/aws dynamo-tenant-store.ts), as a StringLike pattern. */
export const API_KEY_PARTITIONS = 'K#*';
/** Console users' records, `U#<user>` (the tenant each is bound to), as a StringLike pattern. */
export const USER_PARTITIONS = 'U#*';
/** Console sessions' revocations, `S#<session>`, as a StringLike pattern. */
export const SESSION_PARTITIONS = 'S#*';

export interface Grants {
  /** Item actions on the table's primary key. */
  table?: TableAction[];
  /**
   * Those item actions only on items with one of these partition keys (`dynamodb:LeadingKeys`,
   * ForAllValues): the keys themselves, or patterns as IAM's StringLike reads them (`T#*`).
   */
  tableKeys?: string[];
  /**
   * More item actions, each set held to fewer partition keys than `table`'s (a statement of its own):
   * what only an error path does, on only the items it undoes (createApiKey deletes the authorizer's
   * `K#` record it wrote, never a tenant's item).
   */
  narrowerItems?: Array<{ table: TableAction[]; tableKeys: string[] }>;
  /**
   * dynamodb:Query on these indexes, in a statement of its own without a partition key condition:
   * dynamodb:LeadingKeys on an index's Query is the index's partition key, and each index holds one
   * kind only (byStatus tenants' `T#<tenant>#<status>`, pending `P#<shard>` and `JOBS`, bucket
   * `B#<bucketAt>#<shard>`), and each function granted an index queries every kind it holds, so a
   * condition would narrow nothing.
   */
  queryIndexes?: IndexName[];
  /** Puts delivery tickets on the delivery queue (SendMessageBatch is authorised as sqs:SendMessage). */
  enqueue?: true;
  /** Is the delivery queue's event source. */
  consume?: true;
  /** Sends usage events to the metering queue. */
  meter?: true;
  /** Is the metering queue's event source. */
  consumeMetering?: true;
  /** Puts bulk job steps on the job queue. */
  enqueueJobs?: true;
  /** Is the job queue's event source. */
  consumeJobs?: true;
  /** Creates bucket schedules in the stage's schedule group, handing Scheduler its role. */
  scheduleBuckets?: true;
  /**
   * Gives new tenants their API Gateway key in their plan's usage plan (libs/aws/src/api-gateway-usage-plans.ts
   * lists the calls); the function runs with VIGIL_USAGE_PLANS=on. Its statements
   * (usagePlanBindingStatements) name this stage's usage plans, so they are a policy attached to the
   * function's role rather than part of it (functionRoleResources).
   */
  bindUsagePlans?: true;
  /**
   * Reads the web app's session secret, the SecureString parameter SESSION_SECRET_PARAMETER
   * (decrypted with the account's aws/ssm key, whose key policy lets SSM decrypt for any principal
   * of the account that may read the parameter: no kms grant needed).
   */
  readSessionSecret?: true;
}

const GET: TableAction = 'dynamodb:GetItem';
const PUT: TableAction = 'dynamodb:PutItem';
const UPDATE: TableAction = 'dynamodb:UpdateItem';
const DELETE: TableAction = 'dynamodb:DeleteItem';
const QUERY: TableAction = 'dynamodb:Query';
/** The layout check only: whether a table without a layout record holds anything (one item). */
const SCAN: TableAction = 'dynamodb:Scan';

/** Handing a stored message on: near ones to the queue, far ones to their bucket's schedule. */
const DISPATCH = { enqueue: true, scheduleBuckets: true } as const;
/**
 * Creating messages: the quota check reads the month's usage counters (query) and the tenant's
 * plan (get); the new messages are metered.
 */
const CREATE = { ...DISPATCH, meter: true } as const;

/** Only in tenants' partitions (`T#<tenant>`, sharded or not): no API key's, user's, session's, note's or the layout's item. */
const TENANTS = [TENANT_PARTITIONS];

/** A create's, single or a batch: the same use-case (schedule-message.ts), its rollback included. */
const CREATE_MESSAGES: Grants = { table: [GET, PUT, UPDATE, DELETE, QUERY], tableKeys: TENANTS, ...CREATE };

/**
 * Per route function (API_ROUTES' functionName), from the use-case its handler calls. Each one's item
 * actions are held to the partition keys its calls use (`tableKeys`, dynamodb:LeadingKeys): tenants'
 * partitions, and beyond them the API keys' records for the key routes, users' records for the
 * console's sign-in; sessions' revocations alone for its sign-out, the canary tenant's item alone for
 * the canary receiver. bench/cost/grants-cover-calls.int.test.ts runs each and checks every call it makes.
 */
export const ROUTE_GRANTS: Readonly<Record<string, Grants>> = {
  health: {},
  // idempotency claim (put; take-over and release: update), quota, insert, dispatch; an insert that
  // threw (maybe landed, its answer lost) is deleted again, as a batch that fails part-way deletes
  // what it had written
  createMessage: CREATE_MESSAGES,
  createMessageBatch: CREATE_MESSAGES,
  listMessages: { table: [QUERY], tableKeys: TENANTS, queryIndexes: ['byStatus'] },
  // idempotency claim (put; take-over and release: update), the running-jobs record (get, put), the
  // job (put), its first step on the job queue
  cancelMessages: { table: [GET, PUT, UPDATE], tableKeys: TENANTS, enqueueJobs: true },
  redeliverMessages: { table: [GET, PUT, UPDATE], tableKeys: TENANTS, enqueueJobs: true },
  getJob: { table: [GET], tableKeys: TENANTS },
  listJobs: { table: [QUERY], tableKeys: TENANTS }, // the tenant's partition, its `J#` items

  getMessage: { table: [GET], tableKeys: TENANTS }, // the message, and where its callback deliveries stand
  updateMessage: { table: [GET, PUT], tableKeys: TENANTS, ...DISPATCH }, // a reschedule dispatches again
  // a cancel before the round's first attempt echoes its `scheduled` event to the metering queue
  cancelMessage: { table: [GET, PUT], tableKeys: TENANTS, meter: true },
  listAttempts: { table: [GET], tableKeys: TENANTS },
  getMessageBody: { table: [GET], tableKeys: TENANTS },
  // counts like a create: quota and metering; and its idempotency claim (put; take-over, release, settle: update)
  redeliverMessage: { table: [GET, PUT, UPDATE, QUERY], tableKeys: TENANTS, ...CREATE },
  // the next attempt now: a new due time, dispatched again; and its idempotency claim (put; take-over, release, settle: update)
  retryMessage: { table: [GET, PUT, UPDATE], tableKeys: TENANTS, ...DISPATCH },
  getSigningSecret: { table: [GET], tableKeys: TENANTS },
  // the tenant's secrets (get, conditional update); and its idempotency claim (put; take-over, release, settle: update)
  rotateSigningSecret: { table: [GET, PUT, UPDATE], tableKeys: TENANTS },
  listApiKeys: { table: [QUERY], tableKeys: TENANTS },
  // count active keys, then the key's two records (the authorizer's under K#, the tenant's); key.created
  // to the notification endpoints (list them, store each event delivery, note it on its endpoint,
  // dispatch); and its idempotency claim (put; take-over, release, settle: update). When the tenant's
  // record could not be written, the authorizer's is deleted again (K# only), so that no working key
  // stays that nobody holds, lists or can revoke.
  createApiKey: {
    table: [QUERY, GET, PUT, UPDATE],
    tableKeys: [TENANT_PARTITIONS, API_KEY_PARTITIONS],
    narrowerItems: [{ table: [DELETE], tableKeys: [API_KEY_PARTITIONS] }],
    ...DISPATCH,
  },
  // the key's two records revoked (the authorizer's under K# first), and key.revoked likewise
  revokeApiKey: { table: [GET, UPDATE, QUERY, PUT], tableKeys: [TENANT_PARTITIONS, API_KEY_PARTITIONS], ...DISPATCH },
  listNotificationEndpoints: { table: [QUERY], tableKeys: TENANTS },
  // count them, then the conditional put; and its idempotency claim (put, get; take-over, release, settle: update)
  createNotificationEndpoint: { table: [GET, QUERY, PUT, UPDATE], tableKeys: TENANTS },
  // read it (there or not, before the delete and after one that threw), then delete it
  deleteNotificationEndpoint: { table: [GET, DELETE], tableKeys: TENANTS },
  // find the endpoint, store the test delivery, note it on the endpoint, dispatch; and its
  // idempotency claim (put, get; take-over, release, settle: update), a repeat's delivery (get)
  testNotificationEndpoint: { table: [GET, QUERY, PUT, UPDATE], tableKeys: TENANTS, ...DISPATCH },
  listNotificationEndpointDeliveries: { table: [QUERY, GET], tableKeys: TENANTS }, // the delivery records, then each message
  // The canary tenant's signing secrets, and no other tenant's item: its route is public.
  canaryReceiver: { table: [GET], tableKeys: [CANARY_TENANT_KEY] },
  getUsage: { table: [GET, QUERY], tableKeys: TENANTS }, // the plan, and the daily counters
  // the user's record under U# (get, conditional put), the tenant (conditional put, else get), its usage key (update)
  claimSessionTenant: {
    table: [GET, PUT, UPDATE],
    tableKeys: [USER_PARTITIONS, TENANT_PARTITIONS],
    bindUsagePlans: true,
  },
  revokeSession: { table: [PUT], tableKeys: [SESSION_PARTITIONS] }, // the session's revocation record
};

export const AUTHORIZER = 'authorizer';
export const DELIVER = 'deliver';
export const PROMOTE = 'promote';
export const SWEEP = 'sweep';
export const CANARY = 'canary';
export const METERING = 'metering';
export const BULK_JOBS = 'bulkJobs';

/** Every function's memory unless its definition sets its own (the provider's memorySize in serverless.ts). */
export const DEFAULT_MEMORY_MB = 512;
/**
 * deliver spends most of its billed time waiting: it holds each ticket from the arm lead (it gets
 * it 1–2 s early) until the due instant. Lambda bills that wait by memory, so the worker
 * runs at half the default (`npm run bench:cost`: the held seconds were 40 % of a single near-path
 * delivery's cost at 512 MB). Its CPU share halves too; what that does to lateness on AWS is not
 * measured here (the canary's lateness alarm would show it), hence half and not the 128 MB floor.
 */
export const DELIVER_MEMORY_MB = 256;

/**
 * The most concurrent invocations the metering and bulk job queues' event sources run (their
 * maximumConcurrency; deliver's is the deliverMaxConcurrency parameter). Every SQS event source is
 * bounded so that a surge on its queue waits there (the event source receives no more; nothing is
 * throttled or retried) instead of taking the account's concurrent executions from the API and its
 * authorizer (params.ts, deliverMaxConcurrency, says how the bounds share the default 1,000).
 * Metering folds up to 100 events an invocation: about 24 at once carry 10,000 messages a second
 * (docs/CAPACITY.md). A bulk job runs one step at a time, so this many jobs step at once; each
 * step takes seconds, well inside the 75 s after which the sweep would queue a waiting step again
 * (JOB_IDLE_MS).
 */
export const METERING_MAX_CONCURRENCY = 50;
export const BULK_JOBS_MAX_CONCURRENCY = 20;

/** Well inside API Gateway's 29 s integration limit (the local gateway answers past it as API Gateway does). */
export { API_TIMEOUT_S };
export const PROMOTE_TIMEOUT_S = 300;
export const SWEEP_TIMEOUT_S = 120;
export const CANARY_TIMEOUT_S = 30;
/** A few reads and a put; it answers CloudFormation before this ends whatever happens (custom resource). */
export const TABLE_LAYOUT_CHECK_TIMEOUT_S = 30;
/** The queue consumers' timeouts live beside their queues' settings, which the local stack shares. */
export { DELIVER_TIMEOUT_S, JOB_TIMEOUT_S, METERING_TIMEOUT_S };

/** The canary's probe target: this stage's own /canary-receiver. */
export const canaryUrl = sub(
  `https://\${${REST_API}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${STAGE}/canary-receiver`,
);

export interface HttpEvent {
  http: {
    method: ApiRoute['method'];
    path: string;
    authorizer?: {
      name: string;
      type: 'request';
      identitySource: string;
      resultTtlInSeconds: number;
    };
    cors?: CorsSettings;
    /** Requires an API key (here: the authorizer's usageIdentifierKey), so usage plans apply. */
    private?: boolean;
  };
}

export interface SqsEvent {
  sqs: {
    arn: CfnValue;
    batchSize: number;
    maximumBatchingWindow: number;
    /** Concurrent invocations the event source runs at most (2–1,000; a `${param:...}` or a number). */
    maximumConcurrency: number | string;
    functionResponseType: 'ReportBatchItemFailures';
  };
}

export interface ScheduleEvent {
  schedule: { rate: string[] };
}

export type FunctionEvent = HttpEvent | SqsEvent | ScheduleEvent;

/** A function as serverless reads it. */
export interface FunctionDefinition {
  handler: string;
  description: string;
  /** Logical id of the function's own role. */
  role: string;
  timeout: number;
  /** MB; the provider's DEFAULT_MEMORY_MB when absent. */
  memorySize?: number;
  /**
   * Environments kept initialized, as a `${param:...}` (serverless then makes a version and a
   * `provisioned` alias with this provisioned concurrency, and points the function's events at it).
   */
  provisionedConcurrency?: string;
  environment?: Record<string, CfnValue>;
  events?: FunctionEvent[];
  /** Packaged elsewhere (the console's OpenNext bundle): serverless-esbuild leaves it alone. */
  skipEsbuild?: true;
  package?: { artifact: string };
}

interface VigilFunction {
  key: string;
  definition: Omit<FunctionDefinition, 'role'>;
  grants: Grants;
}

/** Cached per API key for a minute; /health is the only route without it. */
const requestAuthorizer: NonNullable<HttpEvent['http']['authorizer']> = {
  name: AUTHORIZER,
  type: 'request',
  identitySource: 'method.request.header.Authorization',
  // A console session's token is refused in its last minute (session.ts), so no answer kept outlives it.
  resultTtlInSeconds: AUTHORIZATION_CACHE_S,
};

const routeGrants = (route: ApiRoute): Grants => {
  const grants = ROUTE_GRANTS[route.functionName];
  if (grants === undefined) {
    throw new Error(
      `infra/functions.ts: route ${route.method} ${route.path} (${route.functionName}) has no IAM grants`,
    );
  }
  return grants;
};

const apiFunction = (route: ApiRoute): VigilFunction => {
  const cors = corsFor(route.path);
  const grants = routeGrants(route);
  return {
    key: route.functionName,
    grants,
    definition: {
      handler: `${route.file}.handler`,
      description: `${route.method} ${route.path}`,
      timeout: API_TIMEOUT_S,
      ...(grants.bindUsagePlans && { environment: { VIGIL_USAGE_PLANS: 'on' } }),
      events: [
        {
          http: {
            method: route.method,
            path: route.path.replace(/^\//, ''),
            // Usage plans throttle and cap only methods that require an API key: every
            // tenant's route does, and the authorizer supplies the tenant's (usageIdentifierKey).
            // A session-user route is called before there is a tenant, so there is no key to require.
            ...(route.auth && { authorizer: requestAuthorizer, ...(!route.sessionUser && { private: true }) }),
            ...(cors && { cors }),
          },
        },
      ],
    },
  };
};

const engineFunctions: VigilFunction[] = [
  {
    key: AUTHORIZER,
    // a session's revocation (get, under S#), an API key's record (get, under K#), the tenant (get)
    // and the key's lastUsedAt, at most once a minute (update; the tenant's record of the key); the
    // session secret.
    grants: {
      table: [GET, UPDATE],
      tableKeys: [API_KEY_PARTITIONS, TENANT_PARTITIONS, SESSION_PARTITIONS],
      readSessionSecret: true,
    },
    definition: {
      handler: 'functions/api/authorizer.handler',
      description: 'API key → tenant (REQUEST authorizer)',
      timeout: API_TIMEOUT_S,
      // Only the authorizer reads the web session secret; its configuration holds the parameter's name only.
      environment: { VIGIL_SESSION_SECRET_PARAMETER: SESSION_SECRET_PARAMETER },
    },
  },
  {
    key: DELIVER,
    // take (update), signing secret (get), record the attempt (put), re-enqueue or retry later;
    // at a round's end, its event deliveries (endpoints: query; store and note them: put). All in
    // tenants' partitions: it can read or write no API key, user, session or layout.
    grants: {
      table: [GET, PUT, UPDATE, QUERY],
      tableKeys: [TENANT_PARTITIONS],
      consume: true,
      meter: true,
      ...DISPATCH,
    },
    definition: {
      handler: 'functions/engine/deliver.handler',
      description: 'Delivery worker: holds each ticket until it is due, sends, records',
      timeout: DELIVER_TIMEOUT_S,
      memorySize: DELIVER_MEMORY_MB,
      provisionedConcurrency: param('deliverWarmEnvironments'),
      // Two event sources alike but for the batching window: the delivery queue's gathers tickets
      // due about the same second into one invocation (the engine allows for it: they surface this
      // much earlier; libs/core settings.ts gatherWindowMs), the prompt queue's hands them over as
      // they come.
      events: [
        { arn: deliveryQueueArn, maximumBatchingWindow: DELIVERY_BATCHING_WINDOW_S },
        { arn: promptDeliveryQueueArn, maximumBatchingWindow: 0 },
      ].map(({ arn, maximumBatchingWindow }) => ({
        sqs: {
          arn,
          batchSize: DELIVERY_BATCH_SIZE,
          maximumBatchingWindow,
          maximumConcurrency: param('deliverMaxConcurrency'),
          functionResponseType: 'ReportBatchItemFailures' as const,
        },
      })),
    },
  },
  {
    key: BULK_JOBS,
    // A step: the job and the running-jobs record (get, put); a filter's page (byStatus); per message
    // the single commands: get, put, and for a redeliver the quota (counters: query; plan: get),
    // dispatch and metering; the next step on the job queue. All in tenants' partitions.
    grants: {
      table: [GET, PUT, QUERY],
      tableKeys: [TENANT_PARTITIONS],
      queryIndexes: ['byStatus'],
      consumeJobs: true,
      enqueueJobs: true,
      ...CREATE,
    },
    definition: {
      handler: 'functions/engine/run-bulk-job.handler',
      description: 'Bulk job worker: one page of a bulk cancel or redeliver per step, then the next step',
      timeout: JOB_TIMEOUT_S,
      events: [
        {
          sqs: {
            arn: jobQueueArn,
            // One step per invocation: a step is a page of 100 messages already.
            batchSize: 1,
            maximumBatchingWindow: 0,
            maximumConcurrency: BULK_JOBS_MAX_CONCURRENCY,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    },
  },
  {
    key: PROMOTE,
    // The bucket's members (query), their tickets (enqueue), and the note that it was promoted (put:
    // the notes' partition only, so the function a schedule invokes can write no message or tenant).
    grants: { table: [PUT], tableKeys: [PROMOTED_BUCKETS_KEY], queryIndexes: ['bucket'], enqueue: true },
    definition: {
      handler: 'functions/engine/promote.handler',
      description: "Far path: a bucket's schedule fired; enqueue its messages",
      timeout: PROMOTE_TIMEOUT_S,
    },
  },
  {
    key: SWEEP,
    // A recent bucket its timer did not promote (its note: get; its members: query; noted: put); the
    // pending index's overdue entries (query), each message's state and lease (get), its place
    // moved past the flight allowance before its ticket is re-enqueued (update); an idle bulk job's
    // step queued again, or a stalled one ended and its running place freed (get, put). Only in
    // tenants' partitions and the notes': it can read or write no API key, user, session or layout.
    grants: {
      table: [GET, PUT, UPDATE],
      tableKeys: [TENANT_PARTITIONS, PROMOTED_BUCKETS_KEY],
      queryIndexes: ['pending', 'bucket'],
      enqueue: true,
      enqueueJobs: true,
    },
    definition: {
      handler: 'functions/engine/sweep.handler',
      description: 'Safety net: re-enqueue overdue messages and idle bulk jobs',
      timeout: SWEEP_TIMEOUT_S,
      events: [{ schedule: { rate: ['rate(1 minute)'] } }],
    },
  },
  {
    key: CANARY,
    // Ensures the canary tenant (conditional put, else get), checks its quota (its plan: get; its
    // counters: query), inserts its probes (put, under the tenant's shards) and hands them on: the
    // near probe to the queue, the 20-minute one to its bucket's schedule; a probe whose insert threw
    // (maybe landed, its answer lost) is deleted again (its shards only). Only the canary tenant's
    // partitions: its item and counters under T#tnt_canary, its probes under T#tnt_canary#<n>.
    grants: {
      table: [GET, PUT, QUERY],
      tableKeys: [CANARY_TENANT_KEY, CANARY_TENANT_SHARDS],
      narrowerItems: [{ table: [DELETE], tableKeys: [CANARY_TENANT_SHARDS] }],
      ...CREATE,
    },
    definition: {
      handler: 'functions/engine/canary.handler',
      description: "Canary: schedules near and far probes to this stage's /canary-receiver",
      timeout: CANARY_TIMEOUT_S,
      environment: { VIGIL_CANARY_URL: canaryUrl },
      events: [{ schedule: { rate: [`rate(${param('canaryEveryMinutes')} minutes)`] } }],
    },
  },
  {
    key: TABLE_LAYOUT_CHECK,
    // The table's layout record (get; put, conditional, on a table without one); whether a table
    // without one holds anything (a scan of one item). Table-wide, the one function so: a Scan names
    // no partition key for dynamodb:LeadingKeys to bound, and it reads whichever item comes first.
    grants: { table: [GET, PUT, SCAN] },
    definition: {
      handler: 'functions/deploy/keep-table-layout.handler',
      description: "Deploy: checks the table's shard counts against the deploy's (custom resource TableLayoutCheck)",
      timeout: TABLE_LAYOUT_CHECK_TIMEOUT_S,
    },
  },
  {
    key: METERING,
    // Adds each usage event to its tenant's daily counter, once (conditional update); reads a
    // shard's id levels when a write finds one changed (query). All in tenants' partitions.
    grants: { table: [UPDATE, QUERY], tableKeys: [TENANT_PARTITIONS], consumeMetering: true },
    definition: {
      handler: 'functions/metering/fold-usage.handler',
      description: 'Metering: folds usage events into per-tenant daily counters',
      timeout: METERING_TIMEOUT_S,
      events: [
        {
          sqs: {
            arn: meteringQueueArn,
            // Events sharing a counter are folded with one write: the bigger the batch, the fewer writes.
            batchSize: 100,
            maximumBatchingWindow: METERING_BATCHING_WINDOW_S,
            maximumConcurrency: METERING_MAX_CONCURRENCY,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    },
  },
];

const staleGrants = Object.keys(ROUTE_GRANTS).filter((name) => !API_ROUTES.some((r) => r.functionName === name));
if (staleGrants.length > 0)
  throw new Error(`infra/functions.ts: IAM grants for routes that no longer exist: ${staleGrants.join(', ')}`);

export const FUNCTIONS: readonly VigilFunction[] = [...API_ROUTES.map(apiFunction), ...engineFunctions];

export const roleId = (functionKey: string): string => `${pascalCase(functionKey)}Role`;

/** The memory a function is deployed with, in MB (what Lambda bills its GB-seconds by). */
export const memorySizeOf = (functionKey: string): number => {
  const fn = FUNCTIONS.find((f) => f.key === functionKey);
  if (!fn) throw new Error(`infra/functions.ts: no function ${functionKey}`);
  return fn.definition.memorySize ?? DEFAULT_MEMORY_MB;
};

/**
 * An API Gateway management resource of this region (API keys and usage plans are regional), in the
 * formats of AWS's Service Authorization Reference, "Actions, resources, and condition keys for
 * Amazon API Gateway Management": `arn:${Partition}:apigateway:${Region}::/apikeys/${ApiKeyId}`,
 * `…::/usageplans/${UsagePlanId}/keys/${Id}`, `…::/tags/${UrlEncodedResourceARN}`.
 */
const apiGatewayArn = (path: string, variables?: Record<string, CfnValue>): CfnValue =>
  sub(`arn:\${AWS::Partition}:apigateway:\${AWS::Region}::${path}`, variables);

const allow = (Action: IamAction[], Resource: CfnValue[]): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
});

/** Each of this stage's usage plans (one per plan, infra/api.ts) by its id, its Ref. */
const usagePlanArns = (path: string): CfnValue[] =>
  Object.keys(PLANS).map((plan) =>
    apiGatewayArn(`/usageplans/\${UsagePlan}${path}`, { UsagePlan: ref(usagePlanLogicalId(plan)) }),
  );

/**
 * A request that tags what it creates as the binder does: with this stage (and nothing but the
 * binder's two tags). The reference lists aws:RequestTag and aws:TagKeys for apigateway:POST on
 * ApiKeys and apigateway:PUT on Tags.
 */
const TAGGED_FOR_THIS_STAGE: PolicyCondition = {
  StringEquals: { [`aws:RequestTag/${USAGE_KEY_STAGE_TAG}`]: STAGE },
  'ForAllValues:StringEquals': { 'aws:TagKeys': [USAGE_KEY_TENANT_TAG, USAGE_KEY_STAGE_TAG] },
};

/**
 * What binding a tenant to its usage plan calls (ApiGatewayUsagePlanBinder.bind, the only binder
 * call the claim makes), each as narrow as API Gateway's IAM allows (the reference above):
 * - GetUsagePlans and GetApiKeys (the binder finds this stage's plan, and a key made by an earlier
 *   try, by name): apigateway:GET on the collections `/usageplans` and `/apikeys`. NOT SCOPED: a
 *   list is authorised on its collection, whose only condition key, aws:ResourceTag, is about the
 *   collection and not the items listed, so this lets the function read every usage plan and every
 *   API key of the region, values included. Only a binder that finds keys without listing them
 *   (by an id it kept) could drop it.
 * - CreateApiKey: apigateway:POST on `/apikeys`, and apigateway:PUT on the new key's `/tags/…` (the
 *   reference maps CreateApiKey to both: the tags given on create), each only for a request tagging
 *   the key with this stage. The Tags resource has no resource condition key, so the PUT cannot be
 *   held to new keys: the function may put those two tags on other taggable resources of the
 *   region too, and so mark a key of another stage as its own.
 * - CreateUsagePlanKey, and GetUsagePlanKey after a conflict: this stage's usage plans only, by id.
 *   Which key goes in has no condition key (the resource is the plan's keys).
 * - DeleteApiKey (the younger of two keys two racing binds made): only keys tagged with this
 *   stage, aws:ResourceTag (so keys made before 2026-12-06 evening, untagged, are never deleted by
 *   it; the binder deletes only a key it just made).
 */
export const usagePlanBindingStatements = (): PolicyStatement[] => [
  allow(['apigateway:GET'], [apiGatewayArn('/usageplans'), apiGatewayArn('/apikeys')]),
  { ...allow(['apigateway:POST'], [apiGatewayArn('/apikeys')]), Condition: TAGGED_FOR_THIS_STAGE },
  { ...allow(['apigateway:PUT'], [apiGatewayArn('/tags/*')]), Condition: TAGGED_FOR_THIS_STAGE },
  allow(['apigateway:POST'], usagePlanArns('/keys')),
  allow(['apigateway:GET'], usagePlanArns('/keys/*')),
  {
    ...allow(['apigateway:DELETE'], [apiGatewayArn('/apikeys/*')]),
    Condition: { StringEquals: { [`aws:ResourceTag/${USAGE_KEY_STAGE_TAG}`]: STAGE } },
  },
];

/** Everything one function may do: its role's own statements and those of the policy attached to it. */
export const statementsFor = (functionKey: string, grants: Grants): PolicyStatement[] => [
  ...roleStatementsFor(functionKey, grants),
  ...(grants.bindUsagePlans ? usagePlanBindingStatements() : []),
];

/** Item actions on the table, held to `tableKeys` if given (dynamodb:LeadingKeys, ForAllValues). */
const itemStatement = (actions: TableAction[], tableKeys: string[] | undefined): PolicyStatement => ({
  ...allow(actions, [tableArn]),
  ...(tableKeys && {
    Condition: {
      [tableKeys.some((key) => /[*?]/.test(key)) ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals']: {
        'dynamodb:LeadingKeys': tableKeys,
      },
    },
  }),
});

/** The statements of one function's role itself (its inline policy). */
const roleStatementsFor = (functionKey: string, grants: Grants): PolicyStatement[] => [
  // Its own log group only (serverless creates the group, so no logs:CreateLogGroup).
  allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroupArn(functionKey)]),
  ...(grants.table?.length ? [itemStatement(grants.table, grants.tableKeys)] : []),
  ...(grants.narrowerItems ?? []).map(({ table, tableKeys }) => itemStatement(table, tableKeys)),
  ...(grants.queryIndexes?.length ? [allow(['dynamodb:Query'], grants.queryIndexes.map(indexArn))] : []),
  ...(grants.enqueue ? [allow(['sqs:SendMessage'], [deliveryQueueArn, promptDeliveryQueueArn])] : []),
  ...(grants.meter ? [allow(['sqs:SendMessage'], [meteringQueueArn])] : []),
  ...(grants.enqueueJobs ? [allow(['sqs:SendMessage'], [jobQueueArn])] : []),
  ...(grants.consumeJobs
    ? [
        allow(
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
          [jobQueueArn],
        ),
      ]
    : []),
  ...(grants.consumeMetering
    ? [
        allow(
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
          [meteringQueueArn],
        ),
      ]
    : []),
  ...(grants.consume
    ? [
        allow(
          ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
          [deliveryQueueArn, promptDeliveryQueueArn],
        ),
      ]
    : []),
  ...(grants.readSessionSecret ? [allow(['ssm:GetParameter'], [sessionSecretParameterArn])] : []),
  ...(grants.scheduleBuckets
    ? [
        allow(['scheduler:CreateSchedule'], [bucketSchedulesArn]),
        {
          ...allow(['iam:PassRole'], [schedulerRoleArn]),
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]
    : []),
];

/** Each function with its role and its environment: functionEnvironment, then its own. */
export const functionDefinitions = (): Record<string, FunctionDefinition> =>
  Object.fromEntries(
    FUNCTIONS.map(({ key, definition }) => [
      key,
      { ...definition, role: roleId(key), environment: { ...functionEnvironment(), ...definition.environment } },
    ]),
  );

/** The logical id of the policy attached to a function's role for its usage-plan statements. */
export const usagePlansPolicyId = (functionKey: string): string => `${pascalCase(functionKey)}UsagePlansPolicy`;

/**
 * Each function's role, and for a function binding usage plans a policy attached to it. The usage
 * plans follow the API's deployment, which follows the API's methods and so the functions behind
 * them: a role naming the plans would make its function wait for them (a dependency cycle). A
 * separate policy waits for the role and the plans, and nothing waits for it.
 */
export const functionRoleResources = (): Resources =>
  Object.fromEntries(
    FUNCTIONS.flatMap(({ key, grants }) => [
      [
        roleId(key),
        serviceRole({
          service: 'lambda.amazonaws.com',
          policyName: lambdaName(key),
          statements: roleStatementsFor(key, grants),
        }),
      ],
      ...(grants.bindUsagePlans
        ? [
            [
              usagePlansPolicyId(key),
              attachedPolicy({
                roleId: roleId(key),
                policyName: `${lambdaName(key)}-usage-plans`,
                statements: usagePlanBindingStatements(),
              }),
            ],
          ]
        : []),
    ]),
  );

/**
 * What libs/aws/src/config.ts reads, the same for every Vigil function (not the provider's: the
 * console's server function gets none of it, and may not name the console's origin).
 */
export const functionEnvironment = (): Record<string, CfnValue> => ({
  VIGIL_TABLE: tableName,
  VIGIL_DELIVERY_QUEUE_URL: deliveryQueueUrl,
  VIGIL_PROMPT_QUEUE_URL: promptDeliveryQueueUrl,
  VIGIL_METERING_QUEUE_URL: meteringQueueUrl,
  VIGIL_JOB_QUEUE_URL: jobQueueUrl,
  VIGIL_SCHEDULE_GROUP: scheduleGroupName,
  VIGIL_PROMOTE_ARN: lambdaArn(PROMOTE),
  VIGIL_SCHEDULER_ROLE_ARN: schedulerRoleArn,
  VIGIL_SCHEDULER_DLQ_ARN: schedulerDeadLetterQueueArn,
  // Changing a shard count strands items written under the old one: set once per stage (params.ts).
  VIGIL_INDEX_SHARDS: param('indexShards'),
  VIGIL_TENANT_SHARDS: param('tenantShards'),
  VIGIL_ALLOW_PRIVATE_TARGETS: 'false',
  VIGIL_LOG_LEVEL: 'info',
  VIGIL_STAGE: STAGE,
  // Embedded Metric Format lines on stdout (namespace Vigil, dimension Stage): the alarms' input.
  VIGIL_METRICS: 'on',
  // For the handlers' CORS headers on /v1 answers (the preflight itself is API Gateway's).
  VIGIL_WEB_ORIGIN: consoleOrigin,
});
