import { describe, expect, it } from 'vitest';
import type { EngineSettings, MessageIn, MessageStore, SchedulingDeps, SendResult } from '../src';
import {
  cancelMessage,
  ConcurrentChangeError,
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  DeliveryWorker,
  FixedClock,
  MessageIn as MessageInSchema,
  MessageStateConflictError,
  PayloadTooLargeError,
  patchMessage,
  promoteBucket,
  promoteMissedBuckets,
  redeliverMessage,
  retryMessageNow,
  scheduleBatch,
  scheduleMessage,
  sweep,
  sweepOptionsFor,
  sweepPending,
  ValidationError,
} from '../src';
import {
  CountingQuota,
  MemoryBulkJobs,
  MemoryQueue,
  MemoryStore,
  MemoryTimer,
  ScriptedSender,
  silentLog,
} from './memory-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const setup = (
  script: SendResult[] = [{ statusCode: 200 }],
  settings: EngineSettings = DEFAULT_ENGINE_SETTINGS,
  clock = new FixedClock(T0),
) => {
  const store = new MemoryStore(() => clock.now());
  const queue = new MemoryQueue();
  const timer = new MemoryTimer();
  const deps: SchedulingDeps = { store, queue, timer, clock, settings, log: silentLog };
  const sender = new ScriptedSender(script, () => clock.now());
  const worker = new DeliveryWorker({
    ...deps,
    tenants: { forDelivery: async () => ({ signingSecrets: [SECRET], plan: 'free' }) },
    deliveryTargets: { http: sender },
    backoff: DEFAULT_BACKOFF,
    random: () => 0.5,
  });
  return { clock, store, queue, timer, deps, sender, worker };
};

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', ...over });

describe('scheduling a message', () => {
  it('queues a near message at once with a delay that surfaces it before it is due', async () => {
    const { deps, queue } = setup();
    const { message, created } = await scheduleMessage(deps, TENANT, input({ delay: 30 }));
    expect(created).toBe(true);
    expect(message.status).toBe('queued');
    expect(message.sendAt).toBe(T0 + 30_000);
    expect(queue.sent).toEqual([
      {
        ticket: { tenantId: TENANT, messageId: message.id, version: 0, dueAt: T0 + 30_000 },
        // A worker gets it the arm lead (1 s) early, after up to the gather window (1 s) in the queue.
        delaySeconds: 28,
        prompt: false,
      },
    ]);
  });

  it('parks a far message in a bucket and asks for the bucket timer, without touching the queue', async () => {
    const { deps, queue, timer } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:00Z' }));
    expect(message.status).toBe('scheduled');
    expect(queue.sent).toEqual([]);
    expect([...timer.buckets]).toEqual([Date.parse('2026-11-24T09:58:00Z')]);
  });

  it('delivers a sendAt up to a minute in the past now, and refuses older or more than 365 days ahead', async () => {
    const { deps } = setup();
    const late = await scheduleMessage(deps, TENANT, input({ sendAt: new Date(T0 - 30_000).toISOString() }));
    expect(late.message.dueAt).toBe(T0);
    await expect(scheduleMessage(deps, TENANT, input({ sendAt: new Date(T0 - 61_000).toISOString() }))).rejects.toThrow(
      ValidationError,
    );
    await expect(scheduleMessage(deps, TENANT, input({ sendAt: '2027-11-24T10:00:00Z' }))).rejects.toThrow(
      /more than 365 days ahead/,
    );
  });

  it('refuses a body over 256 KiB with a payload-too-large error', async () => {
    const { deps } = setup();
    await expect(scheduleMessage(deps, TENANT, input({ delay: 1, body: 'x'.repeat(256 * 1024 + 1) }))).rejects.toThrow(
      PayloadTooLargeError,
    );
  });

  it('returns the first message for a repeated idempotency key and stores nothing new', async () => {
    const { deps, store } = setup();
    const first = await scheduleMessage(deps, TENANT, input({ delay: 5 }), 'order-42');
    const again = await scheduleMessage(deps, TENANT, input({ delay: 5 }), 'order-42');
    expect(again).toEqual({ message: first.message, created: false });
    expect(store.messages.size).toBe(1);
  });

  it('validates a whole batch before storing any of it', async () => {
    const { deps, store } = setup();
    const bad = [input({ delay: 1 }), input({ sendAt: '2020-01-01T00:00:00Z' })];
    await expect(scheduleBatch(deps, TENANT, bad)).rejects.toMatchObject({
      errors: [{ path: 'messages.1.sendAt' }],
    });
    expect(store.messages.size).toBe(0);
  });
});

