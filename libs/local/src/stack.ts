/**
 * The embedded local stack: in one Node process, the real-protocol local services (dynalite for
 * DynamoDB, fauxqs for SQS, the scheduler emulator for EventBridge Scheduler) and, on top, the
 * same handlers that run on AWS: the API behind a local gateway, the delivery worker and the bulk
 * job worker behind SQS pollers, promote behind the scheduler emulator, the sweep at start-up
 * (start-up-sweep.ts) and every minute, and the expiry reaper (DynamoDB TTL's stand-in: dynalite has
 * none) every minute.
 * Its parts: the services (stack-services.ts), their provisioning (stack-provisioning.ts), and
 * here the wiring of the handlers onto them. The handlers get their settings as an argument
 * (startRuntime({ env })), never through this process's environment. Usage events go to a
 * journal in the data dir rather than to an in-memory queue, so that a kill -9 loses none of
 * them (usage-journal.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientInstrument, Runtime, TenantAdmin } from '@vigil/aws';
import type { StackSettings } from '@vigil/aws';
import { ConfigError, openTenantAdmin, readConfig, resetRuntime, stackSettingsOf, startRuntime } from '@vigil/aws';
import { createLogger } from '@vigil/aws/logger';
import { documentClient } from '@vigil/aws/dynamo-document-client';
import type { LayoutGuard } from '@vigil/aws/table-layout';
import { keepTableLayout } from '@vigil/aws/table-layout';
import type { Logger } from '@vigil/core';
import { VIGIL_VERSION } from '@vigil/core';
import { handler as authorizer } from '@vigil/functions/api/authorizer';
import { handler as deliver } from '@vigil/functions/engine/deliver';
import { handler as foldUsageEvents } from '@vigil/functions/metering/fold-usage';
import { handler as promote } from '@vigil/functions/engine/promote';
import { handler as runBulkJob } from '@vigil/functions/engine/run-bulk-job';
import { localSweep, startUpSweepRuns } from '@vigil/functions/engine/sweep';
import type { Context } from 'aws-lambda';
import type { LocalConfig } from './config';
import { KEYS_CHANGED_FILE, LOCAL_ENGINE_DEFAULTS } from './config';
import type { DynaliteThread } from './dynalite-thread';
import { startExpiryReaper } from './expiry-reaper';
import type { FaultLayer } from './fault-proxy';
import type { DataDirLock } from './data-dir-lock';
import { lockDataDir } from './data-dir-lock';
import type { HeldPort } from './gateway';
import { holdGatewayPort, startGateway } from './gateway';
import { repairPendingIndexes } from './repair-indexes';
import { describeUpgrade } from './table-upgrade';
import {
  ENDPOINTS_FILE,
  LOCAL_REGION,
  provision,
  provisionDevTenant,
  sessionSecretOf,
  writeEndpointsFile,
} from './stack-provisioning';
import type { LocalServices } from './stack-services';
import { LOCAL_STAGE, startServices } from './stack-services';
import { startSqsPoller } from './sqs-poller';
import { startUpSweep } from './start-up-sweep';
import { JournalUsageMeter, journalPaths, startUsageJournalFolder } from './usage-journal';
import { HELPER_THREAD_NICE, lowerHelperThreads } from './thread-priority';
import type { WebApp } from './web-app';
import { startWebApp } from './web-app';

/**
 * Watches the stack the way AWS bills it (the cost bench): every AWS client the handlers and the
 * pollers use, and every handler call as the Lambda invocation it would be on AWS.
 */
export interface StackObserver {
  instrument: ClientInstrument;
  /** Runs one invocation of the function deployed as `functionName` (infra/functions.ts's keys). */
  invocation<T>(functionName: string, run: () => Promise<T>): Promise<T>;
}

