/**
 * The local stack's services: the real-protocol stand-ins for what the handlers talk to on AWS
 * (dynalite for DynamoDB, fauxqs for SQS, the scheduler emulator for EventBridge Scheduler, the API
 * Gateway emulator for usage plans), each on a free port, with their state in the data dir.
 */
import type { Logger } from '@vigil/core';
import { join } from 'node:path';
import { usagePlanName } from '@vigil/aws';
import { PLANS } from '@vigil/core';
import type { ApiGatewayEmulator } from './api-gateway-emulator';
import { boundConnectionsInProcessTime } from './connection-deadlines';
import { startApiGatewayEmulator } from './api-gateway-emulator';
import type { DynaliteThread } from './dynalite-thread';
import { startDynaliteThread } from './dynalite-thread';
import type { SchedulerEmulator, SchedulerTarget } from './scheduler-emulator';
import { startSchedulerEmulator } from './scheduler-emulator';

/** The local stack's stage: its handlers', its usage plans' (`vigil-<plan>-local`) and its console's. */
export const LOCAL_STAGE = 'local';

export interface LocalServices {
  endpoints: { dynamo: string; sqs: string; scheduler: string; apigateway: string };
  /** The API Gateway stage the usage plans are named for. */
  stage: string;
  /** Each service's name and port (no webhook may target them). */
  ports: Array<[string, number]>;
  scheduler: SchedulerEmulator;
  apiGateway: ApiGatewayEmulator;
  /** dynalite's worker thread: its own heap and its thread id, for the soak's measurements. */
  dynalite: Pick<DynaliteThread, 'tid' | 'memory' | 'writeHeapSnapshot'>;
  /** Stops the emulators (the scheduler's firings in hand finish first): before the runtime goes. */
  stopEmulators(): Promise<void>;
  /** Stops SQS and DynamoDB: last, once nothing uses them. */
  stopStores(): Promise<void>;
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

export const startServices = async (options: {
  dataDir: string;
  /** What the scheduler emulator calls when a schedule fires. */
  invoke: (target: SchedulerTarget) => Promise<void>;
  /** Told why the store can go on no longer (see DynaliteThreadOptions). */
  onStoreFailure: (reason: string) => void;
  /** Where the emulators tell of their saved state (a corrupt file replaced, a save that failed). */
  log: Logger;
}): Promise<LocalServices> => {
  // Where a service listens and what state it found are debug lines: printed ahead of npm start's
  // banner, they told a person nothing the banner does not (VIGIL_LOG_LEVEL=debug shows them).
  const stateLog = ({ level, msg, ...fields }: Record<string, unknown>) => {
    const { log } = options;
    const write =
      level === 'error' ? log.error : level === 'warn' ? log.warn : level === 'debug' ? log.debug : log.info;
    write?.call(log, String(msg), fields);
  };
  // A service that fails to start stops those started before it (the last first), so none is left running.
  const started: Array<() => Promise<unknown>> = [];
  const begin = async <T extends { stop(): Promise<unknown> }>(start: () => Promise<T>): Promise<T> => {
    const service = await start();
    started.unshift(() => service.stop());
    return service;
  };
  try {
    return await startEach(options, stateLog, begin);
  } catch (error) {
    for (const stop of started) await stop().catch(() => undefined);
    throw error;
  }
};

const startEach = async (
  options: Parameters<typeof startServices>[0],
  stateLog: (entry: Record<string, unknown>) => void,
  begin: <T extends { stop(): Promise<unknown> }>(start: () => Promise<T>) => Promise<T>,
): Promise<LocalServices> => {
  const { dataDir, invoke } = options;
  const dynamo = await begin(() =>
    startDynaliteThread(join(dataDir, 'dynamodb'), { onFailure: options.onStoreFailure }),
  );
  // fauxqs is ESM-only; a dynamic import loads it from this CommonJS-compiled module too.
  const { startFauxqs } = await import('fauxqs');
  const sqsServer = await begin(() => startFauxqs({ port: 0, logger: false }));
  // Its idle connections closed after Fastify's 72 s keep-alive timeout of the process's own time,
  // not at once after a stall that long (httpServer: patches/fauxqs+1.9.2.patch).
  boundConnectionsInProcessTime(sqsServer.httpServer);
  const scheduler = await begin(() =>
    startSchedulerEmulator({ statePath: join(dataDir, 'schedules.json'), invoke, log: stateLog }),
  );

  // API Gateway's usage plans, one per plan as infra/api.ts deploys them: tenants made here get
  // their API Gateway key in their plan's usage plan, as on AWS.
  const stage = LOCAL_STAGE;
  const apiGateway = await begin(() =>
    startApiGatewayEmulator({
      statePath: join(dataDir, 'apigateway.json'),
      log: stateLog,
      usagePlans: Object.entries(PLANS).map(([name, plan]) => ({
        name: usagePlanName(name, stage),
        throttle: { rateLimit: plan.ratePerSecond, burstLimit: plan.burst },
        quota: { limit: plan.monthlyRequests, period: 'MONTH' as const },
      })),
    }),
  );

  const endpoints = {
    dynamo: dynamo.endpoint,
    sqs: `http://127.0.0.1:${sqsServer.port}`,
    scheduler: scheduler.endpoint,
    apigateway: apiGateway.endpoint,
  };
  return {
    endpoints,
    stage,
    ports: [
      ['DynamoDB (dynalite)', portOf(endpoints.dynamo)],
      ['SQS (fauxqs)', sqsServer.port],
      ['scheduler emulator', portOf(endpoints.scheduler)],
      ['API Gateway emulator', portOf(endpoints.apigateway)],
    ],
    scheduler,
    apiGateway,
    dynalite: dynamo,
    async stopEmulators() {
      await scheduler.stop();
      await apiGateway.stop();
    },
    async stopStores() {
      await sqsServer.stop();
      await dynamo.stop();
    },
  };
};
