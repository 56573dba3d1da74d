/**
 * The chaos suite's fault layer (`npm run chaos`): an HTTP proxy in front of one local service
 * (dynalite, fauxqs, the scheduler emulator) that passes requests through and, at set rates with
 * seeded randomness, answers instead with the service's own throttling error, a 5xx, a request
 * held past any sensible timeout and then dropped, or a connection reset. 5xx, holds and resets
 * happen either before the request reaches the service or after it was applied (the answer is
 * lost): the handlers' SDK clients, with their retries, see what they would see on AWS on a bad day.
 *
 * Opt-in only: the local stack starts these proxies when `VIGIL_CHAOS` is set (see config.ts) and
 * loads this module only then; without it the handlers talk to the services directly.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';

export const FAULT_KINDS = ['throttle', 'error5xx', 'timeout', 'reset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRates = Record<FaultKind, number>;

export const FAULT_SERVICES = ['dynamodb', 'sqs', 'scheduler'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

export interface ChaosSettings {
  seed: number;
  rates: FaultRates;
  /** How long a `timeout` fault holds the request before dropping the connection. */
  holdMs: number;
  /** The services that get a fault proxy. */
  services: FaultService[];
}

export const DEFAULT_CHAOS_RATES: FaultRates = { throttle: 0.03, error5xx: 0.02, timeout: 0.005, reset: 0.01 };
export const DEFAULT_HOLD_MS = 3_000;

const RATE_NAMES: Record<string, FaultKind> = {
  throttle: 'throttle',
  '5xx': 'error5xx',
  error5xx: 'error5xx',
  timeout: 'timeout',
  reset: 'reset',
};

export class ChaosSettingsError extends Error {
  override name = 'ChaosSettingsError';
}

/**
 * Reads `VIGIL_CHAOS`: `<seed>` alone (the default rates) or `<seed>:<name>=<value>,...` with
 * names `throttle`, `5xx`, `timeout`, `reset` (probabilities per request, 0 to 1), `hold` (ms) and
 * `services` (`dynamodb+sqs+scheduler`, any subset). Example: `42:throttle=0.05,5xx=0.02,hold=2000`.
 */
export const parseChaosSettings = (value: string): ChaosSettings => {
  const [seedText = '', spec = ''] = value.split(/:(.*)/s);
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(seed)) {
    throw new ChaosSettingsError(`VIGIL_CHAOS: the seed must be a non-negative integer, got "${seedText}"`);
  }
  const settings: ChaosSettings = {
    seed,
    rates: { ...DEFAULT_CHAOS_RATES },
    holdMs: DEFAULT_HOLD_MS,
    services: [...FAULT_SERVICES],
  };
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const [name = '', text = ''] = part.split('=').map((s) => s.trim());
    if (name === 'services') {
      const services = text.split('+').filter((s) => s !== '');
      const unknown = services.filter((s) => !(FAULT_SERVICES as readonly string[]).includes(s));
      if (unknown.length > 0 || services.length === 0) {
        throw new ChaosSettingsError(`VIGIL_CHAOS: services must be among ${FAULT_SERVICES.join('+')}, got "${text}"`);
      }
      settings.services = services as FaultService[];
      continue;
    }
    const number = Number(text);
    if (text === '' || !Number.isFinite(number)) {
      throw new ChaosSettingsError(`VIGIL_CHAOS: ${name} needs a number, got "${text}"`);
    }
    if (name === 'hold') {
      if (number < 0 || number > 600_000) throw new ChaosSettingsError('VIGIL_CHAOS: hold must be 0 to 600000 ms');
      settings.holdMs = number;
      continue;
    }
    const kind = RATE_NAMES[name];
    if (!kind) {
      throw new ChaosSettingsError(
        `VIGIL_CHAOS: unknown setting "${name}" (throttle, 5xx, timeout, reset, hold, services)`,
      );
    }
    if (number < 0 || number > 1) throw new ChaosSettingsError(`VIGIL_CHAOS: ${name} is a probability, 0 to 1`);
    settings.rates[kind] = number;
  }
  const total = FAULT_KINDS.reduce((sum, kind) => sum + settings.rates[kind], 0);
  if (total > 1) throw new ChaosSettingsError(`VIGIL_CHAOS: the fault rates add up to ${total}, more than 1`);
  return settings;
};

/** mulberry32: a small, fast, seeded PRNG in [0, 1); the same seed gives the same sequence. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export type FaultPhase = 'before' | 'after';
export type FaultDecision = { kind: 'pass' } | { kind: FaultKind; phase: FaultPhase };

/** Draws the fate of one request: pass, or which fault and whether the service sees the request first. */
export const decideFault = (rates: FaultRates, random: () => number): FaultDecision => {
  const roll = random();
  let edge = 0;
  for (const kind of FAULT_KINDS) {
    edge += rates[kind];
    if (roll < edge) {
      // The service never throttles after applying a request; the others can strike either side.
      const phase: FaultPhase = kind === 'throttle' || random() < 0.5 ? 'before' : 'after';
      return { kind, phase };
    }
  }
  return { kind: 'pass' };
};