describe('delivering', () => {
  it('never sends before the due instant, and sends exactly at it', async () => {
    const { deps, worker, sender, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10, body: { a: 1 } }));
    clock.set(T0 + 9_000); // the queue surfaced it a second early
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    expect(sender.requests[0]!.at).toBe(T0 + 10_000);
    const stored = store.messages.get(message.id)!;
    expect(stored.status).toBe('delivered');
    expect(stored.attempts).toEqual([expect.objectContaining({ n: 1, statusCode: 200, latenessMs: 0 })]);
  });

  it('takes, sends and records with three store calls in all, none between due and sent', async () => {
    const { deps, worker, clock, queue, store, sender } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    await worker.deliver(queue.sent[0]!.ticket);
    expect(store.calls).toBe(3);
    const due = T0 + 10_000;
    expect(store.writes).toEqual([
      { op: 'insert', at: T0 },
      { op: 'take', at: due - DEFAULT_ENGINE_SETTINGS.takeLeadMs },
      { op: 'save', at: due },
    ]);
    expect(sender.requests[0]!.at).toBe(due);
  });

  it('connects ahead when it takes the message, for the request it sends at the instant', async () => {
    const { deps, worker, clock, queue, sender } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    await worker.deliver(queue.sent[0]!.ticket);
    const due = T0 + 10_000;
    const { at: sentAt, ...sent } = sender.requests[0]!;
    expect(sentAt).toBe(due);
    expect(sender.connectedAhead).toEqual([{ ...sent, at: due - DEFAULT_ENGINE_SETTINGS.takeLeadMs }]);
  });

  it('delivers all the same when the target throws while connecting ahead', async () => {
    const { deps, worker, clock, queue, sender } = setup();
    sender.connectAhead = () => {
      throw new Error('no head start today');
    };
    await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(sender.requests[0]!.at).toBe(T0 + 10_000);
  });

  it('does not connect ahead for a message already due: it is sent at once', async () => {
    const { deps, worker, clock, queue, sender } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 12_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    expect(sender.connectedAhead).toEqual([]);
  });

  it('a duplicate ticket never sends twice', async () => {
    const { deps, worker, sender, clock, queue } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    const ticket = queue.sent[0]!.ticket;
    expect(await worker.deliver(ticket)).toBe('delivered');
    expect(await worker.deliver(ticket)).toBe('skipped');
    expect(sender.requests).toHaveLength(1);
  });

  it('a cancel that lands while the ticket is held still wins', async () => {
    const { deps, worker, sender, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    await cancelMessage(deps, TENANT, message.id, 'free');
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('skipped');
    expect(sender.requests).toHaveLength(0);
    expect(store.messages.get(message.id)!.status).toBe('cancelled');
  });

  it('retries a 500 with backoff on a fresh ticket, and a stale ticket is ignored', async () => {
    const { deps, worker, sender, clock, queue, store } = setup([
      { statusCode: 500 },
      { statusCode: 500 },
      { statusCode: 200 },
    ]);
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 9_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('retrying');
    const retry = queue.sent[1]!;
    expect(retry.ticket.version).toBeGreaterThan(queue.sent[0]!.ticket.version);
    expect(retry.ticket.dueAt).toBe(T0 + 10_000 + 7_500); // 10 s step, half fixed + half jitter at 0.5
    expect(store.messages.get(message.id)!.status).toBe('retrying');
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('skipped');
    clock.set(retry.ticket.dueAt - 1_000);
    expect(await worker.deliver(retry.ticket)).toBe('retrying');
    clock.set(queue.sent[2]!.ticket.dueAt - 1_000);
    expect(await worker.deliver(queue.sent[2]!.ticket)).toBe('delivered');
    expect(sender.requests.map((r) => r.headers['vigil-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(sender.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([message.id]));
  });

  it('stops at 410 Gone, and fails once the attempts are spent', async () => {
    const gone = setup([{ statusCode: 410 }]);
    await scheduleMessage(gone.deps, TENANT, input({ delay: 1 }));
    expect(await gone.worker.deliver(gone.queue.sent[0]!.ticket)).toBe('failed');

    const spent = setup([{ error: 'timeout after 10000 ms' }]);
    await scheduleMessage(spent.deps, TENANT, input({ delay: 1, retry: { maxAttempts: 1 } }));
    expect(await spent.worker.deliver(spent.queue.sent[0]!.ticket)).toBe('failed');
  });

  it('puts back a ticket that surfaced far too early instead of holding it', async () => {
    const { deps, worker, sender, queue } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 60 }));
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('requeued');
    expect(sender.requests).toHaveLength(0);
    expect(queue.sent[1]!.delaySeconds).toBe(58);
  });
});

