/**
 * Exact accounting: usage event ids are derived from the message (and attempt number or round),
 * the engine meters an attempt before its record write, and so the counters equal what the
 * receivers got, across a crash between a send and its record.
 */
import { describe, expect, it } from 'vitest';
import type { Message, MessageIn, SchedulingDeps, SendResult } from '../src';
import {
  attemptUsage,
  cancelMessage,
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  DeliveryWorker,
  FixedClock,
  MessageIn as MessageInSchema,
  outcomeUsage,
  redeliverMessage,
  scheduleBatch,
  scheduledUsage,
  scheduleMessage,
  sweepPending,
  TenantNotFoundError,
  usageDate,
  usageEvent,
} from '../src';
import { MemoryMeter, MemoryQueue, MemoryStore, MemoryTimer, ScriptedSender, silentLog } from './memory-ports';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/**
 * A store whose next `crashes` record writes never happen and never answer: the worker that made
 * them is as good as a process killed between its send and its record.
 */
class CrashingStore extends MemoryStore {
  crashes = 0;
  override async save(message: Message, expectedVersion: number) {
    if (message.attempts.length > 0 && this.crashes > 0) {
      this.crashes -= 1;
      return new Promise<boolean>(() => {});
    }
    return super.save(message, expectedVersion);
  }
}

const setup = (
  script: SendResult[] = [{ statusCode: 200 }],
  meterOf = (store: MemoryStore) => new MemoryMeter(store),
) => {
  const clock = new FixedClock(T0);
  const store = new CrashingStore(() => clock.now());
  const queue = new MemoryQueue();
  const meter = meterOf(store);
  const errors: string[] = [];
  const log = { ...silentLog, error: (message: string) => errors.push(message) };
  const deps: SchedulingDeps = {
    store,
    queue,
    timer: new MemoryTimer(),
    clock,
    settings: DEFAULT_ENGINE_SETTINGS,
    log,
    meter,
  };
  const sender = new ScriptedSender(script, () => clock.now());
  const worker = new DeliveryWorker({
    ...deps,
    tenants: { forDelivery: async () => ({ signingSecrets: [SECRET], plan: 'free' }) },
    deliveryTargets: { http: sender },
    backoff: DEFAULT_BACKOFF,
    random: () => 0.5,
  });
  /** Delivers the latest ticket on the queue, surfacing it a second before it is due. */
  const deliverNext = async () => {
    const { ticket } = queue.sent.at(-1)!;
    clock.set(Math.max(clock.now(), ticket.dueAt - 1_000));
    return worker.deliver(ticket);
  };
  /** What receivers saw, as the tenant would count it: distinct (webhook-id, vigil-attempt) pairs. */
  const receiverPairs = () =>
    new Set(sender.requests.map((r) => `${r.headers['webhook-id']}/${r.headers['vigil-attempt']}`)).size;
  return { clock, store, queue, meter, deps, sender, worker, deliverNext, receiverPairs, errors };
};

const input = (over: Partial<Record<string, unknown>> = {}): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', delay: 10, ...over });

describe('usage event ids', () => {
  it('are derived from what they count, so the same fact always has the same id', () => {
    const message = { id: 'msg_1', tenantId: TENANT, createdAt: T0, dueAt: T0 + 10_000 };
    expect(scheduledUsage(message)).toEqual({ id: 'sch_msg_1_0', tenantId: TENANT, kind: 'scheduled', at: T0 });
    expect(scheduledUsage({ ...message, round: 2, roundAt: T0 + 86_400_000 })).toEqual({
      id: 'sch_msg_1_2',
      tenantId: TENANT,
      kind: 'scheduled',
      at: T0 + 86_400_000,
    });
    expect(attemptUsage(message, 3)).toEqual({ id: 'att_msg_1_3', tenantId: TENANT, kind: 'attempt', at: T0 + 10_000 });
    expect(outcomeUsage({ ...message, round: 1 }, 'delivered').id).toBe('dlv_msg_1_1');
    expect(outcomeUsage(message, 'failed').id).toBe('fld_msg_1_0');
    expect(usageEvent(TENANT, 'attempt', T0, 'msg_1_3')).toEqual(attemptUsage({ ...message, dueAt: T0 }, 3));
  });

  it('are random only for a one-off event without a key', () => {
    const a = usageEvent(TENANT, 'scheduled', T0);
    const b = usageEvent(TENANT, 'scheduled', T0);
    expect(a.id).toMatch(/^use_/);
    expect(a.id).not.toBe(b.id);
  });
});

