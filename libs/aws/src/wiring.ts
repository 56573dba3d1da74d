/**
 * The message engine's wiring, on top of the shared base (wiring/base.ts) and tenancy
 * (wiring/tenancy.ts): the queue, the scheduler and metering for the message routes, and the
 * delivery worker with its HTTP sender. Built once per process; handlers call `runtime()`, or,
 * where they need less, `messageStore()`, `tenancyWiring()` or `provisioningWiring()`, so that each function's
 * bundle carries only its own clients. Nothing else the functions run constructs clients (the
 * operator's shell opens tenancy with tenant-admin.ts).
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventDeliveryDeps, Logger, NotificationEndpointStore, TenancyDeps, UsageMeter } from '@vigil/core';
import { DeliveryWorker, signingSecretDirectory, UsageQuotaGuard } from '@vigil/core';
import type { Environment, VigilConfig } from './config';
import { DynamoFlowLimiter } from './dynamo-flow-limiter';
import type { DynamoTenantStore } from './dynamo-tenant-store';
import type { DynamoUsageLedger } from './dynamo-usage-ledger';
import { NodeHttpSender } from './http-sender';
import type { MetricsWriter } from './metrics';
import { createMetricsWriter, METRIC } from './metrics';
import { SchedulerBucketTimer } from './scheduler-bucket-timer';
import { SqsDeliveryQueue } from './sqs-delivery-queue';
import { DELIVERY_USAGE_GATHER_MS, SqsUsageMeter } from './sqs-usage-meter';
import { systemClock } from './system-clock';
import type { ClientInstrument, StoreCallCounts } from './wiring/base';
import { configureWiring, part, withoutSdkLogging } from './wiring/base';
import { messageStore, notificationEndpoints, targetPolicy } from './wiring/messages';
import { tenancyWiring, usageLedger } from './wiring/tenancy';

export type { ClientInstrument, InstrumentableClient, StoreCallCounts } from './wiring/base';
export { base, localServiceClientOptions, withoutSdkLogging } from './wiring/base';
export { tenancyWiring } from './wiring/tenancy';

export interface Runtime {
  config: VigilConfig;
  log: Logger;
  /** What scheduling messages needs, and the notification endpoints that event deliveries go to. */
  scheduling: EventDeliveryDeps & { endpoints: NotificationEndpointStore };
  /** Tenancy's ports (the use cases in @vigil/core take them). */
  tenancy: TenancyDeps;
  /** The DynamoDB adapter behind the tenancy ports (the local stack listens to its revocations). */
  tenants: DynamoTenantStore;
  usage: DynamoUsageLedger;
  worker: DeliveryWorker;
  metrics: MetricsWriter;
  storeCalls: StoreCallCounts;
  /** Calls of the metering counters (folding usage, quota reads), apart from storeCalls. */
  meteringCalls: StoreCallCounts;
  /** Calls of the tenant store (keys, tenants, sessions), apart from storeCalls. */
  tenancyCalls: StoreCallCounts;
}

/** Adapters a home chooses itself instead of the defaults built from the configuration. */
export interface RuntimeAdapters {
  /** The settings to read instead of the process environment (the names of config.ts). */
  env?: Environment;
  /** Where usage events go (default: the metering queue, when VIGIL_METERING_QUEUE_URL is set). */
  meter?: UsageMeter;
  /** Every AWS client the wiring builds is handed to it first (the cost bench meters their calls). */
  instrument?: ClientInstrument;
  /**
   * Whether concurrent enqueues share SendMessageBatch requests (default: yes, sqs-delivery-queue.ts).
   * The cost bench says no: on AWS each create is a Lambda invocation of its own, whose tickets
   * share a request with no other create's.
   */
  shareQueueRequests?: boolean;
}

/** The process-wide CloudWatch metrics writer (embedded metric format), or one that drops them when metrics are off. */
export const metricsWriter = (): MetricsWriter =>
  part('metrics', (b) => (b.config.metrics ? createMetricsWriter(b.config.stage) : () => {}));

/** What the last startRuntime chose (nothing: a Lambda). */
let chosen: RuntimeAdapters = {};

