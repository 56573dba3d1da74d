/**
 * The chaos suite's receivers: one local HTTP server whose every path says how to behave, so the
 * final state each message should reach is known from its URL: `/chaos/<behaviour>/<key>`; event
 * deliveries (callbacks, notifications) arrive at `/events/<kind>/<key>` and are answered 200.
 * Every request is recorded when its headers arrive (before the behaviour plays out), with the
 * Standard Webhooks and Vigil headers the suite checks. Answers depend on `vigil-attempt`, not on
 * how often a path was hit, so an attempt re-sent after a crash gets the same answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';

export type FinalStatus = 'delivered' | 'failed';

export interface Behaviour {
  /** What the message's attempts end in, given this receiver. */
  expect: FinalStatus;
  maxAttempts: number;
  /** The message's own request timeout. */
  timeoutMs: number;
  /** `Retry-After` this receiver asks for (seconds), when it does. */
  retryAfterS?: number;
  describe: string;
  play(attempt: number, req: IncomingMessage, res: ServerResponse, later: (ms: number, fn: () => void) => void): Answer;
}

/** What the receiver did with a request (for the suite's counts and its `delivered` figure). */
export type Answer = { status: number } | { reset: true } | { stalled: number };

const INVALID_UTF8 = Buffer.alloc(1024, 0xff);
const HUGE = Buffer.alloc(4 * 1024 * 1024, 'x');

const reply = (res: ServerResponse, status: number, body: string | Buffer = 'ok', headers: object = {}): Answer => {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
  return { status };
};
const reset = (res: ServerResponse): Answer => {
  const socket = res.socket;
  socket?.resetAndDestroy();
  return { reset: true };
};

const DEFINITIONS = {
  ok: {
    expect: 'delivered',
    maxAttempts: 3,
    timeoutMs: 5_000,
    describe: '200 at once',
    play: (_n, _q, res) => reply(res, 200),
  },
  slow: {
    expect: 'delivered',
    maxAttempts: 3,
    timeoutMs: 5_000,
    describe: '200 after 1.5 s',
    play: (_n, _q, res, later) => {
      later(1_500, () => reply(res, 200));
      return { status: 200 };
    },
  },
  flaky: {
    expect: 'delivered',
    maxAttempts: 5,
    timeoutMs: 5_000,
    describe: '500 on attempts 1-2, then 200',
    play: (n, _q, res) => reply(res, n < 3 ? 500 : 200),
  },
  'reset-once': {
    expect: 'delivered',
    maxAttempts: 4,
    timeoutMs: 5_000,
    describe: 'connection reset on attempt 1, then 200',
    play: (n, _q, res) => (n < 2 ? reset(res) : reply(res, 200)),
  },
  'reset-always': {
    expect: 'failed',
    maxAttempts: 2,
    timeoutMs: 5_000,
    describe: 'connection reset on every attempt',
    play: (_n, _q, res) => reset(res),
  },
  timeout: {
    expect: 'failed',
    maxAttempts: 2,
    timeoutMs: 1_000,
    // Long past the timeout. A message's deadline is the clock's: a stall of Vigil's process (a
    // loaded machine's late timers count) gives it no time back, only one read of what came during
    // the stall (stall-aware-deadline.ts), so an answer sent after the stall ended is a timeout. (A
    // stall once gave a request back up to its timeout again, and an answer at 2.5 s was read as in
    // time on a busy CI machine: delivered, where failed was asked.) 5 s keeps a loaded CI's margin:
    // only a stall of Vigil's process from before 1 s until past 5 s could read it as in time.
    describe: 'answers after 5 s, long past the message timeout of 1 s',
    play: (_n, _q, res, later) => {
      later(5_000, () => reply(res, 200));
      return { status: 0 };
    },
  },
  redirect: {
    expect: 'failed',
    maxAttempts: 2,
    timeoutMs: 5_000,
    describe: '302 to another path (never followed)',
    play: (_n, _q, res) => reply(res, 302, 'moved', { location: '/chaos/ok/redirected' }),
  },
  gone: {
    expect: 'failed',
    maxAttempts: 5,
    timeoutMs: 5_000,
    describe: '410 Gone (no retry)',
    play: (_n, _q, res) => reply(res, 410),
  },
  ratelimited: {
    expect: 'delivered',
    maxAttempts: 4,
    timeoutMs: 5_000,
    retryAfterS: 2,
    describe: '429 with Retry-After: 2 on attempt 1, then 200',
    play: (n, _q, res) => (n < 2 ? reply(res, 429, 'slow down', { 'retry-after': '2' }) : reply(res, 200)),
  },
  huge: {
    expect: 'delivered',
    maxAttempts: 3,
    timeoutMs: 10_000,
    describe: '200 with a 4 MiB body',
    play: (_n, _q, res) => reply(res, 200, HUGE),
  },
  badutf8: {
    expect: 'delivered',
    maxAttempts: 4,
    timeoutMs: 5_000,
    describe: '503 with 1 KiB of invalid UTF-8 on attempt 1, then 200 with the same body',
    play: (n, _q, res) => reply(res, n < 2 ? 503 : 200, INVALID_UTF8),
  },
  stall: {
    expect: 'delivered',
    maxAttempts: 3,
    timeoutMs: 1_000,
    describe: '200 status line and half a body, never finished (the 2xx counts)',
    play: (_n, _q, res, later) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      res.write('x'.repeat(500));
      later(5_000, () => res.destroy());
      return { stalled: 200 };
    },
  },
} satisfies Record<string, Behaviour>;