export interface StackOptions extends LocalConfig {
  /** Engine settings for the handlers (VIGIL_NEAR_WINDOW_S, ...); defaults to process.env. */
  env?: Record<string, string | undefined>;
  /**
   * Where usage events go: the journal in the data dir (the default: it survives kill -9), or, as on
   * AWS, the metering queue, folded by the metering function behind a poller with the deployed
   * batch size and window (the cost bench; the queue is in memory, so a kill loses its events).
   */
  metering?: 'journal' | 'queue';
  /**
   * How long usage is gathered before it is folded (ms): the deployed metering function's batching
   * window unless given (the cost bench's short form, which checks shapes, not figures, folds sooner).
   */
  usageFoldEveryMs?: number;
  observer?: StackObserver;
  /**
   * Whether creates served at once share their tickets' SendMessageBatch requests (default: yes).
   * The cost bench says no, to count requests as AWS would, where each create is an invocation of its own.
   */
  shareQueueRequests?: boolean;
  /**
   * How long the start-up sweep hands messages on before the stack serves, and each of its runs in
   * the background after (ms; the engine's SWEEP_RUN_BUDGET_MS, 40 s, unless given: tests give less).
   */
  startUpSweepBudgetMs?: number;
  /** Threads of the hosting process whose priority the stack leaves as it is (the benchmark's receiver). */
  keepThreadPriority?: readonly number[];
  /**
   * Told, once, why the store can go on no longer: LevelDB could not write (a full or failing disk)
   * or found its files damaged, or its thread ended. `npm start` stops and exits 1 (what the store
   * accepted is on disk, and delivered after a restart); unset, the stack logs it as an error.
   */
  onStoreFailure?: (reason: string) => void;
  /**
   * Aborted (Ctrl-C or SIGTERM before `npm start`'s banner), the start stops where it is: what it
   * has started is stopped, the data dir's lock given back, and it rejects with StartInterruptedError.
   */
  interrupt?: AbortSignal;
}

/** The start was interrupted (StackOptions.interrupt) before the stack was up; nothing it began runs on. */
export class StartInterruptedError extends Error {
  override readonly name = 'StartInterruptedError';
  constructor() {
    super('the start was interrupted before the stack was up');
  }
}

const throwIfInterrupted = (interrupt: AbortSignal | undefined): void => {
  if (interrupt?.aborted) throw new StartInterruptedError();
};