/** The process-wide runtime, built from the environment on first use (a Lambda cold start). */
export const runtime = (): Runtime =>
  part('runtime', (b) => {
    const { config, log } = b;
    const { store: tenants, tenancy } = tenancyWiring();
    const usage = usageLedger();
    const sqs = withoutSdkLogging(new SQSClient(b.clientOptions(config.endpoints.sqs)));
    const scheduler = withoutSdkLogging(new SchedulerClient(b.clientOptions(config.endpoints.scheduler)));
    b.instrument(sqs);
    b.instrument(scheduler);
    // One policy for the URL as written (create, PATCH) and for every address it resolves to (send).
    const targets = targetPolicy();
    const sender = new NodeHttpSender(targets);
    b.onClose(() => {
      sender.close();
      sqs.destroy();
      scheduler.destroy();
    });
    const metrics = metricsWriter();
    const onLost = (count: number) => metrics({ [METRIC.usageEventsLost]: { value: count, unit: 'Count' } });
    const sqsMeter = (gatherMs: number) =>
      config.meteringQueueUrl ? new SqsUsageMeter(sqs, config.meteringQueueUrl, log, { gatherMs, onLost }) : undefined;
    // A create answers once its usage is sent, so the API's meter sends at once; the worker's
    // gathers the events of tickets sent about the same instant (after their sends).
    const meter = chosen.meter ?? sqsMeter(0);
    const deliveryMeter = chosen.meter ?? sqsMeter(DELIVERY_USAGE_GATHER_MS);
    const metering = meter ? { meter, quota: new UsageQuotaGuard(usage, tenants, systemClock) } : {};
    const scheduling: Runtime['scheduling'] = {
      store: messageStore(),
      endpoints: notificationEndpoints(),
      queue: new SqsDeliveryQueue(sqs, config.deliveryQueueUrl, config.promptQueueUrl, {
        shareRequests: chosen.shareQueueRequests ?? true,
      }),
      timer: new SchedulerBucketTimer(scheduler, {
        groupName: config.scheduleGroup,
        promoteArn: config.promoteArn,
        roleArn: config.schedulerRoleArn,
        deadLetterArn: config.schedulerDeadLetterArn,
        onQuotaRefused: () => metrics({ [METRIC.bucketScheduleRefused]: { value: 1, unit: 'Count' } }),
      }),
      clock: systemClock,
      random: Math.random,
      settings: config.engine,
      log,
      targets,
      ...metering,
    };
    const worker = new DeliveryWorker({
      ...scheduling,
      meter: deliveryMeter,
      tenants: signingSecretDirectory(tenancy),
      // One adapter per target type (the message's URL scheme picks it): HTTP only so far.
      deliveryTargets: { http: sender },
      backoff: config.backoff,
      random: Math.random,
      // Flow keys' turns live in the table, so every worker of the deployment shares them.
      flowLimiter: new DynamoFlowLimiter(b.db, config.table),
      events: {
        delivered: ({ latenessMs, latenessReason }) =>
          metrics(
            {
              [METRIC.delivered]: { value: 1, unit: 'Count' },
              [METRIC.deliveryLateness]: { value: latenessMs, unit: 'Milliseconds' },
            },
            // Why it was late, when the engine knows: lateness by reason beside the total.
            latenessReason && { name: 'LatenessReason', value: latenessReason, metrics: [METRIC.deliveryLateness] },
          ),
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
      tenancy,
      tenants,
      usage,
      worker,
      metrics,
      storeCalls: b.storeCalls,
      meteringCalls: b.meteringCalls,
      tenancyCalls: b.tenancyCalls,
    };
  });

/**
 * Builds the process-wide runtime now, from the settings and with adapters of the caller's
 * choosing (the local stack): every handler in the process then uses them.
 */
export const startRuntime = (adapters: RuntimeAdapters): Runtime => {
  configureWiring(adapters.env, adapters.instrument);
  chosen = adapters;
  return runtime();
};

/** Forgets the process-wide wiring and its settings, closing its clients (the local stack calls this when it stops). */
export const resetRuntime = (): void => {
  chosen = {};
  configureWiring(undefined);
};