describe('why an attempt was late', () => {
  /** A clock whose process stalls for `ms` in its wait for the instant `at` (a SIGSTOP, a VM paused). */
  class StallingClock extends FixedClock {
    stall = { at: 0, ms: 0 };
    override async sleepUntil(epochMs: number): Promise<void> {
      await super.sleepUntil(epochMs);
      if (epochMs === this.stall.at) this.advance(this.stall.ms);
    }
  }

  it('says engine-busy when the worker held it ready but its process ran over 200 ms past the instant (paused or starved)', async () => {
    const stalling = new StallingClock(T0);
    const { deps, worker, queue, store } = setup(undefined, undefined, stalling);
    const a = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    const b = await scheduleMessage(deps, TENANT, input({ delay: 20 }));
    stalling.set(T0 + 9_000);
    stalling.stall = { at: a.message.dueAt, ms: 4_000 };
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(store.messages.get(a.message.id)!.attempts[0]).toMatchObject({
      latenessMs: 4_000,
      latenessReason: 'engine-busy',
    });
    // A busy event loop's few tens of ms are not a stall: late, with no reason.
    stalling.set(T0 + 19_000);
    stalling.stall = { at: b.message.dueAt, ms: 150 };
    expect(await worker.deliver(queue.sent[1]!.ticket)).toBe('delivered');
    expect(store.messages.get(b.message.id)!.attempts[0]!.latenessMs).toBe(150);
    expect(store.messages.get(b.message.id)!.attempts[0]!.latenessReason).toBeUndefined();
  });

  it("tells the operator's log and metrics why a sent attempt was late, as the attempt says it", async () => {
    const stalling = new StallingClock(T0);
    const { deps, queue } = setup(undefined, undefined, stalling);
    const logged: Record<string, unknown>[] = [];
    const delivered: Record<string, unknown>[] = [];
    const worker = new DeliveryWorker({
      ...deps,
      log: { ...silentLog, info: (line, fields) => line === 'delivered' && logged.push(fields ?? {}) },
      tenants: { forDelivery: async () => ({ signingSecrets: [SECRET], plan: 'free' }) },
      deliveryTargets: { http: new ScriptedSender([{ statusCode: 200 }, { statusCode: 200 }], () => stalling.now()) },
      backoff: DEFAULT_BACKOFF,
      random: () => 0.5,
      events: { delivered: (event) => delivered.push(event) },
    });
    const late = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    const onTime = await scheduleMessage(deps, TENANT, input({ delay: 20 }));
    stalling.set(T0 + 9_000);
    stalling.stall = { at: late.message.dueAt, ms: 4_000 };
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    stalling.set(T0 + 19_000);
    expect(await worker.deliver(queue.sent[1]!.ticket)).toBe('delivered');
    const busy = { messageId: late.message.id, latenessMs: 4_000, latenessReason: 'engine-busy' };
    expect(logged[0]).toMatchObject(busy);
    expect(delivered[0]).toMatchObject(busy);
    // No reason, no field.
    expect(logged[1]).toMatchObject({ messageId: onTime.message.id, latenessMs: 0 });
    expect(logged[1]).not.toHaveProperty('latenessReason');
  });

  it('gives no reason for a ticket the queue handed on late: nothing the engine knows for sure', async () => {
    const { deps, worker, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    clock.set(T0 + 13_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(store.messages.get(message.id)!.attempts[0]!.latenessMs).toBe(3_000);
    expect(store.messages.get(message.id)!.attempts[0]!.latenessReason).toBeUndefined();
  });

  it('says recovered when the sweep found it overdue and sent it again, its ticket lost', async () => {
    const { deps, worker, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // the enqueue "never happened"
    clock.set(T0 + 5_000 + 61_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent[0]!.ticket).toMatchObject({ messageId: message.id, latenessReason: 'recovered' });
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({
      latenessMs: 61_000,
      latenessReason: 'recovered',
    });
  });

  it('says recovered for a message a worker died holding, sent again once its lease ran out', async () => {
    const { deps, worker, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    clock.set(message.dueAt - 500);
    const taken = await store.take(queue.sent[0]!.ticket, clock.now(), message.dueAt);
    expect(taken?.status).toBe('delivering'); // and its worker is never heard of again
    clock.set(taken!.leaseUntil! + 62_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('delivered');
    expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({ latenessReason: 'recovered' });
  });

  it('gives no reason to what a start-up sweep re-enqueues ahead of its time: it goes out on time', async () => {
    const { deps, worker, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 30 }));
    queue.sent.length = 0; // the local stack stopped: its queue did not survive
    clock.set(T0 + 10_000);
    expect(await sweepPending(deps, 60_000, { queueLost: true })).toEqual({ requeued: 1, storedEvents: 0 });
    clock.set(message.dueAt - 1_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(store.messages.get(message.id)!.attempts[0]!.latenessMs).toBe(0);
    expect(store.messages.get(message.id)!.attempts[0]!.latenessReason).toBeUndefined();
  });

  it('says timer-missed when the sweep promoted its bucket past its due time, and nothing when in time', async () => {
    const { deps, worker, clock, queue, timer, store } = setup();
    timer.ensureBucket = async () => {
      throw new Error('ServiceQuotaExceededException (injected)');
    };
    const late = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const onTime = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:03:30Z' }));
    // The sweep's run that promotes the first bucket comes 20 s after its message was due.
    clock.set(late.message.dueAt + 20_000);
    expect(await promoteMissedBuckets(deps)).toEqual({ promoted: 1 });
    expect(queue.sent[0]!.ticket).toMatchObject({ messageId: late.message.id, latenessReason: 'timer-missed' });
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    expect(store.messages.get(late.message.id)!.attempts[0]).toMatchObject({
      latenessMs: 20_000,
      latenessReason: 'timer-missed',
    });
    clock.set(onTime.message.bucketAt! + 90_000);
    expect(await promoteMissedBuckets(deps)).toEqual({ promoted: 1 });
    clock.set(onTime.message.dueAt - 1_000);
    expect(await worker.deliver(queue.sent[1]!.ticket)).toBe('delivered');
    expect(store.messages.get(onTime.message.id)!.attempts[0]!.latenessMs).toBe(0);
    expect(store.messages.get(onTime.message.id)!.attempts[0]!.latenessReason).toBeUndefined();
  });

  it('gives a bucket its own timer promoted no reason, nor a retry its backoff: that is no lateness', async () => {
    const { deps, worker, clock, queue, timer, store } = setup([{ statusCode: 500 }, { statusCode: 200 }]);
    const { message } = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    await promoteBucket(deps, bucketAt!);
    expect(queue.sent[0]!.ticket.latenessReason).toBeUndefined();
    clock.set(message.dueAt - 1_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('retrying');
    const retry = queue.sent.at(-1)!.ticket;
    clock.set(retry.dueAt - 1_000);
    expect(await worker.deliver(retry)).toBe('delivered');
    const attempts = store.messages.get(message.id)!.attempts;
    expect(attempts.map((a) => [a.latenessMs, a.latenessReason])).toEqual([
      [0, undefined],
      [0, undefined],
    ]);
  });
});

describe('changing messages', () => {
  it('rescheduling bumps the version so the old ticket goes stale, and re-dispatches', async () => {
    const { deps, worker, sender, clock, queue } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    await patchMessage(deps, TENANT, message.id, { delay: 20 });
    clock.set(T0 + 9_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('skipped');
    expect(queue.sent[1]!.ticket.dueAt).toBe(T0 + 20_000);
    expect(sender.requests).toHaveLength(0);
  });

  it('sends a message moved from far to near and back once, at its last time, whatever fires for the old ones', async () => {
    const { deps, worker, sender, clock, queue, timer } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const [bucketAt] = [...timer.buckets];
    await patchMessage(deps, TENANT, message.id, { delay: 300 }); // near: a ticket of its own
    const back = await patchMessage(deps, TENANT, message.id, { sendAt: '2026-11-24T10:00:31Z' }); // far again
    expect(back.status).toBe('scheduled');
    expect([...timer.buckets]).toEqual([bucketAt]);
    // The near ticket surfaces at the old near time: stale, nothing is sent.
    const nearTicket = queue.sent.at(-1)!.ticket;
    clock.set(nearTicket.dueAt - 1_000);
    expect(await worker.deliver(nearTicket)).toBe('skipped');
    // The bucket fires (twice): one send, at the time the last change set.
    clock.set(bucketAt!);
    await promoteBucket(deps, bucketAt!);
    await promoteBucket(deps, bucketAt!);
    const promoted = queue.sent.slice(-2).map((s) => s.ticket);
    clock.set(back.dueAt - 1_000);
    expect(await Promise.all(promoted.map((t) => worker.deliver(t)))).toEqual(['delivered', 'skipped']);
    expect(sender.requests.map((r) => r.at)).toEqual([Date.parse('2026-11-24T10:00:31Z')]);
  });

  it('moved from near to far and back, it is sent once, at the last sendAt: every ticket and bucket of the moves before is stale', async () => {
    const { deps, worker, sender, clock, queue, timer, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 30 }));
    // Far (3 days: a bucket), near again (60 s: a ticket), far once more, and last 90 s from now.
    await patchMessage(deps, TENANT, message.id, { delay: 3 * 86_400 });
    await patchMessage(deps, TENANT, message.id, { delay: 60 });
    await patchMessage(deps, TENANT, message.id, { sendAt: new Date(T0 + 2 * 86_400_000).toISOString() });
    const last = await patchMessage(deps, TENANT, message.id, { delay: 90 });
    expect(last).toMatchObject({ status: 'queued', sendAt: T0 + 90_000, dueAt: T0 + 90_000, version: 4 });
    // Every bucket a move made is promoted, at its time or early, and every ticket comes to a worker
    // at the instant it was due, in order of its due time: only the last one's makes an attempt.
    for (const bucketAt of timer.buckets) await promoteBucket(deps, bucketAt);
    const tickets = queue.sent.map((sent) => sent.ticket).sort((a, b) => a.dueAt - b.dueAt);
    const outcomes = [];
    for (const ticket of tickets) {
      clock.set(Math.max(clock.now(), ticket.dueAt));
      outcomes.push([ticket.version, await worker.deliver(ticket)]);
    }
    expect(sender.requests).toHaveLength(1);
    expect(sender.requests[0]!.at).toBeGreaterThanOrEqual(T0 + 90_000);
    expect(outcomes.filter(([, outcome]) => outcome !== 'skipped')).toEqual([[4, 'delivered']]);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'delivered', version: 5 });
  });

  it('moved into the last minute past, it is due now; further back it is refused and stays as it was', async () => {
    const { deps, clock, store, queue } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 3_600 }));
    clock.set(T0 + 120_000);
    const past = new Date(T0 + 90_000).toISOString(); // 30 s ago
    const moved = await patchMessage(deps, TENANT, message.id, { sendAt: past });
    expect(moved).toMatchObject({ sendAt: T0 + 90_000, dueAt: T0 + 120_000, status: 'queued' });
    expect(queue.sent.at(-1)).toMatchObject({ ticket: { dueAt: T0 + 120_000, version: moved.version } });
    const before = store.messages.get(message.id);
    const tooLate = patchMessage(deps, TENANT, message.id, { sendAt: new Date(T0 + 59_999).toISOString() });
    await expect(tooLate).rejects.toMatchObject({
      errors: [{ path: 'sendAt', message: 'is more than 60 seconds in the past (it is now 2026-11-23T10:02:00.000Z)' }],
    });
    expect(store.messages.get(message.id)).toEqual(before);
  });

  it('keeps both of two changes made at once: the second is written over the first, never instead of it', async () => {
    const { deps, worker, sender, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    // Both requests read the message before either writes it back.
    const read = store.get.bind(store);
    let arrived = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    store.get = async (tenantId, messageId) => {
      const found = await read(tenantId, messageId);
      arrived += 1;
      if (arrived === 2) bothRead();
      if (arrived <= 2) await barrier;
      return found;
    };
    await Promise.all([
      patchMessage(deps, TENANT, message.id, { url: 'https://e.com/new' }),
      patchMessage(deps, TENANT, message.id, { headers: { 'x-team': 'blue' } }),
    ]);
    const stored = store.messages.get(message.id)!;
    expect(stored.url).toBe('https://e.com/new');
    expect(stored.headers).toEqual({ 'x-team': 'blue' });
    // The change made the ticket in flight stale; the one dispatched with it delivers the message as changed.
    clock.set(T0 + 9_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('skipped');
    expect(await worker.deliver(queue.sent.at(-1)!.ticket)).toBe('delivered');
    expect(sender.requests.map((r) => [r.url, r.headers['x-team']])).toEqual([['https://e.com/new', 'blue']]);
  });

  it('tries a change again after growing pauses while others keep changing the message, then answers 409', async () => {
    const { deps, clock, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 60 }));
    // Another writer changes the message between this change's read and its write, `others` times.
    const race = (others: number) => {
      const save = store.save.bind(store);
      const triedAt: number[] = [];
      store.save = async (next, expectedVersion) => {
        triedAt.push(clock.now());
        if (triedAt.length <= others) {
          const current = store.messages.get(next.id)!;
          await save({ ...current, version: current.version + 1 }, current.version);
        }
        return save(next, expectedVersion);
      };
      return triedAt;
    };
    const fourLost = race(4);
    const from = clock.now();
    const changed = await patchMessage({ ...deps, random: () => 0 }, TENANT, message.id, { labels: ['late'] });
    expect(changed.labels).toEqual(['late']);
    // Pauses of half of 10, 20, 40 and 80 ms (random 0): each try finds the message as the last writer left it.
    expect(fourLost.map((at) => at - from)).toEqual([0, 5, 15, 35, 75]);

    store.save = MemoryStore.prototype.save.bind(store);
    race(5);
    const refused = await patchMessage(deps, TENANT, message.id, { labels: ['later'] }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConcurrentChangeError);
    // Nothing of it was applied, so the answer says to send it again as it was (the client retries it).
    expect((refused as ConcurrentChangeError).headers).toEqual({ 'retry-after': '1' });
    expect(store.messages.get(message.id)!.labels).toEqual(['late']);
  });

  it('refuses to change or cancel a delivered message, and redelivers it with a fresh budget', async () => {
    const { deps, worker, clock, queue, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 1, retry: { maxAttempts: 1 } }));
    await worker.deliver(queue.sent[0]!.ticket);
    await expect(patchMessage(deps, TENANT, message.id, { url: 'https://e.com/x' })).rejects.toThrow(
      MessageStateConflictError,
    );
    await expect(cancelMessage(deps, TENANT, message.id, 'free')).rejects.toThrow(MessageStateConflictError);
    clock.advance(60_000);
    const again = await redeliverMessage(deps, TENANT, message.id);
    expect(again.status).toBe('queued');
    expect(again.roundStart).toBe(1);
    expect(await worker.deliver(queue.sent[1]!.ticket)).toBe('delivered');
    expect(store.messages.get(message.id)!.attempts.map((a) => a.n)).toEqual([1, 2]);
  });
});