describe('metering what was scheduled', () => {
  it('meters each stored message of a create or a batch once, as round 0 of its id, after storing it', async () => {
    const { deps, meter, store } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input());
    const { messages: batch } = await scheduleBatch(deps, TENANT, [input(), input({ delay: 3_600 })]);
    expect(meter.recorded.map((r) => r.event)).toEqual(
      [message, ...batch].map((m) => ({ id: `sch_${m.id}_0`, tenantId: TENANT, kind: 'scheduled', at: T0 })),
    );
    expect(meter.recorded.every((r) => r.writesBefore > 0)).toBe(true);
    expect(store.messages.size).toBe(3);
  });
});

describe('metering attempts', () => {
  it('meters the attempt and its outcome before the record write, with an echo of the round', async () => {
    const { deps, meter, store, deliverNext } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input());
    meter.recorded.length = 0;
    expect(await deliverNext()).toBe('delivered');
    const recordWrite = store.writes.findIndex((w, i) => w.op === 'save' && i > 0);
    expect(meter.recorded.map((r) => [r.event.id, r.event.kind, r.event.echo])).toEqual([
      [`sch_${message.id}_0`, 'scheduled', true],
      [`att_${message.id}_1`, 'attempt', undefined],
      [`dlv_${message.id}_0`, 'delivered', undefined],
    ]);
    // Insert and take were written before; the record write came after every event.
    expect(meter.recorded.every((r) => r.writesBefore === recordWrite)).toBe(true);
    expect(meter.recorded.map((r) => r.event.at)).toEqual([T0, T0 + 10_000, T0 + 10_000]);
  });

  it('counts a retried message once per attempt, once delivered, and its round only with the first attempt', async () => {
    const { deps, meter, deliverNext, receiverPairs } = setup([
      { statusCode: 500 },
      { statusCode: 503 },
      { statusCode: 200 },
    ]);
    const { message } = await scheduleMessage(deps, TENANT, input());
    expect(await deliverNext()).toBe('retrying');
    expect(await deliverNext()).toBe('retrying');
    expect(await deliverNext()).toBe('delivered');
    expect(meter.ids().filter((id) => id.startsWith('sch_'))).toEqual([`sch_${message.id}_0`, `sch_${message.id}_0`]);
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 3, delivered: 1, failed: 0 });
    expect(meter.counts().attempt).toBe(receiverPairs());
  });

  it('counts a message that gave up once as failed, each attempt on the day it was due', async () => {
    const { deps, meter, deliverNext, clock } = setup([{ statusCode: 500 }]);
    clock.set(Date.parse('2026-11-23T23:59:45.000Z'));
    const { message } = await scheduleMessage(deps, TENANT, input({ retry: { maxAttempts: 2 } }));
    expect(await deliverNext()).toBe('retrying');
    expect(await deliverNext()).toBe('failed');
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 2, delivered: 0, failed: 1 });
    const days = meter.recorded.map((r) => [r.event.id, usageDate(r.event.at)]);
    expect(days).toContainEqual([`att_${message.id}_1`, '2026-11-23']);
    expect(days).toContainEqual([`att_${message.id}_2`, '2026-11-24']);
    expect(days).toContainEqual([`fld_${message.id}_0`, '2026-11-24']);
  });

  it('counts a redelivered message as a new round: scheduled, attempts and outcome again', async () => {
    const { deps, meter, deliverNext, clock, receiverPairs } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input());
    expect(await deliverNext()).toBe('delivered');
    clock.advance(86_400_000);
    const redelivered = await redeliverMessage(deps, TENANT, message.id);
    expect(redelivered).toMatchObject({ round: 1, roundAt: clock.now() });
    expect(await deliverNext()).toBe('delivered');
    expect(meter.ids()).toContain(`sch_${message.id}_1`);
    expect(meter.ids()).toContain(`dlv_${message.id}_1`);
    expect(meter.counts()).toEqual({ scheduled: 2, attempt: 2, delivered: 2, failed: 0 });
    expect(meter.counts().attempt).toBe(receiverPairs());
    // The round's scheduled event counts on the day of the redeliver.
    const echo = meter.recorded.find((r) => r.event.id === `sch_${message.id}_1`)!;
    expect(usageDate(echo.event.at)).toBe('2026-11-24');
  });
});

