/**
 * The engine's seams, one story each: the route is decided once and dispatch follows it; every
 * ticket's delay is worked out in one place and the use cases never cut the queue's batches; queue
 * records are parsed by one rule that reports bad ones instead of throwing; a delivery goes to the
 * adapter its target type names.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type {
  DeliveryQueue,
  DeliveryTicket,
  Logger,
  Message,
  MessageIn,
  OutboundRequest,
  PendingRef,
  SendResult,
} from '../src';
import {
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  DeliveryTicketSchema,
  DeliveryWorker,
  deliveryTargetFor,
  dispatchMessages,
  FixedClock,
  MalformedRecordError,
  MessageIn as MessageInSchema,
  failedRecordLogger,
  parseRecords,
  placeMessage,
  PROMOTE_PAGES_IN_FLIGHT,
  promoteBucket,
  routeFor,
  routeOf,
  scheduleMessage,
  settleEach,
  sweepPending,
  targetTypeOf,
  TICKET_PAGE,
} from '../src';
import { MemoryStore, MemoryTimer, ScriptedSender, silentLog } from './memory-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const s = DEFAULT_ENGINE_SETTINGS;

/** A queue that keeps each call's list apart, to see how the use cases hand tickets over. */
class CallRecordingQueue implements DeliveryQueue {
  readonly calls: Array<Array<{ ticket: DeliveryTicket; delaySeconds: number }>> = [];
  async enqueue(entries: ReadonlyArray<{ ticket: DeliveryTicket; delaySeconds: number }>) {
    this.calls.push([...entries]);
  }
  get sent() {
    return this.calls.flat();
  }
}

const setup = () => {
  const clock = new FixedClock(T0);
  const store = new MemoryStore(() => clock.now());
  const queue = new CallRecordingQueue();
  const timer = new MemoryTimer();
  const deps = { store, queue, timer, clock, settings: s, log: silentLog };
  return { clock, store, queue, timer, deps };
};

/** The i-th member of a bucket, still waiting, due two minutes after T0. */
const waitingMember = (i: number): PendingRef => ({
  tenantId: TENANT,
  messageId: `msg_${i}`,
  version: 0,
  status: 'scheduled',
  dueAt: T0 + 120_000,
});

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', ...over });

const recordingLog = () => {
  const lines: Array<{ level: 'warn' | 'error'; message: string; fields?: Record<string, unknown> }> = [];
  const log: Logger = {
    info: () => {},
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
  return { log, lines };
};

describe('one routing decision, carried through to dispatch', () => {
  it('records the route decided at placement on the message, and reads the same route back', () => {
    const message = { dueAt: T0 + 3 * 3_600_000 } as Message;
    const far = placeMessage(message, T0, s, 'fresh');
    expect(routeOf(far)).toEqual(routeFor(far.dueAt, T0, s));
    expect(routeOf(far)).toEqual({ path: 'far', bucketAt: Date.parse('2026-11-23T12:58:00.000Z') });
    const near = placeMessage({ ...message, dueAt: T0 + 5_000 }, T0, s, 'fresh');
    expect(routeOf(near)).toEqual({ path: 'near' });
  });

  it('dispatches by the recorded route, not by deciding again when the write finished late', async () => {
    // Prepare: placed far; by the time it is dispatched it would count as near
    const { deps, queue, timer, clock } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: (s.nearWindowMs + 60_000) / 1000 }));
    expect(message.status).toBe('scheduled');
    queue.calls.length = 0;
    timer.buckets.clear();
    clock.advance(120_000);
    // Act
    await dispatchMessages(deps, [message]);
    // Assess: it goes to its bucket's timer, as decided, and not onto the queue
    expect([...timer.buckets]).toEqual([message.bucketAt]);
    expect(queue.sent).toEqual([]);
  });
});