describe('retrying now', () => {
  it("makes a retrying message's next attempt now, in the same round, and the old ticket goes stale", async () => {
    const { deps, worker, sender, clock, queue, store } = setup([{ statusCode: 503 }, { statusCode: 200 }]);
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 1 }));
    clock.set(T0 + 1_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('retrying');
    const waiting = store.messages.get(message.id)!;
    // The backoff's first wait: 10 s × (0.5 + 0.5 × random 0.5) = 7.5 s.
    expect(waiting.dueAt).toBe(T0 + 1_000 + 7_500);

    clock.set(T0 + 2_000);
    const now = await retryMessageNow(deps, TENANT, message.id);
    expect(now).toMatchObject({ status: 'retrying', dueAt: T0 + 2_000, version: waiting.version + 1 });
    const fresh = queue.sent.at(-1)!.ticket;
    expect(fresh).toMatchObject({ messageId: message.id, dueAt: T0 + 2_000, version: waiting.version + 1 });
    // The new ticket sends at once; the backoff's, when it surfaces, no longer sends.
    expect(await worker.deliver(fresh)).toBe('delivered');
    clock.set(waiting.dueAt);
    expect(await worker.deliver(queue.sent[1]!.ticket)).toBe('skipped');
    expect(sender.requests.map((r) => r.at)).toEqual([T0 + 1_000, T0 + 2_000]);
    expect(store.messages.get(message.id)!).toMatchObject({ status: 'delivered', roundStart: 0 });
  });

  it('refuses a message that is not retrying, and leaves one already due as it is, handing it to a worker again', async () => {
    const { deps, worker, clock, queue, store } = setup([{ statusCode: 503 }]);
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 1 }));
    await expect(retryMessageNow(deps, TENANT, message.id)).rejects.toThrow(MessageStateConflictError);
    clock.set(T0 + 1_000);
    await worker.deliver(queue.sent[0]!.ticket);
    const waiting = store.messages.get(message.id)!;
    clock.set(waiting.dueAt + 5);
    const sent = queue.sent.length;
    const writes = store.writes.length;
    expect(await retryMessageNow(deps, TENANT, message.id)).toEqual(waiting);
    // Nothing written; the ticket its backoff sent may be lost, so another, at its version, goes at
    // once on the prompt queue, as the engine would send one due now.
    expect(store.writes).toHaveLength(writes);
    expect(store.messages.get(message.id)).toEqual(waiting);
    expect(queue.sent.slice(sent)).toEqual([
      {
        ticket: { tenantId: TENANT, messageId: message.id, version: waiting.version, dueAt: waiting.dueAt },
        delaySeconds: 0,
        prompt: true,
      },
    ]);
  });
});