/** The error each service's SDK client reads as throttling or a server error (and retries). */
const errorAnswer = (service: FaultService, kind: 'throttle' | 'error5xx') => {
  if (service === 'scheduler') {
    // REST-JSON: the error type is in a header.
    return kind === 'throttle'
      ? { status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException' }, body: { Message: 'Rate exceeded' } }
      : {
          status: 500,
          headers: { 'x-amzn-errortype': 'InternalServerException' },
          body: { Message: 'Injected fault' },
        };
  }
  const prefix = service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#' : 'com.amazonaws.sqs#';
  const type =
    kind === 'error5xx'
      ? service === 'dynamodb'
        ? 'InternalServerError'
        : 'InternalError'
      : service === 'dynamodb'
        ? 'ProvisionedThroughputExceededException'
        : 'RequestThrottled';
  return {
    status: kind === 'throttle' ? 400 : 500,
    headers: {
      'x-amzn-errortype': type,
      ...(service === 'sqs' && { 'x-amzn-query-error': `${type};${kind === 'throttle' ? 'Sender' : 'Receiver'}` }),
    },
    body: { __type: `${prefix}${type}`, message: kind === 'throttle' ? 'Rate exceeded (injected)' : 'Injected fault' },
  };
};

export type FaultCounts = Record<FaultKind | 'passed', number>;

export interface FaultProxy {
  service: FaultService;
  endpoint: string;
  /** What this proxy did so far, by fault kind. */
  counts: FaultCounts;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  service: FaultService;
  /** The service's real endpoint, e.g. http://127.0.0.1:4567. */
  target: string;
  rates: FaultRates;
  holdMs: number;
  random: () => number;
  host?: string;
}

export const startFaultProxy = async (options: FaultProxyOptions): Promise<FaultProxy> => {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const counts: FaultCounts = { passed: 0, throttle: 0, error5xx: 0, timeout: 0, reset: 0 };
  const held = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  const reset = (res: ServerResponse) => {
    const socket = res.socket;
    socket?.resetAndDestroy();
  };
  const hold = (res: ServerResponse) => {
    const timer = setTimeout(() => {
      held.delete(timer);
      reset(res);
    }, options.holdMs);
    held.add(timer);
  };
  const answerError = (res: ServerResponse, kind: 'throttle' | 'error5xx') => {
    const answer = errorAnswer(options.service, kind);
    const body = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...answer.headers,
      'content-type': options.service === 'scheduler' ? 'application/json' : 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const strike = (res: ServerResponse, kind: FaultKind) => {
    counts[kind] += 1;
    if (kind === 'throttle' || kind === 'error5xx') answerError(res, kind);
    else if (kind === 'timeout') hold(res);
    else reset(res);
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: object; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const decision = decideFault(options.rates, options.random);
      if (decision.kind !== 'pass' && decision.phase === 'before') return strike(res, decision.kind);
      forward(req, Buffer.concat(chunks)).then(
        (answer) => {
          if (decision.kind !== 'pass') return strike(res, decision.kind);
          counts.passed += 1;
          const headers = { ...(answer.headers as Record<string, string | string[]>) };
          delete headers['transfer-encoding'];
          delete headers.connection;
          headers['content-length'] = String(answer.body.length);
          res.writeHead(answer.status, headers);
          res.end(answer.body);
        },
        // The service itself is gone (the stack is stopping): the client sees a reset.
        () => reset(res),
      );
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    service: options.service,
    endpoint: `http://${host}:${port}`,
    counts,
    async stop() {
      for (const timer of held) clearTimeout(timer);
      held.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
};

export interface FaultLayer {
  /** The endpoints the handlers should use, a proxy where chaos applies, the service otherwise. */
  endpoints: Record<FaultService, string>;
  proxies: FaultProxy[];
  stop(): Promise<void>;
}

/**
 * One fault proxy per chosen service, each with its own seeded sequence (from the seed and the
 * service). With `reportFile`, the counts of what each proxy did are written there every second
 * (the chaos suite reads them, even from a stack it killed).
 */
export const startFaultLayer = async (
  settings: ChaosSettings,
  targets: Record<FaultService, string>,
  options: { host?: string; reportFile?: string } = {},
): Promise<FaultLayer> => {
  const { host, reportFile } = options;
  const endpoints = { ...targets };
  const proxies: FaultProxy[] = [];
  for (const [index, service] of FAULT_SERVICES.entries()) {
    if (!settings.services.includes(service)) continue;
    const proxy = await startFaultProxy({
      service,
      target: targets[service],
      rates: settings.rates,
      holdMs: settings.holdMs,
      random: seededRandom(settings.seed * 31 + index),
      host,
    });
    proxies.push(proxy);
    endpoints[service] = proxy.endpoint;
  }
  const report = () => {
    if (!reportFile) return;
    const counts = Object.fromEntries(proxies.map((proxy) => [proxy.service, proxy.counts]));
    writeFileSync(reportFile, `${JSON.stringify({ seed: settings.seed, counts })}\n`);
  };
  const reporter = reportFile ? setInterval(report, 1_000).unref() : undefined;
  return {
    endpoints,
    proxies,
    async stop() {
      clearInterval(reporter);
      report();
      await Promise.all(proxies.map((proxy) => proxy.stop()));
    },
  };
};