describe('the queue delay is worked out once, at enqueue, and only the queue adapter batches', () => {
  it('hands a whole bucket to the queue in one list, not in tens', async () => {
    const { deps, queue, timer, clock } = setup();
    for (let i = 0; i < 25; i += 1) {
      await scheduleMessage(deps, TENANT, input({ sendAt: new Date(T0 + 3_600_000 + i * 1_000).toISOString() }));
    }
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: 25 });
    expect(queue.calls.map((call) => call.length)).toEqual([25]);
    // Each delay surfaces its ticket the arm lead before it is due, worked out from the clock at enqueue.
    for (const { ticket, delaySeconds } of queue.sent) {
      expect(delaySeconds).toBe(Math.floor((ticket.dueAt - bucketAt! - s.armLeadMs - s.gatherWindowMs) / 1000));
    }
  });

  it('keeps memory bounded for a bucket of any size: pages of the use case, never the queue batch of 10', async () => {
    const { deps, queue, clock } = setup();
    const members = TICKET_PAGE * 2 + 7;
    const refs = Array.from({ length: members }, (_, i) => waitingMember(i));
    deps.store.bucketMembers = async function* () {
      yield* refs;
    };
    expect(await promoteBucket(deps, T0)).toEqual({ promoted: members });
    expect(queue.calls.map((call) => call.length)).toEqual([TICKET_PAGE, TICKET_PAGE, 7]);
    expect(TICKET_PAGE).not.toBe(10);
    expect(clock.now()).toBe(T0);
  });

  it(`hands a big bucket to the queue ${PROMOTE_PAGES_IN_FLIGHT} pages at a time, never more, each ticket once`, async () => {
    const { deps, clock } = setup();
    const members = TICKET_PAGE * 20 + 3;
    deps.store.bucketMembers = async function* () {
      for (let i = 0; i < members; i += 1) yield waitingMember(i);
    };
    // Each page stays on its way until the test lets it arrive, oldest first.
    const waiting: Array<() => void> = [];
    const sent: string[] = [];
    let mostAtOnce = 0;
    const queue: DeliveryQueue = {
      enqueue: (entries) =>
        new Promise<void>((arrived) => {
          waiting.push(() => {
            sent.push(...entries.map((e) => e.ticket.messageId));
            arrived();
          });
          mostAtOnce = Math.max(mostAtOnce, waiting.length);
        }),
    };
    const promoting = promoteBucket({ ...deps, queue }, T0);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    let done = false;
    void promoting.then(() => (done = true));
    while (!done) {
      await settle();
      waiting.shift()?.();
    }

    expect(await promoting).toEqual({ promoted: members });
    expect(mostAtOnce).toBe(PROMOTE_PAGES_IN_FLIGHT);
    expect(new Set(sent).size).toBe(members);
    expect(sent).toHaveLength(members);
    expect(clock.now()).toBe(T0);
  });

  it('fails the promote when the queue refuses a page, after the pages on their way settle, reading no further', async () => {
    const { deps } = setup();
    let read = 0;
    deps.store.bucketMembers = async function* () {
      for (let i = 0; i < TICKET_PAGE * 50; i += 1) {
        read += 1;
        yield waitingMember(i);
      }
    };
    let calls = 0;
    let settled = 0;
    const queue: DeliveryQueue = {
      enqueue: async () => {
        calls += 1;
        if (calls === 3) throw new Error('SQS refused 100 delivery tickets');
        await new Promise((resolve) => setTimeout(resolve, 5));
        settled += 1;
      },
    };

    await expect(promoteBucket({ ...deps, queue }, T0)).rejects.toThrow('SQS refused');
    expect(settled).toBe(calls - 1);
    expect(read).toBeLessThanOrEqual(TICKET_PAGE * (PROMOTE_PAGES_IN_FLIGHT + 2));
  });

  it('sweeps every overdue message onto the queue in one list with its delay', async () => {
    const { deps, queue, clock } = setup();
    for (let i = 0; i < 12; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.calls.length = 0; // every enqueue "was lost"
    clock.set(T0 + 5_000 + 61_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 12, storedEvents: 0 });
    expect(queue.calls.map((call) => call.length)).toEqual([12]);
    expect(queue.sent.every(({ delaySeconds }) => delaySeconds === 0)).toBe(true);
  });

  it('puts back a ticket that surfaced too early with the delay worked out the same way', async () => {
    const { deps, queue } = setup();
    const worker = new DeliveryWorker({
      ...deps,
      tenants: { forDelivery: async () => ({ signingSecrets: [SECRET], plan: 'free' }) },
      deliveryTargets: { http: new ScriptedSender([{ statusCode: 200 }], () => T0) },
      backoff: DEFAULT_BACKOFF,
      random: () => 0.5,
    });
    await scheduleMessage(deps, TENANT, input({ delay: 120 }));
    const [first] = queue.sent;
    expect(await worker.deliver(first!.ticket)).toBe('requeued');
    expect(queue.sent[1]).toEqual(first);
  });
});