describe('promote and sweep', () => {
  it('promotes only the waiting members of a bucket, with their exact delays', async () => {
    const { deps, queue, clock, timer } = setup();
    const a = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const b = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:45Z' }));
    await cancelMessage(deps, TENANT, b.message.id, 'free');
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: 1 });
    expect(queue.sent).toEqual([
      { ticket: expect.objectContaining({ messageId: a.message.id }), delaySeconds: 148, prompt: false },
    ]);
  });

  it('re-enqueues an overdue message whose enqueue was lost, but leaves healthy ones alone', async () => {
    const { deps, queue, clock, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    await scheduleMessage(deps, TENANT, input({ delay: 600 }));
    queue.sent.length = 0; // the enqueue "never happened"
    clock.set(T0 + 5_000 + 61_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 1, storedEvents: 0 });
    expect(queue.sent[0]!.ticket.messageId).toBe(message.id);
    expect(store.messages.get(message.id)!.status).toBe('queued');
  });

  it('sends each member once, at its time, when Scheduler fires its bucket twice and then again minutes late', async () => {
    const { deps, queue, clock, timer, worker, sender } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: 1 });
    clock.advance(20_000);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: 1 });
    clock.set(message.dueAt - 1_000);
    expect(await Promise.all(queue.sent.map(({ ticket }) => worker.deliver(ticket)))).toEqual(['delivered', 'skipped']);
    clock.set(message.dueAt + 5 * 60_000);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: 0 });
    expect(sender.requests.map((r) => r.at)).toEqual([message.dueAt]);
  });

  it('keeps a message whose bucket schedule could not be created, and the sweep promotes its bucket in time: sent once, on time', async () => {
    const { deps, queue, clock, timer, worker, sender, store } = setup();
    timer.ensureBucket = async () => {
      throw new Error('ServiceQuotaExceededException (injected)');
    };
    const { message } = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    expect(message.status).toBe('scheduled');
    expect(queue.sent).toEqual([]);
    const bucketAt = message.bucketAt!;
    // A minute after the bucket's time (Scheduler fires within its minute) the sweep's run, every minute, looks.
    clock.set(bucketAt + 59_999);
    expect(await promoteMissedBuckets(deps)).toEqual({ promoted: 0 });
    expect(queue.sent).toEqual([]);
    clock.set(bucketAt + 119_999);
    expect(await promoteMissedBuckets(deps)).toEqual({ promoted: 1 });
    expect(store.promotedBuckets.has(bucketAt)).toBe(true);
    clock.set(message.dueAt - 1_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('delivered');
    // The next run leaves it; nor does the pending sweep find it again.
    clock.set(bucketAt + 179_999);
    expect(await promoteMissedBuckets(deps)).toEqual({ promoted: 0 });
    clock.set(message.dueAt + 120_000);
    expect(await sweepPending(deps, -60_000)).toEqual({ requeued: 0, storedEvents: 0 });
    expect(queue.sent).toHaveLength(1);
    expect(sender.requests.map((r) => r.at)).toEqual([message.dueAt]);
  });

  it('is the periodic sweep’s first net, not a start-up’s (which re-enqueues everything due soon anyway)', async () => {
    const { deps, queue, clock, timer } = setup();
    timer.ensureBucket = async () => {
      throw new Error('ServiceQuotaExceededException (injected)');
    };
    const { message } = await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const jobs = new MemoryBulkJobs();
    const withJobs = { ...deps, quota: new CountingQuota(10), jobs, jobQueue: jobs };
    const engine = { sweepGraceMs: 60_000, jobIdleMs: 75_000 };
    clock.set(message.bucketAt! + 90_000);
    expect(await sweep(deps, withJobs, sweepOptionsFor({ lookAheadS: 0 }, engine))).toMatchObject({ promoted: 0 });
    expect(queue.sent).toEqual([]);
    expect(await sweep(deps, withJobs, sweepOptionsFor({}, engine))).toEqual({
      promoted: 1,
      requeued: 0,
      storedEvents: 0,
      resumedJobs: 0,
    });
    expect(queue.sent.map((s) => s.ticket.messageId)).toEqual([message.id]);
  });

  it('leaves a bucket its timer promoted to the timer, and queries an empty one once', async () => {
    const { deps, queue, clock, timer, store } = setup();
    await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: 1 });
    let bucketReads = 0;
    const members = store.bucketMembers.bind(store);
    store.bucketMembers = (at) => {
      bucketReads += 1;
      return members(at);
    };
    for (let run = 1; run <= 4; run += 1) {
      clock.advance(60_000);
      expect(await promoteMissedBuckets(deps)).toEqual({ promoted: 0 });
    }
    expect(queue.sent).toHaveLength(1);
    // Four runs looked at five buckets: the promoted one never read again, each empty one read once.
    expect(bucketReads).toBe(4);
  });

  it('sends each member of a big bucket once when its promote dies part-way and is run again', async () => {
    const { deps, queue, clock, timer, worker, sender } = setup();
    const members = 1_000;
    for (let i = 0; i < members; i += 1) {
      await scheduleMessage(
        deps,
        TENANT,
        input({ sendAt: new Date(Date.parse('2026-11-24T10:00:00Z') + i * 25).toISOString() }),
      );
    }
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    // The queue refuses the fifth page of the first run: the run fails, and Lambda runs it again.
    const enqueue = queue.enqueue.bind(queue);
    let calls = 0;
    queue.enqueue = async (entries) => {
      calls += 1;
      if (calls === 5) throw new Error('SQS throttled past its retries (injected)');
      return enqueue(entries);
    };
    await expect(promoteBucket(deps, bucketAt!)).rejects.toThrow(/injected/);
    const firstRun = queue.sent.length;
    expect(firstRun).toBeGreaterThan(0);
    expect(firstRun).toBeLessThan(members);
    expect(await promoteBucket(deps, bucketAt!)).toEqual({ promoted: members });

    const tickets = [...queue.sent].map((s) => s.ticket).sort((a, b) => a.dueAt - b.dueAt);
    expect(tickets).toHaveLength(firstRun + members);
    for (const ticket of tickets) {
      clock.set(Math.max(clock.now(), ticket.dueAt - 1_000));
      await worker.deliver(ticket);
    }
    expect(sender.requests).toHaveLength(members);
    expect(new Set(sender.requests.map((r) => r.headers['webhook-id'])).size).toBe(members);
  });

  it('hands on what the store could read before its reads failed part-way (a throttled shard), then fails', async () => {
    const { deps, queue, clock, store, timer } = setup();
    for (let i = 0; i < 3; i += 1) await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    for (let i = 0; i < 3; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // the near tickets were lost
    const failAfter = <T>(read: AsyncIterable<T>) =>
      (async function* () {
        yield* read;
        throw new Error('a shard throttled past its retries (injected)');
      })();
    const members = store.bucketMembers.bind(store);
    const pending = store.pendingBefore.bind(store);
    store.bucketMembers = (bucketAt) => failAfter(members(bucketAt));
    store.pendingBefore = (beforeMs) => failAfter(pending(beforeMs));

    clock.set(T0 + 5_000 + 61_000);
    await expect(sweepPending(deps, -60_000)).rejects.toThrow(/injected/);
    expect(queue.sent).toHaveLength(3);
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);
    await expect(promoteBucket(deps, bucketAt!)).rejects.toThrow(/injected/);
    expect(queue.sent).toHaveLength(6);
  });

  it('still fails a run that stopped at its budget after a shard had failed: the error is not left to the next run', async () => {
    const { deps, queue, clock, store } = setup();
    for (let i = 0; i < 300; i += 1) await scheduleMessage(deps, TENANT, input({ delay: 5 }));
    queue.sent.length = 0; // their tickets were lost
    // As the DynamoDB store's stream: a shard failed early, the others read on; the error is raised
    // at the end of the stream, or when a reader stops before it and lets go.
    const failedShard: MessageStore = Object.create(store);
    failedShard.pendingBefore = (beforeMs) => {
      const error = new Error('a shard throttled past its retries (injected)');
      const refs = store.pendingBefore(beforeMs)[Symbol.asyncIterator]();
      return {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            const result = await refs.next();
            if (result.done) throw error;
            return result;
          },
          return: async () => {
            await refs.return?.();
            throw error;
          },
        }),
      };
    };
    // A store in trouble: each move in the index takes 100 ms, a page of 100 takes 10 s.
    const defer = store.deferPending.bind(store);
    store.deferPending = async (ref, untilMs) => {
      clock.advance(100);
      return defer(ref, untilMs);
    };
    clock.set(T0 + 5_000 + 61_000);

    await expect(sweepPending({ ...deps, store: failedShard }, -60_000, { budgetMs: 15_000 })).rejects.toThrow(
      /injected/,
    );
    expect(queue.sent).toHaveLength(200); // two pages, then the budget was spent
  });

  it('says what a promote counted: the tickets it enqueued, not messages promoted (a second run sends them again)', async () => {
    const { deps, clock, timer } = setup();
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const log = {
      ...silentLog,
      info: (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields }),
    };
    const kept: Awaited<ReturnType<typeof scheduleMessage>>[] = [];
    for (let i = 0; i < 3; i += 1)
      kept.push(await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' })));
    await cancelMessage(deps, TENANT, kept[0]!.message.id, 'free');
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);

    expect(await promoteBucket({ ...deps, log }, bucketAt!)).toEqual({ promoted: 2 });
    // Run again (Scheduler fired twice): its two tickets again, which the workers skip.
    expect(await promoteBucket({ ...deps, log }, bucketAt!)).toEqual({ promoted: 2 });
    expect(lines.filter((l) => l.message === 'bucket promoted').map((l) => l.fields)).toEqual([
      { bucketAt: new Date(bucketAt!).toISOString(), enqueued: 2 },
      { bucketAt: new Date(bucketAt!).toISOString(), enqueued: 2 },
    ]);
  });

  it('fails a promote whose store read failed only once the pages on their way to the queue have settled', async () => {
    const { deps, queue, clock, store, timer } = setup();
    for (let i = 0; i < 250; i += 1) await scheduleMessage(deps, TENANT, input({ sendAt: '2026-11-24T10:00:30Z' }));
    const members = store.bucketMembers.bind(store);
    store.bucketMembers = (bucketAt) =>
      (async function* () {
        yield* members(bucketAt);
        throw new Error('a shard throttled past its retries (injected)');
      })();
    // The queue answers a page a moment later (a round trip).
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async (entries) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return enqueue(entries);
    };
    const [bucketAt] = [...timer.buckets];
    clock.set(bucketAt!);

    await expect(promoteBucket(deps, bucketAt!)).rejects.toThrow(/injected/);
    expect(queue.sent).toHaveLength(250);
  });
});
