/**
 * What every function shares, built once per process (a Lambda container, or the local stack):
 * the configuration, the logger and the DynamoDB clients. Each capability's wiring
 * (wiring/tenancy.ts, wiring/provisioning.ts, wiring.ts for messages and delivery) adds its own
 * clients as a `part` on top, so a function's bundle carries only the clients it uses.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@vigil/core';
import { VIGIL_VERSION } from '@vigil/core';
import type { Environment, VigilConfig } from '../config';
import { documentClient } from '../dynamo-document-client';
import { readConfig } from '../config';
import { createLogger } from '../logger';
import { StallAwareRequestHandler } from '../stall-aware-request-handler';

/** Store calls by command name, counted by the DynamoDB client itself (for the benchmark). */
export type StoreCallCounts = Map<string, number>;

/** What the wiring hands a client instrument: any SDK v3 client (its middleware stack). */
export interface InstrumentableClient {
  middlewareStack: { add(middleware: never, options: never): void };
}

/**
 * Called once with every AWS SDK client the wiring builds (DynamoDB, SQS, Scheduler), before its
 * first call: the cost bench adds a middleware that meters each call. Nothing on AWS sets one.
 */
export type ClientInstrument = (client: InstrumentableClient) => void;

export interface Base {
  config: VigilConfig;
  /** The settings the configuration was read from (the process environment, or the local stack's arguments). */
  env: Environment;
  log: Logger;
  /** SDK client options for a service: its local endpoint when the configuration names one. */
  clientOptions(endpoint: string | undefined): {
    region: string;
    maxAttempts: number;
    endpoint?: string;
    /** Local endpoints only: requests shaped as signed, not signed (localSigner). */
    signer?: ReturnType<typeof localSigner>;
    /** The SDK's handler with its request timeout kept by a deadline that knows a stall of the process. */
    requestHandler: StallAwareRequestHandler;
  };
  /** The store's document client (calls counted in storeCalls). */
  db: DynamoDBDocumentClient;
  /** The metering counters' document client: its calls are counted apart, in meteringCalls. */
  meteringDb: DynamoDBDocumentClient;
  /** Tenants', keys' and sessions' document client: its calls are counted apart, in tenancyCalls. */
  tenancyDb: DynamoDBDocumentClient;
  storeCalls: StoreCallCounts;
  meteringCalls: StoreCallCounts;
  tenancyCalls: StoreCallCounts;
  /** Runs `close` when the process-wide wiring is reset (the local stack stopping). */
  onClose(close: () => void): void;
  /** Hands a newly built client to the host's instrument, if it gave one (see ClientInstrument). */
  instrument(client: InstrumentableClient): void;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** `20261203T174500Z`: SigV4's date. */
const amzDate = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * The signer of every client whose endpoint is a local service (dynalite, fauxqs, the emulators):
 * none of them checks a SigV4 signature, and signing (HMACs and a SHA-256 of each body) was ~12 %
 * of an SDK call's time on the stack's main thread (0.38 → 0.33 ms per 1 KB put or get, measured
 * 2026-12-03), the thread that sends every webhook at its instant.
 * A request still carries what the services read: `x-amz-date` and an `Authorization` of SigV4's
 * shape (dynalite refuses a request without one; fauxqs takes the region from its scope). The SDK
 * hands a custom signer the date only, so the region is the configuration's.
 */
const localSigner = (region: string) => ({
  sign: async <Request extends { headers: Record<string, string> }>(
    request: Request,
    options?: { signingDate?: Date },
  ) => {
    const date = amzDate(options?.signingDate ?? new Date());
    request.headers['x-amz-date'] = date;
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/${region}/local/aws4_request, SignedHeaders=host;x-amz-date, Signature=local`;
    return request;
  },
});

/** What a client of a local service (dynalite, fauxqs, the emulators) is built with: local credentials, no signing. */
export const localServiceClientOptions = (region: string, endpoint: string) => ({
  region,
  endpoint,
  credentials: localCredentials,
  signer: localSigner(region),
});

/** Any SDK v3 client, as far as its middleware stack goes. */
interface SdkClient {
  middlewareStack: { remove(name: string): boolean };
}

/**
 * Takes the SDK's logger middleware out of a client. With no logger configured (the SDK's no-op
 * logger) it still copies each call's input and output through the operation's schema, masking
 * sensitive members, for a log line nobody writes (`schemaLogFilter`: 1.5 % of the local stack's
 * main thread under the soak's load). Vigil logs what it needs itself.
 */
export const withoutSdkLogging = <Client extends SdkClient>(client: Client): Client => {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
};

const createBase = (env: Environment, closers: Array<() => void>, instrument: ClientInstrument): Base => {
  const config = readConfig(env);
  const { endpoints, region } = config;
  // Every call is bounded: a store or queue that hangs fails the call (and the SDK retries it)
  // instead of holding a worker forever. The request timeout is kept by a deadline that knows a
  // stall of the process (stall-aware-request-handler.ts): after a SIGSTOP or a paused VM, the
  // SDK's own timer called a call answered during the stall a timeout, and the SDK sent it again.
  const timeouts = { connectionTimeout: 2_000, requestTimeout: 10_000 };
  const bounded = { maxAttempts: 3 };
  // A local service is on this machine: connecting takes no time, and a request that waits for a
  // connection waits for one of the client's 50 sockets, a wait that counts against
  // connectionTimeout. A burst of a thousand takes on a busy machine failed unsent after 2 s that
  // way, each ticket then left a minute for the sweep: locally only requestTimeout bounds a call
  // (and, being stall-aware, a wait for a socket across a stall is not cut by a plain timer either).
  const clientOptions = (endpoint: string | undefined) =>
    endpoint
      ? {
          ...localServiceClientOptions(region, endpoint),
          ...bounded,
          requestHandler: new StallAwareRequestHandler({ ...timeouts, connectionTimeout: 0 }),
        }
      : { region, ...bounded, requestHandler: new StallAwareRequestHandler(timeouts) };
  /** A DynamoDB client whose calls are counted by command name (the benchmark reads the counts). */
  const countedClient = (counts: StoreCallCounts) => {
    const client = withoutSdkLogging(new DynamoDBClient(clientOptions(endpoints.dynamodb)));
    client.middlewareStack.add(
      (next, context) => (args) => {
        const name = context.commandName ?? 'unknown';
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'vigilStoreCallCounter' },
    );
    instrument(client);
    closers.push(() => client.destroy());
    return documentClient(client);
  };
  const storeCalls: StoreCallCounts = new Map();
  const meteringCalls: StoreCallCounts = new Map();
  const tenancyCalls: StoreCallCounts = new Map();
  return {
    config,
    env,
    log: createLogger(config.logLevel, { service: 'vigil', version: VIGIL_VERSION }),
    clientOptions,
    db: countedClient(storeCalls),
    // Metering has a client of its own so that its writes are counted apart from the delivery path's.
    meteringDb: countedClient(meteringCalls),
    // And tenancy's, whose lookups (a key, a tenant) are cached for a minute, not made per message.
    tenancyDb: countedClient(tenancyCalls),
    storeCalls,
    meteringCalls,
    tenancyCalls,
    onClose: (close) => closers.push(close),
    instrument,
  };
};

let current: { base: Base; parts: Map<string, unknown>; close: () => void } | undefined;
/** Settings given by the process's host instead of its environment (configureWiring). */
let given: Environment | undefined;
/** The host's client instrument (configureWiring); none on AWS. */
let givenInstrument: ClientInstrument = () => {};

const processWiring = () => {
  if (!current) {
    const closers: Array<() => void> = [];
    current = {
      base: createBase(given ?? process.env, closers, givenInstrument),
      parts: new Map(),
      close: () => closers.forEach((c) => c()),
    };
  }
  return current;
};

/**
 * Reads the configuration from `env` instead of the process environment from now on (the local
 * stack passes its settings as an argument; a Lambda reads its environment), and hands every client
 * built from then on to `instrument` (the cost bench). Forgets the wiring built so far.
 */
export const configureWiring = (env: Environment | undefined, instrument: ClientInstrument = () => {}): void => {
  resetWiring();
  given = env;
  givenInstrument = instrument;
};

/** The process-wide base, built from its settings on first use (a Lambda cold start). */
export const base = (): Base => processWiring().base;

/** One part of the process-wide wiring (built on first use, shared after). */
export const part = <T>(name: string, build: (base: Base) => T): T => {
  const { parts, base: b } = processWiring();
  if (!parts.has(name)) parts.set(name, build(b));
  return parts.get(name) as T;
};

/** Forgets the process-wide wiring, closing its clients (wiring.ts's resetRuntime). */
export const resetWiring = (): void => {
  const was = current;
  current = undefined;
  was?.close();
};