describe('metering across a crash between a send and its record', () => {
  it('counts the attempt once though the receiver got it twice, with the same webhook-id and attempt number', async () => {
    const { deps, meter, store, deliverNext, clock, queue, sender, receiverPairs } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input());
    store.crashes = 1;
    void deliverNext();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sender.requests).toHaveLength(1);
    expect(store.messages.get(message.id)!.status).toBe('delivering');
    // After the lease the sweep hands it out again, and the same attempt goes out again.
    clock.advance(60_000);
    await sweepPending(deps, 0);
    clock.set(queue.sent.at(-1)!.ticket.dueAt);
    expect(await deliverNext()).toBe('delivered');
    expect(sender.requests.map((r) => [r.headers['webhook-id'], r.headers['vigil-attempt']])).toEqual([
      [message.id, '1'],
      [message.id, '1'],
    ]);
    // The create's event, then the same three events from each of the two sends.
    expect(meter.recorded).toHaveLength(7);
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 1, delivered: 1, failed: 0 });
    expect(meter.counts().attempt).toBe(receiverPairs());
  });

  it('still counts a message whose create died between its insert and its meter call', async () => {
    const { deps, meter, deliverNext } = setup();
    // The create stored the message and was killed before metering it.
    const { message } = await scheduleMessage({ ...deps, meter: undefined }, TENANT, input());
    expect(meter.recorded).toHaveLength(0);
    expect(await deliverNext()).toBe('delivered');
    expect(meter.ids()).toContain(`sch_${message.id}_0`);
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 1, delivered: 1, failed: 0 });
  });

  it('still counts a message whose create died before metering it and that was cancelled before its first attempt', async () => {
    const { deps, meter } = setup();
    const { message } = await scheduleMessage({ ...deps, meter: undefined }, TENANT, input());
    // The client's retry with its Idempotency-Key finds the message stored and counts nothing.
    await cancelMessage(deps, TENANT, message.id, 'free');
    expect(meter.ids()).toEqual([`sch_${message.id}_0`]);
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 0, delivered: 0, failed: 0 });
    // Cancelled already: nothing more.
    await cancelMessage(deps, TENANT, message.id, 'free');
    expect(meter.recorded).toHaveLength(1);
  });

  it('counts a cancelled message once when its create was metered (the echo counts nothing)', async () => {
    const { deps, meter } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input());
    await cancelMessage(deps, TENANT, message.id, 'free');
    expect(meter.recorded.map((r) => r.event.id)).toEqual([`sch_${message.id}_0`, `sch_${message.id}_0`]);
    expect(meter.counts().scheduled).toBe(1);
  });
});

describe('metering a message Vigil finishes on its own', () => {
  it('counts a round that ends failed without an attempt (its tenant is gone) once, before the failure write', async () => {
    const { deps, meter, store, queue, clock } = setup();
    const { message } = await scheduleMessage({ ...deps, meter: undefined }, TENANT, input());
    const worker = new DeliveryWorker({
      ...deps,
      tenants: { forDelivery: async () => Promise.reject(new TenantNotFoundError(TENANT)) },
      deliveryTargets: { http: new ScriptedSender([{ statusCode: 200 }], () => clock.now()) },
      backoff: DEFAULT_BACKOFF,
      random: () => 0.5,
    });
    clock.set(queue.sent[0]!.ticket.dueAt - 1_000);
    expect(await worker.deliver(queue.sent[0]!.ticket)).toBe('failed');
    expect(store.messages.get(message.id)!.status).toBe('failed');
    expect(meter.ids()).toEqual([`sch_${message.id}_0`, `fld_${message.id}_0`]);
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 0, delivered: 0, failed: 1 });
    expect(meter.recorded.every((r) => r.writesBefore === store.writes.length - 1)).toBe(true);
  });

  it('counts an attempt answered 2xx that could not be recorded as delivered, not also as failed', async () => {
    const { deps, meter, store, deliverNext } = setup();
    const { message } = await scheduleMessage(deps, TENANT, input());
    store.save = async () => Promise.reject(new Error('ValidationException: item too large'));
    expect(await deliverNext()).toBe('failed');
    expect(store.messages.get(message.id)!.failureReason?.code).toBe('record-failed');
    expect(meter.counts()).toEqual({ scheduled: 1, attempt: 1, delivered: 1, failed: 0 });
  });
});

describe('a failing meter', () => {
  it('never fails a delivery: the attempt is recorded and the failure logged', async () => {
    const failing = { record: async () => Promise.reject(new Error('metering is down')) };
    const { deps, deliverNext, store, errors } = setup([{ statusCode: 200 }], () => failing as unknown as MemoryMeter);
    const { message } = await scheduleMessage({ ...deps, meter: undefined }, TENANT, input());
    expect(await deliverNext()).toBe('delivered');
    expect(store.messages.get(message.id)!.status).toBe('delivered');
    expect(errors).toContain('usage events not handed to metering');
  });
});