export interface LocalStack {
  url: string;
  tenantId: string;
  apiKey: string;
  /** The web app's next-auth secret; the authorizer accepts session tokens made with it. */
  sessionSecret: string;
  /** DynamoDB's local endpoint. */
  dynamoEndpoint: string;
  /** dynalite's worker thread: its own heap and its thread id, for the soak's measurements. */
  dynalite: Pick<DynaliteThread, 'tid' | 'memory' | 'writeHeapSnapshot'>;
  /** The web app's address, when it runs. */
  webUrl?: string;
  /** What start-up did to bring the data dir's table to the current indexes (one line), if anything. */
  tableUpgrade?: string;
  /** The fault layer, when the stack runs with `VIGIL_CHAOS` (the chaos suite). */
  faults?: FaultLayer;
  /** Tenant administration on this stack's store and API Gateway emulator (as the admin command has it). */
  tenantAdmin: TenantAdmin;
  dataDir: string;
  runtime: Runtime;
  /** Deletes expired items now (as DynamoDB TTL does on AWS; the stack does it every minute anyway); resolves with how many. */
  reapExpired(): Promise<number>;
  /** Folds the usage journal into the counters now (it is folded every 5 s, or per 100 events, anyway); resolves with the events folded. */
  foldUsage(): Promise<number>;
  /**
   * Stops it. `drainMs`: how long the API requests and the deliveries under way may take to finish
   * first (each then recorded, not cut off and sent again after a restart); by default 3 s for the
   * deliveries and none for the requests, as tests want.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

/**
 * A data dir's table keeps the shard counts it was written with (@vigil/aws table-layout.ts): a start
 * with others is refused. A table from before the record was written with one tenant shard, and
 * with the index shards it is started with (unknown: the local default was the only one used).
 */
const DATA_DIR_LAYOUT: LayoutGuard = {
  names: { tenantShards: 'VIGIL_TENANT_SHARDS', indexShards: 'VIGIL_INDEX_SHARDS' },
  asker: 'this start',
  advice: () => 'Start with the counts it was written with, or with another data dir (VIGIL_DATA_DIR).',
  unrecorded: (asked) => ({ indexShards: asked.indexShards, tenantShards: 1 }),
};

/**
 * The usage journal is folded into the counters every 5 s, or at once when 100 events are waiting:
 * the deployed metering function's batching window and batch size.
 */
const USAGE_FOLD_EVERY_MS = 5_000;
/** The deployed metering function's batch size (infra/functions.ts). */
const USAGE_FOLD_BATCH = 100;
const lambdaContext = { callbackWaitsForEmptyEventLoop: false } as Context;

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** The chaos suite only (opt-in, VIGIL_CHAOS): fault proxies in front of the services, for the handlers. */
const startFaults = async (chaos: string, services: LocalServices, dataDir: string): Promise<FaultLayer> => {
  const { parseChaosSettings, startFaultLayer } = await import('./fault-proxy');
  const { endpoints } = services;
  return startFaultLayer(
    parseChaosSettings(chaos),
    { dynamodb: endpoints.dynamo, sqs: endpoints.sqs, scheduler: endpoints.scheduler },
    { host: '127.0.0.1', reportFile: join(dataDir, 'chaos-faults.json') },
  );
};

/**
 * The handlers' settings: the local defaults under what the caller gave (a name given as undefined
 * is unset, so its default stands, as for a variable missing from the environment).
 */
const settingsOf = (options: StackOptions): Record<string, string | undefined> => ({
  ...LOCAL_ENGINE_DEFAULTS,
  ...Object.fromEntries(Object.entries(options.env ?? process.env).filter(([, value]) => value !== undefined)),
});

/** What the stack gives the handlers itself: where its services and queues are, its ports, the session secret. */
interface StackProvided {
  sessionSecret: string;
  endpoints: { dynamodb: string; sqs: string; scheduler: string; apigateway: string };
  queues: { delivery: string; prompt: string; jobs: string; metering?: string };
  reserved: Array<[string, number | undefined]>;
  stage: string;
}

/** The handlers' settings, by the names a Lambda reads from its environment (libs/aws config.ts). */
const handlerSettingsOf = (settings: Record<string, string | undefined>, provided: StackProvided) => ({
  ...settings,
  NEXTAUTH_SECRET: provided.sessionSecret,
  VIGIL_DYNAMODB_ENDPOINT: provided.endpoints.dynamodb,
  VIGIL_SQS_ENDPOINT: provided.endpoints.sqs,
  VIGIL_SCHEDULER_ENDPOINT: provided.endpoints.scheduler,
  VIGIL_DELIVERY_QUEUE_URL: provided.queues.delivery,
  VIGIL_PROMPT_QUEUE_URL: provided.queues.prompt,
  VIGIL_JOB_QUEUE_URL: provided.queues.jobs,
  // Metering goes through the journal (durable across kill -9), unless asked to use the queue.
  VIGIL_METERING_QUEUE_URL: provided.queues.metering,
  VIGIL_RESERVED_ENDPOINTS: provided.reserved.flatMap(([name, port]) => (port ? [`${name}=${port}`] : [])).join(','),
  // The console's first sign-in (POST /v1/session/tenant) binds new tenants to the emulator's usage plans.
  VIGIL_USAGE_PLANS: 'on',
  VIGIL_APIGATEWAY_ENDPOINT: provided.endpoints.apigateway,
  VIGIL_STAGE: provided.stage,
});

/**
 * The handlers' settings, read once by their own rules (readConfig) before anything starts, with
 * stand-ins for what the stack provides once its services run, and what the stack reads of them
 * itself (its table, schedule group, log level, ...): a missing or bad one (VIGIL_LOG_LEVEL=loud,
 * VIGIL_NEAR_WINDOW_S=abc) is refused, each named, before a service has started or the data dir
 * has been written, not by startRuntime once they have. The session secret is the caller's, if it
 * gave one (the stack makes one otherwise).
 */
const readStackSettings = (settings: Record<string, string | undefined>, options: StackOptions): StackSettings => {
  const standIn = 'http://127.0.0.1:1';
  const queue = (name: string) => `${standIn}/000000000000/${name}`;
  const config = readConfig(
    handlerSettingsOf(settings, {
      // '' is no secret of the caller's, as readConfig reads it.
      sessionSecret: settings.NEXTAUTH_SECRET ?? '',
      endpoints: { dynamodb: standIn, sqs: standIn, scheduler: standIn, apigateway: standIn },
      queues: {
        delivery: queue('delivery'),
        prompt: queue('prompt'),
        jobs: queue('jobs'),
        ...(options.metering === 'queue' && { metering: queue('metering') }),
      },
      reserved: [],
      stage: LOCAL_STAGE,
    }),
  );
  // A browser compares it with its page's origin character for character: with a path or a
  // trailing slash (http://localhost:5173/) it allows no page, and every call would be blocked.
  if (config.webOrigin !== undefined && new URL(config.webOrigin).origin !== config.webOrigin) {
    throw new ConfigError(
      `Invalid Vigil configuration: VIGIL_WEB_ORIGIN: must be an origin, scheme://host[:port] with no path or trailing slash (${new URL(config.webOrigin).origin}, not ${config.webOrigin})`,
    );
  }
  return stackSettingsOf(config);
};

/**
 * What a start has started so far, each with how it is stopped: a start that fails part-way stops
 * them, the last started first, so it leaves no service, port, thread, timer or client behind.
 */
class Started {
  private readonly stops: Array<{ what: string; stop: () => unknown }> = [];