export type BehaviourName = keyof typeof DEFINITIONS;
export const BEHAVIOURS: Record<BehaviourName, Behaviour> = DEFINITIONS;
export const BEHAVIOUR_NAMES = Object.keys(BEHAVIOURS) as BehaviourName[];

export interface Receipt {
  behaviour: string;
  key: string;
  webhookId: string;
  /** `vigil-attempt`. */
  attempt: number;
  /** `vigil-scheduled-at`, epoch ms. */
  scheduledAt: number;
  /** Epoch ms when the request's headers arrived. */
  arrivedAt: number;
  /** The status line the receiver sent (0: none, the connection was reset or never answered in time). */
  status: number;
  /** Epoch ms when the exchange ended: the answer sent in full, or the connection closed before. */
  endedAt?: number;
}

/** An event delivery that arrived (a callback of one message, or a notification of the tenant's). */
export interface EventReceipt {
  /** `callback` (at `/events/callback/<key>`) or `notification` (at `/events/notification/<name>`). */
  kind: 'callback' | 'notification';
  /** The path's last part: the message's key for a callback. */
  key: string;
  /** The event delivery's own id, the same on each of its attempts. */
  webhookId: string;
  attempt: number;
  arrivedAt: number;
  /** The envelope's `type`, `data.message.id` and `data.round` (absent when the body said otherwise). */
  type: string;
  messageId?: string;
  round?: number;
  /** The key in the message's own URL (`data.message.url`'s last part). */
  messageKey?: string;
}

export interface ChaosReceiver {
  url: string;
  receipts: Receipt[];
  events: EventReceipt[];
  urlFor(behaviour: BehaviourName, key: string): string;
  /** Where event deliveries of a kind go (answered 200 at once). */
  eventUrlFor(kind: EventReceipt['kind'], key: string): string;
  stop(): Promise<void>;
}

/** Records an event delivery once its body has arrived, and answers it 200. */
const receiveEvent = (req: IncomingMessage, res: ServerResponse, events: EventReceipt[], arrivedAt: number) => {
  const [, , kind = '', key = ''] = (req.url ?? '').split('/');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let envelope: { type?: unknown; data?: { message?: { id?: unknown; url?: unknown }; round?: unknown } } = {};
    try {
      envelope = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // Recorded with an empty type: the check names it.
    }
    events.push({
      kind: kind === 'callback' ? 'callback' : 'notification',
      key: decodeURIComponent(key),
      webhookId: String(req.headers['webhook-id'] ?? ''),
      attempt: Number(req.headers['vigil-attempt'] ?? 0),
      arrivedAt,
      type: String(envelope.type ?? ''),
      ...(typeof envelope.data?.message?.id === 'string' && { messageId: envelope.data.message.id }),
      ...(typeof envelope.data?.round === 'number' && { round: envelope.data.round }),
      ...(typeof envelope.data?.message?.url === 'string' && {
        messageKey: decodeURIComponent(envelope.data.message.url.split('/').pop() ?? ''),
      }),
    });
    reply(res, 200);
  });
};

export const startChaosReceiver = async (): Promise<ChaosReceiver> => {
  const receipts: Receipt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const events: EventReceipt[] = [];
  const server = createServer((req, res) => {
    const arrivedAt = Date.now();
    if (req.url?.startsWith('/events/')) return receiveEvent(req, res, events, arrivedAt);
    const [, , name = '', key = ''] = (req.url ?? '').split('/');
    const behaviour = (BEHAVIOURS as Record<string, Behaviour>)[name];
    const attempt = Number(req.headers['vigil-attempt'] ?? 0);
    const receipt: Receipt = {
      behaviour: name,
      key: decodeURIComponent(key),
      webhookId: String(req.headers['webhook-id'] ?? ''),
      attempt,
      scheduledAt: Date.parse(String(req.headers['vigil-scheduled-at'] ?? '')),
      arrivedAt,
      status: 0,
    };
    receipts.push(receipt);
    res.once('close', () => (receipt.endedAt = Date.now()));
    req.resume();
    req.on('end', () => {
      if (!behaviour) return void reply(res, 404, 'no such behaviour');
      const answer = behaviour.play(attempt, req, res, later);
      receipt.status = 'status' in answer ? answer.status : 'stalled' in answer ? answer.stalled : 0;
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    receipts,
    events,
    urlFor: (behaviour, key) => `${url}/chaos/${behaviour}/${encodeURIComponent(key)}`,
    eventUrlFor: (kind, key) => `${url}/events/${kind}/${encodeURIComponent(key)}`,
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
