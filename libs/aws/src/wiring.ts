/**
 * Builds the SDK clients and adapters once per process (Lambda container or local stack) from the
 * configuration, and hands the use-cases their dependencies. Handlers call `runtime()`; nothing
 * else constructs clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger, SchedulingDeps, TargetPolicy, UsageMeter } from '@vigil/core';
import { DeliveryWorker } from '@vigil/core';
import type { VigilConfig } from './config';
import { readConfig } from './config';
import { DynamoMessageStore } from './dynamo-message-store';
import { DynamoTenantStore } from './dynamo-tenant-store';
import { DynamoUsageLedger } from './dynamo-usage-ledger';
import { SqsUsageMeter } from './sqs-usage-meter';
import { UsageQuotaGuard } from './usage-quota';
import { hostAddresses, NodeHttpSender } from './http-sender';
import { createLogger } from './logger';
import type { MetricsWriter } from './metrics';
import { createMetricsWriter, METRIC } from './metrics';
import { SchedulerBucketTimer } from './scheduler-bucket-timer';
import { SqsDeliveryQueue } from './sqs-delivery-queue';
import { systemClock } from './system-clock';
import { VIGIL_VERSION } from './version';

/** Store calls by command name, counted by the DynamoDB client itself (for the benchmark). */
export type StoreCallCounts = Map<string, number>;

export interface Runtime {
  config: VigilConfig;
  log: Logger;
  scheduling: SchedulingDeps;
  tenants: DynamoTenantStore;
  usage: DynamoUsageLedger;
  worker: DeliveryWorker;
  metrics: MetricsWriter;
  storeCalls: StoreCallCounts;
  /** Calls of the metering counters (folding usage, quota reads), apart from storeCalls. */
  meteringCalls: StoreCallCounts;
  close(): void;
}

/** Adapters a home chooses itself instead of the defaults built from the configuration. */
export interface RuntimeAdapters {
  /** Where usage events go (default: the metering queue, when VIGIL_METERING_QUEUE_URL is set). */
  meter?: UsageMeter;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export const createRuntime = (config: VigilConfig, adapters: RuntimeAdapters = {}): Runtime => {
  const { endpoints, region } = config;
  // Every call is bounded: a store or queue that hangs fails the call (and the SDK retries it)
  // instead of holding a worker forever.
  const bounded = { maxAttempts: 3, requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 } };
  const clientOptions = (endpoint: string | undefined) =>
    endpoint ? { region, endpoint, credentials: localCredentials, ...bounded } : { region, ...bounded };

  /** A DynamoDB client whose calls are counted by command name (the benchmark reads the counts). */
  const countedClient = (counts: StoreCallCounts) => {
    const client = new DynamoDBClient(clientOptions(endpoints.dynamodb));
    client.middlewareStack.add(
      (next, context) => (args) => {
        const name = context.commandName ?? 'unknown';
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'vigilStoreCallCounter' },
    );
    return client;
  };
  const storeCalls: StoreCallCounts = new Map();
  const meteringCalls: StoreCallCounts = new Map();
  const dynamo = countedClient(storeCalls);
  // Metering has a client of its own so that its writes are counted apart from the delivery path's.
  const meteringDynamo = countedClient(meteringCalls);
  const documentClient = (client: DynamoDBClient) =>
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const db = documentClient(dynamo);
  const sqs = new SQSClient(clientOptions(endpoints.sqs));
  const scheduler = new SchedulerClient(clientOptions(endpoints.scheduler));

  const log = createLogger(config.logLevel, { service: 'vigil', version: VIGIL_VERSION });
  const store = new DynamoMessageStore(db, config.table, config.indexShards);
  const tenants = new DynamoTenantStore(db, config.table);
  // One policy for the URL as written (create, PATCH) and for every address it resolves to (send).
  const targets: TargetPolicy = {
    allowPrivateTargets: config.allowPrivateTargets,
    reservedEndpoints: config.reservedEndpoints,
    localAddresses: config.reservedEndpoints.length > 0 ? hostAddresses() : [],
  };
  const sender = new NodeHttpSender(targets);
  const usage = new DynamoUsageLedger(documentClient(meteringDynamo), config.table);
  const meter =
    adapters.meter ??
    (config.meteringQueueUrl
      ? new SqsUsageMeter(sqs, config.meteringQueueUrl, log, config.meteringFlushMs)
      : undefined);
  const metering = meter ? { meter, quota: new UsageQuotaGuard(usage, tenants) } : {};
  const scheduling: SchedulingDeps = {
    store,
    queue: new SqsDeliveryQueue(sqs, config.deliveryQueueUrl),
    timer: new SchedulerBucketTimer(scheduler, {
      groupName: config.scheduleGroup,
      promoteArn: config.promoteArn,
      roleArn: config.schedulerRoleArn,
    }),
    clock: systemClock,
    settings: config.engine,
    log,
    targets,
    ...metering,
  };
  const metrics: MetricsWriter = config.metrics ? createMetricsWriter(config.stage) : () => {};
  const worker = new DeliveryWorker({
    ...scheduling,
    tenants,
    // One adapter per target type (the message's URL scheme picks it): HTTP only so far.
    deliveryTargets: { http: sender },
    backoff: config.backoff,
    random: Math.random,
    events: {
      delivered: ({ latenessMs }) =>
        metrics({
          [METRIC.delivered]: { value: 1, unit: 'Count' },
          [METRIC.deliveryLateness]: { value: latenessMs, unit: 'Milliseconds' },
        }),
      attemptFailed: ({ final }) =>
        metrics({
          [METRIC.attemptFailed]: { value: 1, unit: 'Count' },
          ...(final && { [METRIC.deliveryFailed]: { value: 1, unit: 'Count' } }),
        }),
    },
  });
  return {
    config,
    log,
    scheduling,
    tenants,
    usage,
    worker,
    metrics,
    storeCalls,
    meteringCalls,
    close() {
      sender.close();
      dynamo.destroy();
      meteringDynamo.destroy();
      sqs.destroy();
      scheduler.destroy();
    },
  };
};

let current: Runtime | undefined;

/** The process-wide runtime, built from the environment on first use (a Lambda cold start). */
export const runtime = (): Runtime => {
  current ??= createRuntime(readConfig());
  return current;
};

/** Builds the process-wide runtime now, from the environment and with adapters of the caller's choosing (the local stack). */
export const startRuntime = (adapters: RuntimeAdapters): Runtime => {
  resetRuntime();
  current = createRuntime(readConfig(), adapters);
  return current;
};

/** Forgets the process-wide runtime (the local stack calls this when it stops). */
export const resetRuntime = (): void => {
  current?.close();
  current = undefined;
};