  constructor(
    private readonly log: Logger,
    private readonly interrupt?: AbortSignal,
  ) {}

  /** Keeps how to stop what was just started; an interrupted start stops here (StartInterruptedError). */
  add(what: string, stop: () => unknown): void {
    this.stops.push({ what, stop });
    throwIfInterrupted(this.interrupt);
  }

  /** What was started is stopped from now on by `stop` alone (the whole stack's, in its own order). */
  handOver(what: string, stop: () => unknown): void {
    this.stops.length = 0;
    this.add(what, stop);
  }

  /** Stops everything started, in reverse order; a stop that fails does not keep the others from theirs. */
  async unwind(failure: unknown): Promise<void> {
    for (const { what, stop } of this.stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        // The start's own failure is what the caller is told; this one is logged.
        this.log.error('a failed start could not stop what it had started', {
          what,
          failure: String(failure),
          error: String(error),
        });
      }
    }
    this.stops.length = 0;
  }
}

/** A second stack started in a process where one runs (or starts): refused before anything starts. */
export class StackInProcessError extends Error {
  override readonly name = 'StackInProcessError';
}

/**
 * The data dir of the stack that runs (or starts) in this process. The handlers' runtime is the
 * process's (startRuntime, as a Lambda's module state is): a second stack would take it over, and
 * the first one's API would then serve the second's store (a create answered "Tenant ... does not
 * exist"), and stop serving at all once the second stopped. One at a time, then; another in a
 * process of its own (`npm start`).
 */
let stackInProcess: string | undefined;

export const startStack = async (options: StackOptions): Promise<LocalStack> => {
  if (stackInProcess !== undefined) {
    throw new StackInProcessError(
      `a local stack already runs in this process (data dir ${stackInProcess}): the handlers' runtime is the ` +
        `process's, so a second one would serve the first one's API from its own store. Stop it first, or start ` +
        `the second in a process of its own (npm start, with another VIGIL_DATA_DIR and port)`,
    );
  }
  stackInProcess = options.dataDir;
  try {
    const stack = await startOnDataDirLocked(options);
    const stop = stack.stop.bind(stack);
    stack.stop = async (stopOptions) => {
      try {
        await stop(stopOptions);
      } finally {
        stackInProcess = undefined;
      }
    };
    return stack;
  } catch (error) {
    stackInProcess = undefined;
    throw error;
  }
};

const startOnDataDirLocked = async (options: StackOptions): Promise<LocalStack> => {
  // Before anything starts: the settings (the stack's own and the handlers'), the port, then the data dir (one stack each).
  const settings = settingsOf(options);
  const own = readStackSettings(settings, options);
  const gatewayPort = await holdGatewayPort(options.host, options.port);
  try {
    await mkdir(options.dataDir, { recursive: true });
    const dataDirLock = await lockDataDir(options.dataDir);
    try {
      throwIfInterrupted(options.interrupt);
      return await startOnDataDir(options, { settings, own }, gatewayPort, dataDirLock);
    } catch (error) {
      await dataDirLock.release();
      throw error;
    }
  } catch (error) {
    // Let go unless the gateway took it (then the start's unwinding closed it).
    await gatewayPort.release();
    throw error;
  }
};

