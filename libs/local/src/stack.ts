/**
 * The embedded local stack: in one Node process, the real-protocol local services (dynalite for
 * DynamoDB, fauxqs for SQS, the scheduler emulator for EventBridge Scheduler) and, on top, the
 * same handlers that run on AWS: the API behind a local gateway, the delivery worker behind an
 * SQS poller, promote behind the scheduler emulator, and the sweep at start-up and every minute.
 * Usage events go to a journal in the data dir rather than to an in-memory queue, so that a
 * kill -9 loses none of them (usage-journal.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Runtime, TenantAdmin } from '@vigil/aws';
import { openTenantAdmin, resetRuntime, startRuntime, TABLE_DEFINITION, usagePlanName } from '@vigil/aws';
import { addApiKey, ensureTenant, ensureUsagePlan, newApiKey, newTenantId, PLANS } from '@vigil/core';
import { handler as authorizer } from '@vigil/functions/api/authorizer';
import { handler as deliver } from '@vigil/functions/engine/deliver';
import { handler as promote } from '@vigil/functions/engine/promote';
import { handler as sweep } from '@vigil/functions/engine/sweep';
import type { Context } from 'aws-lambda';
import type { LocalConfig } from './config';
import { KEYS_CHANGED_FILE, LOCAL_ENGINE_DEFAULTS } from './config';
import { startApiGatewayEmulator } from './api-gateway-emulator';
import type { DynaliteThread } from './dynalite-thread';
import { startDynaliteThread } from './dynalite-thread';
import { startGateway } from './gateway';
import type { LocalQueue } from './local-queues';
import { LOCAL_QUEUES, queueAttributes } from './local-queues';
import { repairPendingIndexes } from './repair-indexes';
import { startSchedulerEmulator } from './scheduler-emulator';
import { startSqsPoller } from './sqs-poller';
import type { FaultLayer } from './fault-proxy';
import { JournalUsageMeter, journalPaths, startUsageJournalFolder } from './usage-journal';
import type { WebApp } from './web-app';
import { startWebApp } from './web-app';

export interface StackOptions extends LocalConfig {
  /** Engine settings for the handlers (VIGIL_NEAR_WINDOW_S, ...); defaults to process.env. */
  env?: Record<string, string | undefined>;
}