describe('queue records: one parse, bad ones reported, never thrown', () => {
  const ticket = { tenantId: TENANT, messageId: 'msg_1', version: 0, dueAt: T0 };
  const records = [
    { messageId: 'sqs-1', body: JSON.stringify(ticket) },
    { messageId: 'sqs-2', body: '{"tenantId": "tnt_a", "secret' },
    { messageId: 'sqs-3', body: JSON.stringify({ ...ticket, version: -1, body: 'do not log me' }) },
  ];

  it('parses the good records and names what is wrong with the bad ones, in record order', () => {
    const { log, lines } = recordingLog();
    const parsed = parseRecords(DeliveryTicketSchema, records, log, 'delivery ticket');
    expect(parsed[0]).toEqual({ ok: true, data: ticket });
    expect(parsed[1]).toMatchObject({ ok: false, failure: { recordId: 'sqs-2', problem: 'the body is not JSON' } });
    expect(parsed[2]).toMatchObject({ ok: false, failure: { recordId: 'sqs-3' } });
    expect(parsed[2]!.ok === false && parsed[2]!.failure.problem).toMatch(/^version: /);
    // Logged by queue id and problem, never with the body.
    expect(lines.map((l) => [l.message, l.fields?.queueMessageId])).toEqual([
      ['malformed delivery ticket', 'sqs-2'],
      ['malformed delivery ticket', 'sqs-3'],
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/do not log me|secret/);
  });

  it('reads a ticket with the lateness reason the sweep gave it, one sent before there were any, and drops a reason it does not know', () => {
    const bodies = [
      { ...ticket, latenessReason: 'recovered' },
      { ...ticket, latenessReason: 'timer-missed' },
      ticket,
      { ...ticket, latenessReason: 'a-reason-from-a-newer-sweep' },
    ];
    const parsed = parseRecords(
      DeliveryTicketSchema,
      bodies.map((body, i) => ({ messageId: `sqs-${i}`, body: JSON.stringify(body) })),
      silentLog,
      'delivery ticket',
    );
    expect(parsed).toEqual([
      { ok: true, data: { ...ticket, latenessReason: 'recovered' } },
      { ok: true, data: { ...ticket, latenessReason: 'timer-missed' } },
      { ok: true, data: ticket },
      { ok: true, data: ticket },
    ]);
  });

  it('settles each record alone: the good ones handled, the bad ones failures without being handled', async () => {
    const handled: string[] = [];
    const parsed = parseRecords(
      z.object({ id: z.string() }),
      [
        { messageId: 'a', body: '{"id":"one"}' },
        { messageId: 'b', body: '[]' },
        { messageId: 'c', body: '{"id":"boom"}' },
      ],
      silentLog,
      'event',
    );
    const results = await settleEach(parsed, async ({ id }) => {
      if (id === 'boom') throw new Error('handler failed');
      handled.push(id);
    });
    expect(handled).toEqual(['one']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(results[1]).toMatchObject({ reason: expect.any(MalformedRecordError) });
    expect(results[2]).toMatchObject({ reason: new Error('handler failed') });
  });

  it('logs a failed record as one line with its queue id and the error, never its body; a malformed one only once', () => {
    const { log, lines } = recordingLog();
    const logFailure = failedRecordLogger(() => log, 'delivery ticket');
    logFailure(new Error('TimeoutError: no connection'), { messageId: 'sqs-1', body: 'do not log me' });
    logFailure(new MalformedRecordError('sqs-2', 'the body is not JSON'), { messageId: 'sqs-2', body: '{' });
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'delivery ticket failed; the queue hands it back',
        fields: { queueMessageId: 'sqs-1', error: 'Error: TimeoutError: no connection' },
      },
    ]);
  });
});

describe('delivery targets: the worker asks the registry for the adapter of the target type', () => {
  it('knows http and https as the http type, and nothing else', () => {
    expect(targetTypeOf('https://example.com/x')).toBe('http');
    expect(targetTypeOf('http://127.0.0.1:8080/')).toBe('http');
    expect(targetTypeOf('ftp://example.com/x')).toBeUndefined();
    expect(targetTypeOf('not a url')).toBeUndefined();
    expect(targetTypeOf('constructor:x')).toBeUndefined();
    const http = { send: async (): Promise<SendResult> => ({ statusCode: 200 }) };
    expect(deliveryTargetFor({ http }, 'https://example.com/')).toBe(http);
    expect(deliveryTargetFor({ http }, 'mailto:a@example.com')).toBeUndefined();
  });

  const deliverVia = async (url: string) => {
    const { deps, queue, clock, store } = setup();
    const requests: OutboundRequest[] = [];
    const http = {
      send: async (request: OutboundRequest): Promise<SendResult> => {
        requests.push(request);
        return { statusCode: 204 };
      },
    };
    const worker = new DeliveryWorker({
      ...deps,
      tenants: { forDelivery: async () => ({ signingSecrets: [SECRET], plan: 'free' }) },
      deliveryTargets: { http },
      backoff: DEFAULT_BACKOFF,
      random: () => 0.5,
    });
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 1 }));
    store.messages.get(message.id)!.url = url; // a stored URL no schema would let in today
    clock.set(message.dueAt);
    const outcome = await worker.deliver(queue.sent[0]!.ticket);
    return { outcome, requests, stored: store.messages.get(message.id)! };
  };

  it('sends an http message through the registered http adapter', async () => {
    const { outcome, requests } = await deliverVia('https://example.com/hook');
    expect(outcome).toBe('delivered');
    expect(requests.map((r) => r.url)).toEqual(['https://example.com/hook']);
  });

  it('finishes a message whose URL no registered type takes, unsent and not retried', async () => {
    const { outcome, requests, stored } = await deliverVia('ftp://example.com/hook');
    expect(outcome).toBe('failed');
    expect(requests).toEqual([]);
    expect(stored.attempts.at(-1)).toMatchObject({ error: 'no delivery target takes this URL' });
  });
});