const startOnDataDir = async (
  options: StackOptions,
  { settings, own }: { settings: Record<string, string | undefined>; own: StackSettings },
  gatewayPort: HeldPort,
  dataDirLock: DataDirLock,
): Promise<LocalStack> => {
  // The runtime's logger does not exist yet: one of the same kind and level for the emulators.
  const startLog = createLogger(own.logLevel, { service: 'vigil', version: VIGIL_VERSION });
  const started = new Started(startLog, options.interrupt);
  try {
    return await startEach(options, { settings, own }, gatewayPort, dataDirLock, { started, startLog });
  } catch (error) {
    // Whatever failed, nothing this start began goes on running (the data dir's lock is startStack's).
    await started.unwind(error);
    throw error;
  }
};

const startEach = async (
  options: StackOptions,
  { settings, own }: { settings: Record<string, string | undefined>; own: StackSettings },
  gatewayPort: HeldPort,
  dataDirLock: DataDirLock,
  { started, startLog }: { started: Started; startLog: Logger },
): Promise<LocalStack> => {
  const { dataDir } = options;
  const usageFoldEveryMs = options.usageFoldEveryMs ?? USAGE_FOLD_EVERY_MS;
  const invocation: StackObserver['invocation'] = options.observer?.invocation ?? ((_name, run) => run());
  const meterByQueue = options.metering === 'queue';

  // The runtime's logger tells a store failure unless the caller takes it (set once the runtime exists).
  const storeFailure = { report: options.onStoreFailure };
  // The scheduler emulator fires the far-path timers that fell due while the stack was down as soon
  // as it has loaded them: their promotes wait for the handlers' runtime (before it, promote built
  // one from this process's environment, which failed, and the firing was retried a second later).
  let handlersUp!: (up: boolean) => void;
  const handlersReady = new Promise<boolean>((resolve) => {
    handlersUp = resolve;
  });
  const services = await startServices({
    dataDir,
    onStoreFailure: (reason) => storeFailure.report?.(reason),
    log: startLog,
    invoke: async (target) => {
      if (target.arn !== own.promoteArn) throw new Error(`no local function behind ${target.arn}`);
      if (!(await handlersReady)) throw new Error('the stack stopped before its handlers ran');
      await invocation('promote', () => promote(JSON.parse(target.input ?? '{}')));
    },
  });
  started.add('SQS and DynamoDB', () => services.stopStores());
  started.add('the emulators', () => services.stopEmulators());
  // Stopped first: a firing waiting for the handlers ends, so the emulators' stop does not wait for it.
  started.add('the timers waiting for the handlers', () => handlersUp(false));
  const { endpoints, stage } = services;
  const helperThreads = lowerHelperThreads(options.helperThreadNice ?? HELPER_THREAD_NICE, options.keepThreadPriority);
  started.add('the helper threads’ priority watch', () => helperThreads.stop());

  // Provision what serverless.ts deploys on AWS: the table, the queues, the schedule group.
  const { table } = own;
  const { delivery, prompt, jobs, metering, tableUpgrade, clients } = await provision(
    services,
    { table, scheduleGroup: own.scheduleGroup },
    { meteringQueue: meterByQueue },
  );
  started.add('the stack’s own clients', () => {
    for (const client of Object.values(clients)) client.destroy();
  });
  // Before anything reads the table: a start with other shard counts would not find its messages.
  await keepTableLayout(documentClient(clients.dynamo), table, own.layout, DATA_DIR_LAYOUT);
  // The pollers' receives and deletes are billed on AWS too (Lambda's event source mapping).
  options.observer?.instrument(clients.sqs);
  const sessionSecret = await sessionSecretOf(dataDir, own.sessionSecret);

  // Provisioning, the pollers (Lambda's event sources) and tenant admin reach the services
  // directly; the handlers through the fault proxies when the chaos suite runs.
  const faults = options.chaos === undefined ? undefined : await startFaults(options.chaos, services, dataDir);
  if (faults) started.add('the fault proxies', () => faults.stop());
  const handlerEndpoints = faults?.endpoints ?? {
    dynamodb: endpoints.dynamo,
    sqs: endpoints.sqs,
    scheduler: endpoints.scheduler,
  };
  // The stack's own ports: no webhook may target them, even with private targets allowed (a
  // webhook to dynalite with X-Amz-Target: DynamoDB_20120810.Scan would read every tenant's data).
  const reserved: Array<[string, number | undefined]> = [
    ['API (gateway)', gatewayPort.port],
    ['web app', options.web?.port],
    ...services.ports,
    // The chaos suite's fault proxies lead to the same services.
    ...(faults?.proxies ?? []).map((proxy): [string, number | undefined] => [
      `${proxy.service} fault proxy`,
      portOf(proxy.endpoint),
    ]),
  ];
  const handlerSettings = handlerSettingsOf(settings, {
    sessionSecret,
    endpoints: { ...handlerEndpoints, apigateway: endpoints.apigateway },
    queues: { delivery: delivery.url, prompt: prompt.url, jobs: jobs.url, ...(metering && { metering: metering.url }) },
    reserved,
    stage,
  });
  const meter = meterByQueue ? undefined : new JournalUsageMeter(journalPaths(dataDir).journal, () => rt.log);
  if (meter) started.add('the usage journal', () => meter.close());
  // Set before the runtime is built: a runtime that fails to build has taken the wiring's settings already.
  started.add('the runtime', () => resetRuntime());
  const rt = startRuntime({
    env: handlerSettings,
    ...(meter && { meter }),
    ...(options.observer && { instrument: options.observer.instrument }),
    ...(options.shareQueueRequests !== undefined && { shareQueueRequests: options.shareQueueRequests }),
  });

  storeFailure.report ??= (reason) => rt.log.error('the local store can go on no longer', { reason });
  handlersUp(true);

  await writeEndpointsFile(dataDir, services, table);
  const tenantAdmin = openTenantAdmin({
    region: LOCAL_REGION,
    table,
    dynamoEndpoint: endpoints.dynamo,
    usagePlans: { stage, endpoint: endpoints.apigateway },
  });
  started.add('tenant administration', () => tenantAdmin.close());
  const identity = await provisionDevTenant(tenantAdmin, dataDir, options.devApiKey);

  // Usage the last run journaled and did not fold (a kill -9) is folded before anything else.
  const usageFolder = await startUsageJournalFolder({
    dataDir,
    fold: (events) => rt.usage.fold(events),
    log: rt.log,
    everyMs: usageFoldEveryMs,
    batchEvents: USAGE_FOLD_BATCH,
  });
  started.add('the usage journal folder', () => usageFolder.stop());
  if (meter) meter.onJournaled = (count) => usageFolder.journaled(count);

  // A kill in the middle of a store write can leave an unfinished message out of dynalite's indexes.
  await repairPendingIndexes(clients.dynamo, table);
  // The queue did not survive the last stop: re-enqueue everything due within the near window
  // (again after a passing fault: start-retries.ts), one run's budget before the stack serves (a
  // data dir of a hundred thousand overdue messages does not hold the start for minutes), the rest in
  // further runs in the background, earliest first, so what is due soon still goes out on time.
  const startUpLook = {
    lookAheadS: rt.config.engine.nearWindowMs / 1000,
    ...(options.startUpSweepBudgetMs !== undefined && { budgetMs: options.startUpSweepBudgetMs }),
  };
  const startUp = await startUpSweep({
    runs: (read) => startUpSweepRuns(startUpLook, read),
    invocation,
    log: rt.log,
  });
  started.add('the start-up sweep', () => startUp.stop());

  const pollers = [
    // Deliver's two event sources, as deployed: the delivery queue's gathers a batch for up to the
    // gather window (the engine allows for it), the prompt queue's hands tickets over as they come.
    ...[
      { queue: delivery, batchWindowMs: rt.config.engine.gatherWindowMs },
      { queue: prompt, batchWindowMs: 0 },
    ].map(({ queue, batchWindowMs }) =>
      startSqsPoller({
        sqs: clients.sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        handler: (event) => invocation('deliver', () => deliver(event, lambdaContext)),
        log: rt.log,
        batchWindowMs,
      }),
    ),
    // Bulk jobs: one step per call, as the deployed event source (infra/functions.ts) hands them.
    startSqsPoller({
      sqs: clients.sqs,
      queueUrl: jobs.url,
      queueArn: jobs.arn,
      handler: (event) => invocation('bulkJobs', () => runBulkJob(event, lambdaContext)),
      log: rt.log,
      loops: 2,
      batchSize: 1,
    }),
    ...(metering
      ? [
          startSqsPoller({
            sqs: clients.sqs,
            queueUrl: metering.url,
            queueArn: metering.arn,
            handler: (event) => invocation('metering', () => foldUsageEvents(event, lambdaContext)),
            log: rt.log,
            loops: 1,
            batchSize: USAGE_FOLD_BATCH,
            batchWindowMs: usageFoldEveryMs,
          }),
        ]
      : []),
  ];
  started.add('the SQS pollers', () => Promise.all(pollers.map((poller) => poller.stop(0))));
  // The periodic runs under way, each ended between two pages when the stack stops, and waited for.
  const sweeping = new Set<Promise<void>>();
  const sweepStopping = new AbortController();
  const sweeper = setInterval(() => {
    // All its parts while the start-up sweep's runs go on too (a missed bucket, an idle bulk job, an
    // event stored behind their read would otherwise wait for them: minutes on a long backlog); what
    // it hands on, they leave alone.
    const startUpHandedOn = startUp.goingOn ? startUp.handedOn : undefined;
    const run = invocation('sweep', () => localSweep({ startUpHandedOn, signal: sweepStopping.signal })).then(
      () => {},
      (error: unknown) => rt.log.error('sweep failed', { error: String(error) }),
    );
    sweeping.add(run);
    void run.finally(() => sweeping.delete(run));
  }, options.sweepEveryMs);
  const stopSweeping = async () => {
    clearInterval(sweeper);
    sweepStopping.abort();
    await Promise.all(sweeping);
  };
  started.add('the sweep', stopSweeping);
  // DynamoDB's TTL deletes expired items on AWS; dynalite has no TTL, so the stack does it.
  const reaper = startExpiryReaper({
    dynamo: clients.dynamo,
    table,
    now: Date.now,
    everyMs: options.reapEveryMs ?? 60_000,
    log: rt.log,
  });
  started.add('the expiry reaper', () => reaper.stop());

  const gateway = await startGateway({
    port: gatewayPort.port,
    heldPort: gatewayPort,
    host: options.host,
    authorizer: (event) => invocation('authorizer', () => authorizer(event)),
    invocation,
    authCacheMs: options.authCacheMs,
    rateLimits: options.rateLimits,
    keysChangedFile: join(dataDir, KEYS_CHANGED_FILE),
    log: rt.log,
    ...(own.webOrigin && { webOrigin: own.webOrigin }),
  });
  started.add('the gateway', () => gateway.stop({ drainMs: 0 }));

  // A key revoked through the API stops working at once here (API Gateway: within its cache TTL).
  for (const store of [rt.tenants, tenantAdmin.store]) store.onRevocation(() => gateway.clearAuthCache());

  let web: WebApp | undefined;
  const stack: LocalStack = {
    url: gateway.url,
    tenantId: identity.tenantId,
    apiKey: identity.apiKey,
    sessionSecret,
    dynamoEndpoint: endpoints.dynamo,
    dynalite: services.dynalite,
    dataDir,
    runtime: rt,
    tenantAdmin,
    ...(faults && { faults }),
    ...(tableUpgrade && { tableUpgrade: describeUpgrade(tableUpgrade) }),
    foldUsage: () => usageFolder.foldNow(),
    reapExpired: () => reaper.reapNow(),
    async stop({ drainMs }: { drainMs?: number } = {}) {
      // Their last pages handed on while the queue and the store still run: nothing written after the stop.
      await stopSweeping();
      await startUp.stop();
      helperThreads.stop();
      await reaper.stop();
      await web?.stop();
      await rm(join(dataDir, ENDPOINTS_FILE), { force: true });
      await gateway.stop({ drainMs: drainMs ?? 0 });
      await Promise.all(pollers.map((poller) => poller.stop(drainMs)));
      await services.stopEmulators();
      await usageFolder.stop();
      meter?.close();
      tenantAdmin.close();
      resetRuntime();
      for (const client of Object.values(clients)) client.destroy();
      await faults?.stop();
      await services.stopStores();
      await dataDirLock.release();
    },
  };

  // From here a failed start stops the whole stack, in the order a stop takes.
  started.handOver('the stack', () => stack.stop());
  if (options.web) {
    web = await startWebApp({
      ...options.web,
      host: options.host,
      apiUrl: gateway.url,
      sessionSecret,
      onExit: (how) => rt.log.error('the web app stopped; the API and the engine go on', { how }),
      ...(options.interrupt && { interrupt: options.interrupt }),
    });
    stack.webUrl = web.url;
  }
  throwIfInterrupted(options.interrupt);
  return stack;
};