export interface LocalStack {
  url: string;
  tenantId: string;
  apiKey: string;
  /** The web app's next-auth secret; the authorizer accepts session tokens made with it. */
  sessionSecret: string;
  /** DynamoDB's local endpoint. */
  dynamoEndpoint: string;
  /** dynalite's worker thread: its own heap, for the soak's measurements. */
  dynalite: Pick<DynaliteThread, 'memory' | 'writeHeapSnapshot'>;
  /** The web app's address, when it runs. */
  webUrl?: string;
  /** The fault layer, when the stack runs with `VIGIL_CHAOS` (the chaos suite). */
  faults?: FaultLayer;
  /** Tenant administration on this stack's store and API Gateway emulator (as the admin command has it). */
  tenantAdmin: TenantAdmin;
  dataDir: string;
  runtime: Runtime;
  /** Folds the usage journal into the counters now (it is folded every 5 s, or per 100 events, anyway); resolves with the events folded. */
  foldUsage(): Promise<number>;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
/**
 * The usage journal is folded into the counters every 5 s, or at once when 100 events are waiting:
 * the deployed metering function's batching window and batch size.
 */
const USAGE_FOLD_EVERY_MS = 5_000;
const region = 'us-east-1';
const lambdaContext = { callbackWaitsForEmptyEventLoop: false } as Context;

/** The development tenant and key, made once and kept in the data dir so restarts keep them. */
const devIdentity = async (dataDir: string, fixedKey: string | undefined) => {
  const file = join(dataDir, 'dev-tenant.json');
  const saved = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as { tenantId: string; apiKey: string })
    : undefined;
  const identity = {
    tenantId: saved?.tenantId ?? newTenantId(),
    apiKey: fixedKey ?? saved?.apiKey ?? newApiKey(),
  };
  await writeFile(file, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  return identity;
};

/** The web session secret, made once and kept in the data dir so sign-ins survive restarts. */
const sessionSecretOf = async (dataDir: string, given: string | undefined): Promise<string> => {
  if (given) return given;
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
};

/** A port free on `host` now (for a gateway asked to listen on port 0, whose port must be known first). */
const freePort = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

export const startStack = async (options: StackOptions): Promise<LocalStack> => {
  const { dataDir } = options;
  await mkdir(dataDir, { recursive: true });

  const dynamo = await startDynaliteThread(join(dataDir, 'dynamodb'));
  // fauxqs is ESM-only; a dynamic import loads it from this CommonJS-compiled module too.
  const { startFauxqs } = await import('fauxqs');
  const sqsServer = await startFauxqs({ port: 0, logger: false });

  const env = { ...LOCAL_ENGINE_DEFAULTS, ...(options.env ?? process.env) };
  const endpoints = { dynamo: dynamo.endpoint, sqs: `http://127.0.0.1:${sqsServer.port}` };
  const promoteArn = env.VIGIL_PROMOTE_ARN as string;
  const scheduler = await startSchedulerEmulator({
    statePath: join(dataDir, 'schedules.json'),
    invoke: async (target) => {
      if (target.arn !== promoteArn) throw new Error(`no local function behind ${target.arn}`);
      await promote(JSON.parse(target.input ?? '{}'));
    },
  });

  // API Gateway's usage plans, one per plan as infra/api.ts deploys them: tenants made here get
  // their API Gateway key in their plan's usage plan, as on AWS.
  const stage = 'local';
  const apiGateway = await startApiGatewayEmulator({
    statePath: join(dataDir, 'apigateway.json'),
    usagePlans: Object.entries(PLANS).map(([name, plan]) => ({
      name: usagePlanName(name, stage),
      throttle: { rateLimit: plan.ratePerSecond, burstLimit: plan.burst },
      quota: { limit: plan.monthlyMessages, period: 'MONTH' as const },
    })),
  });

  // Provision what serverless.ts deploys on AWS: the table, the queues, the schedule group.
  const admin = {
    dynamo: new DynamoDBClient({ region, endpoint: endpoints.dynamo, credentials }),
    sqs: new SQSClient({ region, endpoint: endpoints.sqs, credentials }),
    scheduler: new SchedulerClient({ region, endpoint: scheduler.endpoint, credentials }),
  };
  const table = env.VIGIL_TABLE as string;
  try {
    await admin.dynamo.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await admin.dynamo.send(new CreateTableCommand({ TableName: table, ...TABLE_DEFINITION }));
  }
  /** A queue with its dead-letter queue, with the settings infra/queues.ts deploys (local-queues.ts). */
  const queueWithDlq = async ({ name, ...settings }: LocalQueue) => {
    const arnOf = async (url: string | undefined) =>
      (await admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
        ?.QueueArn as string;
    const dlq = await admin.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const queue = await admin.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: queueAttributes(settings, await arnOf(dlq.QueueUrl)),
      }),
    );
    return { url: queue.QueueUrl as string, arn: await arnOf(queue.QueueUrl) };
  };
  const delivery = await queueWithDlq(LOCAL_QUEUES.delivery);
  try {
    await admin.scheduler.send(new CreateScheduleGroupCommand({ Name: env.VIGIL_SCHEDULE_GROUP }));
  } catch (error) {
    if ((error as Error).name !== 'ConflictException') throw error;
  }

  const sessionSecret = await sessionSecretOf(dataDir, env.NEXTAUTH_SECRET);
  // The chaos suite only (opt-in, VIGIL_CHAOS): the handlers reach the services through fault
  // proxies; provisioning, the pollers (Lambda's event sources) and tenant admin stay direct.
  let faults: FaultLayer | undefined;
  if (options.chaos !== undefined) {
    const { parseChaosSettings, startFaultLayer } = await import('./fault-proxy');
    faults = await startFaultLayer(
      parseChaosSettings(options.chaos),
      { dynamodb: endpoints.dynamo, sqs: endpoints.sqs, scheduler: scheduler.endpoint },
      { host: '127.0.0.1', reportFile: join(dataDir, 'chaos-faults.json') },
    );
  }
  const handlerEndpoints = faults?.endpoints ?? {
    dynamodb: endpoints.dynamo,
    sqs: endpoints.sqs,
    scheduler: scheduler.endpoint,
  };
  // The stack's own ports: no webhook may target them, even with private targets allowed (a
  // webhook to dynalite with X-Amz-Target: DynamoDB_20120810.Scan would read every tenant's data).
  const gatewayPort = options.port === 0 ? await freePort(options.host) : options.port;
  const reserved: Array<[string, number | undefined]> = [
    ['API (gateway)', gatewayPort],
    ['web app', options.web?.port],
    ['DynamoDB (dynalite)', portOf(endpoints.dynamo)],
    ['SQS (fauxqs)', sqsServer.port],
    ['scheduler emulator', portOf(scheduler.endpoint)],
    ['API Gateway emulator', portOf(apiGateway.endpoint)],
    // The chaos suite's fault proxies lead to the same services.
    ...(faults?.proxies ?? []).map((proxy): [string, number | undefined] => [
      `${proxy.service} fault proxy`,
      portOf(proxy.endpoint),
    ]),
  ];
  // The handlers read their configuration from the environment, as on Lambda.
  Object.assign(process.env, env, {
    NEXTAUTH_SECRET: sessionSecret,
    VIGIL_DYNAMODB_ENDPOINT: handlerEndpoints.dynamodb,
    VIGIL_SQS_ENDPOINT: handlerEndpoints.sqs,
    VIGIL_SCHEDULER_ENDPOINT: handlerEndpoints.scheduler,
    VIGIL_DELIVERY_QUEUE_URL: delivery.url,
    VIGIL_RESERVED_ENDPOINTS: reserved.flatMap(([name, port]) => (port ? [`${name}=${port}`] : [])).join(','),
    // The console's first sign-in (POST /v1/session/tenant) binds new tenants to the emulator's usage plans.
    VIGIL_USAGE_PLANS: 'on',
    VIGIL_APIGATEWAY_ENDPOINT: apiGateway.endpoint,
  });
  // Metering through the journal (durable across kill -9), not the in-memory queue.
  delete process.env.VIGIL_METERING_QUEUE_URL;
  const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => rt.log);
  const rt = startRuntime({ meter });

  // Where `npm run admin -- --local` finds this stack's store while it runs.
  await writeFile(
    join(dataDir, 'endpoints.json'),
    `${JSON.stringify({ dynamodb: endpoints.dynamo, table, region, apigateway: apiGateway.endpoint, stage }, null, 2)}\n`,
  );

  const tenantAdmin = openTenantAdmin({
    region,
    table,
    dynamoEndpoint: endpoints.dynamo,
    usagePlans: { stage, endpoint: apiGateway.endpoint },
  });
  const identity = await devIdentity(dataDir, options.devApiKey);
  // The development tenant is on the larger plan so that trying things out is not throttled early.
  const { tenancy } = tenantAdmin;
  const devTenant = await ensureTenant(tenancy, { id: identity.tenantId, name: 'Development', plan: 'pro' });
  await ensureUsagePlan(tenancy, devTenant);
  await addApiKey(tenancy, identity.tenantId, identity.apiKey, 'development');

  // Usage the last run journaled and did not fold (a kill -9) is folded before anything else.
  const usageFolder = await startUsageJournalFolder({
    dataDir,
    fold: (events) => rt.usage.fold(events),
    log: rt.log,
    everyMs: USAGE_FOLD_EVERY_MS,
    batchEvents: 100,
  });
  meter.onJournaled = (count) => usageFolder.journaled(count);

  // A kill in the middle of a store write can leave an unfinished message out of dynalite's indexes.
  await repairPendingIndexes(admin.dynamo, table);
  // The queue did not survive the last stop: re-enqueue everything due within the near window.
  await sweep({ lookAheadS: rt.config.engine.nearWindowMs / 1000 });

  const pollers = [
    startSqsPoller({
      sqs: admin.sqs,
      queueUrl: delivery.url,
      queueArn: delivery.arn,
      handler: (event) => deliver(event, lambdaContext),
      log: rt.log,
    }),
  ];
  const sweeper = setInterval(() => {
    sweep({}).catch((error) => rt.log.error('sweep failed', { error: String(error) }));
  }, options.sweepEveryMs);

  const gateway = await startGateway({
    port: gatewayPort,
    host: options.host,
    authorizer: (event) => authorizer(event),
    authCacheMs: options.authCacheMs,
    rateLimits: options.rateLimits,
    keysChangedFile: join(dataDir, KEYS_CHANGED_FILE),
    log: rt.log,
  });

  // A key revoked through the API stops working at once here (API Gateway: within its cache TTL).
  for (const store of [rt.tenants, tenantAdmin.store]) store.onRevocation(() => gateway.clearAuthCache());

  let web: WebApp | undefined;
  const stack: LocalStack = {
    url: gateway.url,
    tenantId: identity.tenantId,
    apiKey: identity.apiKey,
    sessionSecret,
    dynamoEndpoint: endpoints.dynamo,
    dynalite: dynamo,
    dataDir,
    runtime: rt,
    tenantAdmin,
    ...(faults && { faults }),
    foldUsage: () => usageFolder.foldNow(),
    async stop() {
      clearInterval(sweeper);
      await web?.stop();
      await rm(join(dataDir, 'endpoints.json'), { force: true });
      await gateway.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      await scheduler.stop();
      await usageFolder.stop();
      meter.close();
      await apiGateway.stop();
      tenantAdmin.close();
      resetRuntime();
      for (const client of Object.values(admin)) client.destroy();
      await faults?.stop();
      await sqsServer.stop();
      await dynamo.stop();
    },
  };

  if (options.web) {
    try {
      web = await startWebApp({
        ...options.web,
        host: options.host,
        apiUrl: gateway.url,
        sessionSecret,
      });
    } catch (error) {
      await stack.stop();
      throw error;
    }
    stack.webUrl = web.url;
  }
  return stack;
};
