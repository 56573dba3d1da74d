/**
 * Flow control's rules, pure: the rate grid (a start within its slot's tolerance never crowds a
 * second), leases, the bounds at the edge, and the delivery worker holding, handing back and
 * finally failing a message whose flow key has no turn for it, with fixed clocks and an in-memory
 * limiter that applies the same rules the DynamoDB adapter writes as conditions.
 */
import { describe, expect, it } from 'vitest';
import type { FlowControl, MessageIn } from '../src';
import {
  cancelMessage,
  DEFAULT_ENGINE_SETTINGS,
  DeliveryTicketSchema,
  expiredLeases,
  FLOW_HOLD_PER_TAKE_MS,
  FLOW_LEASE_MARGIN_MS,
  FlowGate,
  FLOW_START_LEAD_MS,
  leaseAdmits,
  MessageIn as MessageInSchema,
  MessageStateConflictError,
  MessagePatch,
  nextSlot,
  parseOrThrow,
  patchMessage,
  redeliverMessage,
  pollWaitMs,
  RATE_GUARD_MS,
  RATE_START_TOLERANCE_MS,
  scheduleMessage,
  slotSpacingMs,
  startsInSlot,
  sweepPending,
  toMessageOut,
  ValidationError,
} from '../src';
import { deliveryHarness, MemoryFlowLimiter } from './memory-ports';
import { mostInOneSecond } from '../../../test-support/time-windows';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const TENANT = 'tnt_a';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const input = (over: Partial<Record<string, unknown>>): MessageIn =>
  MessageInSchema.parse({ url: 'https://example.com/hook', ...over });

/** A seeded PRNG in [0, 1) (mulberry32), so the property runs are repeatable. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * Workers asking for slots at random instants; each start lands anywhere in its slot's tolerance,
 * and arrives after a network delay of up to the rest of the guard. The arrival times.
 */
const simulateStarts = (rate: number, spacingMs: number, seed: number, count = 400): number[] => {
  const random = seeded(seed);
  let state = {};
  const arrivals: number[] = [];
  let t = 0;
  for (let i = 0; i < count; i += 1) {
    t += random() < 0.7 ? 0 : random() * 400; // bursts, and gaps
    const slot = nextSlot(state, t, spacingMs, Number.POSITIVE_INFINITY)!;
    state = slot.state;
    const start = slot.slotAt + random() * RATE_START_TOLERANCE_MS;
    arrivals.push(start + random() * (RATE_GUARD_MS - RATE_START_TOLERANCE_MS));
  }
  return arrivals;
};

describe('the rate grid', () => {
  it('gives an idle key the asked instant, and a busy key its next slot', () => {
    expect(nextSlot({}, 1_000, 210, 5_000)).toEqual({ slotAt: 1_000, state: { nextSlotAt: 1_210 } });
    expect(nextSlot({ nextSlotAt: 900 }, 1_000, 210, 5_000)).toEqual({ slotAt: 1_000, state: { nextSlotAt: 1_210 } });
    expect(nextSlot({ nextSlotAt: 1_420 }, 1_000, 210, 5_000)).toEqual({ slotAt: 1_420, state: { nextSlotAt: 1_630 } });
  });

  it('reserves nothing past the latest instant a worker may hold the message', () => {
    expect(nextSlot({ nextSlotAt: 16_000 }, 1_000, 210, 15_999)).toBeUndefined();
  });

  it('never lets rate + 1 starts into one second, wherever in their tolerance they land', () => {
    for (const rate of [1, 2, 5, 50, 500]) {
      for (let seed = 1; seed <= 20; seed += 1) {
        expect(mostInOneSecond(simulateStarts(rate, slotSpacingMs(rate), seed)), `rate ${rate}`).toBeLessThanOrEqual(
          rate,
        );
      }
    }
  });

  it('needs its guard: slots exactly 1000 / rate apart let a late start crowd a second', () => {
    const crowded = [1, 2, 3, 4, 5, 6, 7, 8].some((seed) => mostInOneSecond(simulateStarts(5, 1_000 / 5, seed)) > 5);
    expect(crowded).toBe(true);
  });

  it('honours a slot only from its instant to its tolerance after', () => {
    expect(startsInSlot(1_000, 999)).toBe(false);
    expect(startsInSlot(1_000, 1_000)).toBe(true);
    expect(startsInSlot(1_000, 1_000 + RATE_START_TOLERANCE_MS)).toBe(true);
    expect(startsInSlot(1_000, 1_001 + RATE_START_TOLERANCE_MS)).toBe(false);
  });
});

describe('leases', () => {
  it('admit while fewer than parallelism are held, and name the expired ones for reclaiming', () => {
    const state = { leases: { a: 1_000, b: 2_000 } };
    expect(leaseAdmits(state, 2)).toBe(false);
    expect(leaseAdmits(state, 3)).toBe(true);
    expect(expiredLeases(state, 1_500)).toEqual(['a']);
  });

  it('are polled with a back-off that stays bounded', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(pollWaitMs)).toEqual([25, 50, 100, 200, 400, 500, 500]);
  });
});

describe('the flow gate', () => {
  /** A message due in 10 s on key `k` with `flowControl`, and a gate on `limiter` with the harness's clock. */
  const gated = async (limiter: MemoryFlowLimiter) => {
    const h = deliveryHarness({ t0: T0, secret: SECRET, flowLimiter: limiter });
    const gate = new FlowGate({ limiter, clock: h.clock });
    const make = async (flowControl: FlowControl) => {
      const { message } = await scheduleMessage(h.deps, TENANT, input({ delay: 10, flowControl }));
      return { ...message, flowControl };
    };
    return { ...h, gate, make };
  };

  it('lets a message of a key with room go while another of the same key, allowing fewer, waits for its turn', async () => {
    // Prepare: one lease of key `k` is held elsewhere. A message allowing 1 in flight comes first,
    // then one allowing 8: mixed limits on one key (README: neither is kept exactly).
    const limiter = new MemoryFlowLimiter();
    const { gate, make } = await gated(limiter);
    const strict = await make({ key: 'k', parallelism: 1 });
    const roomy = await make({ key: 'k', parallelism: 8 });
    limiter.keys.set(`${TENANT}/k`, { leases: { elsewhere: strict.dueAt + 3_600_000 } });
    const holdUntil = strict.dueAt + FLOW_HOLD_PER_TAKE_MS;

    // Act: both wait in the same worker.
    const [first, second] = await Promise.all([gate.admit(strict, holdUntil), gate.admit(roomy, holdUntil)]);

    // Assess: the one the key has room for went without waiting (it is not held in line behind the
    // other for its whole hold, then handed back with it); the stricter one had no turn.
    expect(second).toMatchObject({ admitted: true, held: false });
    expect(first).toMatchObject({ admitted: false });
    expect(Object.keys(limiter.keys.get(`${TENANT}/k`)!.leases).sort()).toEqual(
      ['elsewhere', `${roomy.id}.${roomy.version}`].sort(),
    );
  });

  it.each([
    { skew: 'ahead', skewMs: 2_000 },
    { skew: 'behind', skewMs: -2_000 },
  ])(
    'never starts a message before it is due, nor before its slot, when a worker whose clock runs 2 s $skew wrote the key’s grid',
    async ({ skewMs }) => {
      // Prepare: the other worker started a message at what its clock called the due instant, and
      // moved the grid one spacing on from there, in its own time.
      const limiter = new MemoryFlowLimiter();
      const { gate, make, clock } = await gated(limiter);
      const message = await make({ key: 'k', ratePerSecond: 5 });
      const otherSlotAt = message.dueAt + skewMs;
      limiter.keys.set(`${TENANT}/k`, { nextSlotAt: otherSlotAt + slotSpacingMs(5), leases: {} });
      clock.set(message.dueAt - 1_000);

      // Act
      const admission = await gate.admit(message, message.dueAt + FLOW_HOLD_PER_TAKE_MS);

      // Assess: it starts at the later of its due instant and the grid's next slot, by its own clock.
      expect(admission).toMatchObject({ admitted: true });
      expect(clock.now()).toBe(Math.max(message.dueAt, otherSlotAt + slotSpacingMs(5)));
    },
  );

  it('hands a lease this worker gives back to the head of the key’s line at once, without a read first', async () => {
    // Prepare: a clock whose sleeps end only when the test moves it on, so the waiter stays waiting.
    const sleepers: Array<{ at: number; wake: () => void }> = [];
    let now = T0 + 10_000;
    const clock = {
      now: () => now,
      sleepUntil: (at: number) =>
        at <= now ? Promise.resolve() : new Promise<void>((wake) => sleepers.push({ at, wake })),
    };
    class Counting extends MemoryFlowLimiter {
      reads = 0;
      override async reclaimExpiredLeases(...args: Parameters<MemoryFlowLimiter['reclaimExpiredLeases']>) {
        this.reads += 1;
        return super.reclaimExpiredLeases(...args);
      }
    }
    const limiter = new Counting();
    const { make } = await gated(limiter);
    const gate = new FlowGate({ limiter, clock });
    const flowControl = { key: 'k', parallelism: 1 };
    const [first, second] = [await make(flowControl), await make(flowControl)];
    now = first.dueAt;
    const holdUntil = now + FLOW_HOLD_PER_TAKE_MS;
    const holder = await gate.admit(first, holdUntil);
    expect(holder).toMatchObject({ admitted: true });

    // Act: the second waits (its ask refused), then the first's request ends and its lease comes back.
    const waiting = gate.admit(second, holdUntil);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sleepers).toHaveLength(1);
    if (holder.admitted) await holder.release();

    // Assess: the waiter got the lease on the give-back, without polling the key by a read first.
    expect(await waiting).toMatchObject({ admitted: true, held: true });
    expect(limiter.reads).toBe(0);
    expect(Object.keys(limiter.keys.get(`${TENANT}/k`)!.leases)).toEqual([`${second.id}.${second.version}`]);
  });
});

describe('flowControl at the edge', () => {
  const problems = (flowControl: unknown) => {
    try {
      parseOrThrow(MessageInSchema, { url: 'https://example.com/hook', delay: 10, flowControl });
      return [];
    } catch (error) {
      return (error as ValidationError).errors.map((e) => e.path);
    }
  };

  it('accepts a key with either limit or both', () => {
    expect(problems({ key: 'api.example.com', parallelism: 1 })).toEqual([]);
    expect(problems({ key: 'a/b:c_d-e', ratePerSecond: 500 })).toEqual([]);
    expect(problems({ key: 'k', parallelism: 1_000, ratePerSecond: 1 })).toEqual([]);
  });

  it('refuses out-of-bounds limits, a key without a limit, a bad key and unknown fields', () => {
    expect(problems({ key: 'k', parallelism: 1_001 })).toEqual(['flowControl.parallelism']);
    expect(problems({ key: 'k', ratePerSecond: 0 })).toEqual(['flowControl.ratePerSecond']);
    expect(problems({ key: 'k', ratePerSecond: 1.5 })).toEqual(['flowControl.ratePerSecond']);
    expect(problems({ key: 'k' })).toEqual(['flowControl']);
    expect(problems({ key: '', parallelism: 1 })).toEqual(['flowControl.key']);
    expect(problems({ key: 'é', parallelism: 1 })).toEqual(['flowControl.key']);
    expect(problems({ key: 'k', parallelism: 1, burst: 3 })).toEqual(['flowControl.burst']);
  });

  it('lets a PATCH replace flow control or remove it with null', () => {
    expect(MessagePatch.parse({ flowControl: null })).toEqual({ flowControl: null });
    expect(() => parseOrThrow(MessagePatch, { flowControl: { key: 'k' } })).toThrow(ValidationError);
  });
});

describe('the delivery worker and flow control', () => {
  const setup = (limiter = new MemoryFlowLimiter()) => ({
    limiter,
    ...deliveryHarness({ t0: T0, secret: SECRET, flowLimiter: limiter }),
  });

  /** A message due in 10 s on key `k` at `ratePerSecond`, the key's next slot `slotAfterDueMs` after that. */
  const slotted = async (
    h: Pick<ReturnType<typeof setup>, 'deps' | 'limiter'>,
    ratePerSecond: number,
    slotAfterDueMs: number,
  ) => {
    const { message } = await scheduleMessage(
      h.deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', ratePerSecond } }),
    );
    h.limiter.keys.set(`${TENANT}/k`, { nextSlotAt: message.dueAt + slotAfterDueMs, leases: {} });
    return message;
  };

  it('never asks the limiter anything for a message without flowControl', async () => {
    const { deps, limiter, deliverLatest, sender } = setup();
    await scheduleMessage(deps, TENANT, input({ delay: 10 }));
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    expect(limiter.calls).toBe(0);
  });

  it('starts a rate-limited message at its slot, and records the wait as flow-control lateness', async () => {
    // Prepare: the key's next slot is 3 s after the message is due.
    const { deps, limiter, deliverLatest, sender, store } = setup();
    const message = await slotted({ deps, limiter }, 5, 3_000);

    // Act
    expect(await deliverLatest()).toBe('delivered');

    // Assess
    expect(sender.requests[0]!.at).toBe(message.dueAt + 3_000);
    const attempt = store.messages.get(message.id)!.attempts[0]!;
    expect(attempt).toMatchObject({ latenessMs: 3_000, latenessReason: 'flow-control' });
    // A wait that long was marked (cancellable meanwhile), and its end written before the send.
    expect(store.writes.map((w) => w.op)).toEqual(['insert', 'take', 'mark-waiting', 'end-waiting', 'save']);
  });

  it('does not call an on-time start late for flow control', async () => {
    const { deps, deliverLatest, store } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', ratePerSecond: 5 } }),
    );
    expect(await deliverLatest()).toBe('delivered');
    expect(store.messages.get(message.id)!.attempts[0]!.latenessReason).toBeUndefined();
    // No wait, so no mark: a key with turns to spare costs no store write more.
    expect(store.writes.map((w) => w.op)).toEqual(['insert', 'take', 'save']);
  });

  /** The store's end of a marked wait taking `ms` (the local stack's took 30 to 60 ms in a burst). */
  const slowEndOfWait = (h: Pick<ReturnType<typeof setup>, 'store' | 'clock'>, ms: number) => {
    const endWait = h.store.endWaitForTurn.bind(h.store);
    h.store.endWaitForTurn = async (m) => {
      const ended = await endWait(m);
      h.clock.advance(ms);
      return ended;
    };
  };

  it('ends a marked wait in the lead before its slot: a 60 ms write does not start the message past its slot', async () => {
    // Prepare: the slot is 3 s out (a wait marked at once), and its end takes 60 ms to write.
    const { deps, limiter, deliverLatest, sender, store, clock } = setup();
    const message = await slotted({ deps, limiter }, 5, 3_000);
    slowEndOfWait({ store, clock }, 60);

    // Act
    expect(await deliverLatest()).toBe('delivered');

    // Assess: started at its slot, which was the only one it took (the next message's is one spacing
    // on: a start 60 ms late would put rate + 1 of them into one second), after the end of its wait.
    const slotAt = message.dueAt + 3_000;
    expect(sender.requests[0]!.at).toBe(slotAt);
    expect(limiter.keys.get(`${TENANT}/k`)!.nextSlotAt).toBe(slotAt + slotSpacingMs(5));
    const ops = store.writes.map((w) => w.op);
    expect(ops).toEqual(['insert', 'take', 'mark-waiting', 'end-waiting', 'save']);
    expect(store.writes[ops.indexOf('end-waiting')]!.at).toBe(slotAt - FLOW_START_LEAD_MS);
  });

  it('starts a message whose end of wait outlasts the lead in a new slot, never past its old one', async () => {
    const { deps, limiter, deliverLatest, sender, store, clock } = setup();
    const message = await slotted({ deps, limiter }, 5, 3_000);
    slowEndOfWait({ store, clock }, FLOW_START_LEAD_MS + 250);

    expect(await deliverLatest()).toBe('delivered');

    // Its first slot missed, it reserved the next one (free from now on) and started in it.
    const missed = message.dueAt + 3_000;
    const startedAt = sender.requests[0]!.at;
    expect(startedAt).toBe(missed + 250);
    expect(limiter.keys.get(`${TENANT}/k`)!.nextSlotAt).toBe(startedAt + slotSpacingMs(5));
    expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({ statusCode: 200 });
  });

  /** A parallelism-1 key whose one lease a live request elsewhere holds until `heldUntil`. */
  const fullKey = async (h: Pick<ReturnType<typeof setup>, 'deps' | 'limiter'>) => {
    const { message } = await scheduleMessage(
      h.deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 1 } }),
    );
    h.limiter.keys.set(`${TENANT}/k`, { leases: { elsewhere: message.dueAt + 3_600_000 } });
    return message;
  };

  it('lets a message held at a full key for over a second be cancelled: its turn is given back, nothing sent', async () => {
    // Prepare: the key frees up only once the held message has been cancelled meanwhile.
    const { deps, limiter, deliverLatest, store, sender, clock } = setup();
    const message = await fullKey({ deps, limiter });
    const views: unknown[] = [];
    // The worker polls the full key by reading it.
    const poll = limiter.reclaimExpiredLeases.bind(limiter);
    limiter.reclaimExpiredLeases = async (tenantId, key, now) => {
      const held = store.messages.get(message.id)!;
      if (held.status === 'delivering' && held.flowWaitingSince !== undefined) {
        views.push(toMessageOut(held, { withBody: false }));
        await cancelMessage(deps, TENANT, message.id, 'free');
        limiter.keys.set(`${TENANT}/k`, { leases: {} });
      }
      return poll(tenantId, key, now);
    };

    // Act
    expect(await deliverLatest()).toBe('skipped');

    // Assess: marked after a second of waiting, shown held since it was due, cancelled, never sent,
    // and the turn it got after the cancel is free again.
    expect(views[0]).toMatchObject({
      status: 'delivering',
      heldByFlowControlSince: new Date(message.dueAt).toISOString(),
    });
    const cancelled = store.messages.get(message.id)!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled).not.toHaveProperty('leaseUntil');
    expect(cancelled).not.toHaveProperty('flowWaitingSince');
    expect(sender.requests).toHaveLength(0);
    expect(limiter.keys.get(`${TENANT}/k`)!.leases).toEqual({});
    expect(clock.now()).toBeLessThan(message.dueAt + FLOW_HOLD_PER_TAKE_MS);
  });

  it('sends nothing when a cancel came in through a mark whose answer was lost: the mark may have landed', async () => {
    // Prepare: the mark lands but its answer is lost (the store client gave up after the write was
    // applied); the message shows held, so a cancel is accepted; then the key frees up.
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const message = await fullKey({ deps, limiter });
    const mark = store.markWaitingForTurn.bind(store);
    store.markWaitingForTurn = async (m, since) => {
      await mark(m, since);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };
    const answers: unknown[] = [];
    // The worker polls the full key by reading it.
    const poll = limiter.reclaimExpiredLeases.bind(limiter);
    limiter.reclaimExpiredLeases = async (tenantId, key, now) => {
      const held = store.messages.get(message.id)!;
      if (held.status === 'delivering' && held.flowWaitingSince !== undefined && answers.length === 0) {
        answers.push(await cancelMessage(deps, TENANT, message.id, 'free'));
        limiter.keys.set(`${TENANT}/k`, { leases: {} });
      }
      return poll(tenantId, key, now);
    };

    // Act
    const outcome = await deliverLatest();

    // Assess: the cancel was answered as done, and what it answered stays true: nothing sent, no
    // attempt, and the turn given back for the key's next message.
    expect(answers).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(outcome).toBe('skipped');
    expect(sender.requests).toHaveLength(0);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'cancelled', attempts: [] });
    expect(limiter.keys.get(`${TENANT}/k`)!.leases).toEqual({});
  });

  it('sends nothing when its mark is refused because a cancel came in through the same mark landed before', async () => {
    // Prepare: the mark lands, its answer is lost, a cancel comes in through it, and the store
    // client's retry of the mark is refused (the message moved on): the worker hears "not marked".
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const message = await fullKey({ deps, limiter });
    const answers: unknown[] = [];
    const mark = store.markWaitingForTurn.bind(store);
    store.markWaitingForTurn = async (m, since) => {
      await mark(m, since);
      answers.push(await cancelMessage(deps, TENANT, message.id, 'free'));
      limiter.keys.set(`${TENANT}/k`, { leases: {} });
      return mark(m, since);
    };

    // Act
    const outcome = await deliverLatest();

    // Assess: the cancel was answered as done, and nothing was sent.
    expect(answers).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(outcome).toBe('skipped');
    expect(sender.requests).toHaveLength(0);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'cancelled', attempts: [] });
    expect(limiter.keys.get(`${TENANT}/k`)!.leases).toEqual({});
  });

  it('hands a message back at once when the end of its wait lands and its answer is lost: not left delivering until its lease ends', async () => {
    // Prepare: a rate slot 3 s out (the wait is marked at once); the end of the wait lands, but its
    // answer is lost (the store client gave up after the write was applied).
    const { deps, limiter, deliverLatest, store, sender, queue, clock } = setup();
    const message = await slotted({ deps, limiter }, 5, 3_000);
    const endWait = store.endWaitForTurn.bind(store);
    store.endWaitForTurn = async (m) => {
      await endWait(m);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };

    // Act
    const callsBefore = store.calls;
    const outcome = await deliverLatest();

    // Assess: nothing sent, and the message is waiting again (not `delivering` under a lease the
    // sweep ends a minute or two later), due a second on, its take not counted towards poison, a
    // ticket for it on the queue; so a cancel is accepted meanwhile.
    expect(outcome).toBe('held');
    expect(sender.requests).toHaveLength(0);
    const held = store.messages.get(message.id)!;
    expect(held).toMatchObject({ status: 'queued', dueAt: clock.now() + 1_000, flowHeldFrom: message.dueAt });
    expect(held).not.toHaveProperty('leaseUntil');
    expect(held).not.toHaveProperty('takes');
    expect(queue.sent.at(-1)!.ticket).toMatchObject({ messageId: message.id, version: held.version });
    // The hand-back's write made at once, over the end of the wait it found by one read (this path's only).
    expect(store.writes.map((w) => w.op)).toEqual(['insert', 'take', 'mark-waiting', 'end-waiting', 'save']);
    expect(store.calls - callsBefore).toBe(5);
    expect((await cancelMessage(deps, TENANT, message.id, 'free')).status).toBe('cancelled');
  });

  it('leaves a cancel that came before an end of wait whose write threw as it is: cancelled, nothing sent', async () => {
    // Prepare: the end of the wait does not land (a cancel came first, through the mark) and throws.
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const message = await slotted({ deps, limiter }, 5, 3_000);
    const answers: unknown[] = [];
    store.endWaitForTurn = async () => {
      answers.push(await cancelMessage(deps, TENANT, message.id, 'free'));
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };

    // Act
    const outcome = await deliverLatest();

    // Assess: the message one version on is the cancel's, not the end of the wait's: no hand-back over it.
    expect(answers).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    expect(outcome).toBe('skipped');
    expect(sender.requests).toHaveLength(0);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'cancelled', attempts: [] });
  });

  it('sends a message handed back so once its next ticket comes, its lateness counted from when it was first due', async () => {
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const message = await slotted({ deps, limiter }, 5, 3_000);
    const endWait = store.endWaitForTurn.bind(store);
    let lost = true;
    store.endWaitForTurn = async (m) => {
      const ended = await endWait(m);
      if (lost) {
        lost = false;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      return ended;
    };

    expect(await deliverLatest()).toBe('held');
    expect(await deliverLatest()).toBe('delivered');

    expect(sender.requests).toHaveLength(1);
    const done = store.messages.get(message.id)!;
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ latenessReason: 'flow-control' });
    expect(done.attempts[0]!.latenessMs).toBe(sender.requests[0]!.at - message.dueAt);
  });

  it('refuses a cancel before the wait is marked and once it has ended: what may be on the wire is not cancelled', async () => {
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const message = await fullKey({ deps, limiter });
    const refusals: unknown[] = [];
    const cancel = () =>
      cancelMessage(deps, TENANT, message.id, 'free').catch((error: unknown) => refusals.push(error));
    // Each time the worker asks the key (for a lease, or polling it by a read).
    const meanwhile = async () => {
      const held = store.messages.get(message.id)!;
      if (held.flowWaitingSince === undefined)
        await cancel(); // taken, not marked yet
      else limiter.keys.set(`${TENANT}/k`, { leases: {} });
    };
    const acquire = limiter.acquireLease.bind(limiter);
    limiter.acquireLease = async (tenantId, key, lease) => {
      await meanwhile();
      return acquire(tenantId, key, lease);
    };
    const poll = limiter.reclaimExpiredLeases.bind(limiter);
    limiter.reclaimExpiredLeases = async (tenantId, key, now) => {
      await meanwhile();
      return poll(tenantId, key, now);
    };
    const endWait = store.endWaitForTurn.bind(store);
    store.endWaitForTurn = async (m) => {
      const ended = await endWait(m);
      await cancel(); // its wait is over: the request goes next
      return ended;
    };

    expect(await deliverLatest()).toBe('delivered');
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(MessageStateConflictError);
    expect(sender.requests).toHaveLength(1);
    expect(store.messages.get(message.id)!.status).toBe('delivered');
  });

  it('hands a message back to the queue when no turn comes within a take, keeping when it was due', async () => {
    // Prepare: the key's next slot is 40 s out, past what one take may hold.
    const { deps, limiter, deliverLatest, sender, store, queue, clock } = setup();
    const message = await slotted({ deps, limiter }, 1, 40_000);

    // Act
    expect(await deliverLatest()).toBe('held');

    // Assess: waiting again, due at the key's next free slot, the original due instant kept, and the
    // hand-back is not counted as a take (no creeping towards poison); the API says it is held.
    const held = store.messages.get(message.id)!;
    expect(held).toMatchObject({ status: 'queued', dueAt: message.dueAt + 40_000, flowHeldFrom: message.dueAt });
    expect(held.takes).toBeUndefined();
    expect(queue.sent.at(-1)!.ticket).toMatchObject({ messageId: message.id, dueAt: message.dueAt + 40_000 });
    expect(toMessageOut(held, { withBody: false })).toMatchObject({
      heldByFlowControlSince: new Date(message.dueAt).toISOString(),
      nextAttemptAt: new Date(message.dueAt + 40_000).toISOString(),
    });
    expect(sender.requests).toHaveLength(0);

    // And when its turn comes it goes, with its lateness counted from the first due instant.
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests[0]!.at).toBe(message.dueAt + 40_000);
    const done = store.messages.get(message.id)!;
    expect(done.attempts[0]).toMatchObject({ latenessMs: 40_000, latenessReason: 'flow-control' });
    expect(done.flowHeldFrom).toBeUndefined();
    expect(clock.now()).toBeGreaterThanOrEqual(message.dueAt + 40_000);
  });

  it('gives the first cause of a lateness: recovered by the sweep, then held by its key (in the take, or handed back), says recovered', async () => {
    for (const slotAfterSweepMs of [3_000, 40_000]) {
      // Prepare: its ticket lost, the sweep finds it a minute overdue; its key's next slot is
      // then 3 s away (held within the take) or 40 s away (handed back to the queue).
      const { deps, limiter, deliverLatest, store, queue, clock } = setup();
      const message = await slotted({ deps, limiter }, 1, 61_000 + slotAfterSweepMs);
      queue.sent.length = 0;
      clock.set(message.dueAt + 61_000);
      await sweepPending(deps, -60_000);
      expect(queue.sent.at(-1)!.ticket.latenessReason).toBe('recovered');

      // Act
      const handedBack = slotAfterSweepMs > FLOW_HOLD_PER_TAKE_MS;
      expect(await deliverLatest()).toBe(handedBack ? 'held' : 'delivered');
      if (handedBack) {
        expect(queue.sent.at(-1)!.ticket).toMatchObject({ messageId: message.id, latenessReason: 'recovered' });
        expect(await deliverLatest()).toBe('delivered');
      }

      // Assess: late from its due instant, for the reason it was late first.
      expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({
        latenessMs: 61_000 + slotAfterSweepMs,
        latenessReason: 'recovered',
      });
    }
  });

  it('sends a held message now once its flow control is removed, not at the key’s slot, and tells no lateness of the key’s as its own', async () => {
    const { deps, limiter, deliverLatest, sender, store, clock } = setup();
    const message = await slotted({ deps, limiter }, 1, 40_000);
    expect(await deliverLatest()).toBe('held');

    clock.set(message.dueAt + 5_000);
    const patched = await patchMessage(deps, TENANT, message.id, parseOrThrow(MessagePatch, { flowControl: null }));
    expect(patched.dueAt).toBe(message.dueAt + 5_000);
    expect(patched).not.toHaveProperty('flowHeldFrom');
    expect(toMessageOut(patched, { withBody: false })).not.toHaveProperty('heldByFlowControlSince');

    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests[0]!.at).toBe(message.dueAt + 5_000);
    expect(store.messages.get(message.id)!.attempts[0]!.latenessMs).toBe(0);
  });

  it('asks a held message’s new key for its turn now once a PATCH changes its flow control, not at the old key’s slot', async () => {
    // Prepare: held by key `k` (its next slot 40 s after the message was due), handed back.
    const { deps, limiter, deliverLatest, sender, store, clock } = setup();
    const message = await slotted({ deps, limiter }, 1, 40_000);
    expect(await deliverLatest()).toBe('held');

    // Act: 5 s after it was due, it is moved to a key of its own with limits to spare.
    clock.set(message.dueAt + 5_000);
    const patch = parseOrThrow(MessagePatch, { flowControl: { key: 'spare', ratePerSecond: 5 } });
    const patched = await patchMessage(deps, TENANT, message.id, patch);

    // Assess: due now, for the new key to say when; still shown held since it was first due (the
    // old key's wait is flow control's, and counts towards its hour).
    expect(patched.dueAt).toBe(message.dueAt + 5_000);
    expect(toMessageOut(patched, { withBody: false })).toMatchObject({
      heldByFlowControlSince: new Date(message.dueAt).toISOString(),
    });
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests[0]!.at).toBe(message.dueAt + 5_000);
    expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({
      latenessMs: 5_000,
      latenessReason: 'flow-control',
    });
  });

  it('leaves a held message’s due time alone when a PATCH sends the flow control it has', async () => {
    const { deps, limiter, deliverLatest, clock } = setup();
    const message = await slotted({ deps, limiter }, 1, 40_000);
    expect(await deliverLatest()).toBe('held');
    clock.set(message.dueAt + 5_000);
    const same = parseOrThrow(MessagePatch, { flowControl: { key: 'k', ratePerSecond: 1 }, metadata: { a: 'b' } });
    expect((await patchMessage(deps, TENANT, message.id, same)).dueAt).toBe(message.dueAt + 40_000);
  });

  it('hands a message back due at a whole millisecond, though a rate of 3 places slots at fractions', async () => {
    const { deps, limiter, deliverLatest, store, queue } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', ratePerSecond: 3 } }),
    );
    limiter.keys.set(`${TENANT}/k`, { nextSlotAt: message.dueAt + 20_000 + slotSpacingMs(3), leases: {} });

    expect(await deliverLatest()).toBe('held');
    const dueAt = store.messages.get(message.id)!.dueAt;
    expect(Number.isInteger(dueAt)).toBe(true);
    expect(dueAt).toBe(Math.ceil(message.dueAt + 20_000 + slotSpacingMs(3)));
    expect(DeliveryTicketSchema.safeParse(queue.sent.at(-1)!.ticket).success).toBe(true);
  });

  it('holds a message for a lease while the key is full, and hands it back after one take', async () => {
    // Prepare: both leases of a parallelism-2 key are held by live requests elsewhere.
    const { deps, limiter, deliverLatest, store, sender, clock } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 2 } }),
    );
    const far = message.dueAt + 3_600_000;
    limiter.keys.set(`${TENANT}/k`, { leases: { x: far, y: far } });

    // Act
    expect(await deliverLatest()).toBe('held');

    // Assess: it waited the take's hold (polling, not sending) and went back to the queue.
    expect(sender.requests).toHaveLength(0);
    expect(clock.now()).toBeGreaterThanOrEqual(message.dueAt + FLOW_HOLD_PER_TAKE_MS - 1_000);
    expect(store.messages.get(message.id)).toMatchObject({ status: 'queued', flowHeldFrom: message.dueAt });
  });

  it('polls a full key by reading it, not by refused writes: one write per take while the key stays full', async () => {
    // Prepare: both leases of a parallelism-2 key are held by live requests elsewhere; the limiter
    // counts what the waiting worker sends it.
    class Counting extends MemoryFlowLimiter {
      writes = 0;
      reads = 0;
      override async acquireLease(...args: Parameters<MemoryFlowLimiter['acquireLease']>) {
        this.writes += 1;
        return super.acquireLease(...args);
      }
      override async reclaimExpiredLeases(...args: Parameters<MemoryFlowLimiter['reclaimExpiredLeases']>) {
        this.reads += 1;
        return super.reclaimExpiredLeases(...args);
      }
    }
    const limiter = new Counting();
    const { deps, deliverLatest } = setup(limiter);
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 2 } }),
    );
    const far = message.dueAt + 3_600_000;
    limiter.keys.set(`${TENANT}/k`, { leases: { x: far, y: far } });

    // Act: a take holds it 15 s, polling.
    expect(await deliverLatest()).toBe('held');

    // Assess: one write (the first ask), then reads (a write costs a unit per KB of the key's item,
    // from the budget its holders give their leases back from); about one every 500 ms.
    expect(limiter.writes).toBe(1);
    expect(limiter.reads).toBeGreaterThanOrEqual(FLOW_HOLD_PER_TAKE_MS / 500);
    expect(limiter.reads).toBeLessThanOrEqual(FLOW_HOLD_PER_TAKE_MS / 500 + 6);
  });

  it('takes a lease that outlasts the rate wait and the request: no other worker reclaims it mid-request', async () => {
    // Prepare: a key limited both ways, whose next rate slot is 12 s after the message is due.
    const { deps, limiter, deliverLatest, sender } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, timeoutMs: 30_000, flowControl: { key: 'k', parallelism: 10, ratePerSecond: 1 } }),
    );
    limiter.keys.set(`${TENANT}/k`, { nextSlotAt: message.dueAt + 12_000, leases: {} });
    const acquire = limiter.acquireLease.bind(limiter);
    const leases: number[] = [];
    limiter.acquireLease = async (tenantId, key, lease) => {
      leases.push(lease.until);
      return acquire(tenantId, key, lease);
    };

    expect(await deliverLatest()).toBe('delivered');

    // The request started at its slot and may run its whole 30 s timeout: the lease lasts past that.
    const started = sender.requests[0]!.at;
    expect(started).toBe(message.dueAt + 12_000);
    expect(leases[0]).toBeGreaterThanOrEqual(started + 30_000);
  });

  it('reclaims the lease of a holder that died, then sends', async () => {
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 1 } }),
    );
    limiter.keys.set(`${TENANT}/k`, { leases: { dead: message.dueAt + 500 } });

    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
    expect(store.messages.get(message.id)!.attempts[0]!.latenessReason).toBe('flow-control');
    expect(limiter.keys.get(`${TENANT}/k`)!.leases).toEqual({});
  });

  it.each([
    { limits: 'parallelism 1', flowControl: { key: 'k', parallelism: 1 }, leaseFromDueMs: 0 },
    // A lease taken before a rate slot lasts from the end of the hold, the latest the request may start.
    {
      limits: 'parallelism 1 and a rate',
      flowControl: { key: 'k', parallelism: 1, ratePerSecond: 5 },
      leaseFromDueMs: FLOW_HOLD_PER_TAKE_MS,
    },
  ])(
    'sends the next message of a key ($limits) whose lease holder died once the lease expires at its timeout + 5 s, not before, and soon after',
    async ({ flowControl, leaseFromDueMs }) => {
      // Prepare: two messages of the key due at once, 30 s timeouts; a worker elsewhere takes the
      // first one's turn and dies mid-request (it never gives the lease back).
      const { deps, limiter, deliverLatest, sender, clock, queue } = setup();
      const [first, second] = await Promise.all(
        [0, 1].map(
          async () =>
            (await scheduleMessage(deps, TENANT, input({ delay: 10, timeoutMs: 30_000, flowControl }))).message,
        ),
      );
      const elsewhere = new FlowGate({ limiter, clock });
      clock.set(first!.dueAt);
      expect(await elsewhere.admit({ ...first!, flowControl }, first!.dueAt + FLOW_HOLD_PER_TAKE_MS)).toMatchObject({
        admitted: true,
      });
      const expiry = first!.dueAt + leaseFromDueMs + 30_000 + FLOW_LEASE_MARGIN_MS;

      // Act: the second message is taken, held and handed back until it gets its turn.
      const outcomes = [];
      while (sender.requests.length === 0 && outcomes.length < 10) {
        expect(queue.sent.at(-1)!.ticket.messageId).toBe(second!.id);
        outcomes.push(await deliverLatest());
      }

      // Assess: held while the dead holder's lease stood (35 s, or 50 s), sent within two seconds of its expiry (a
      // poll every 500 ms at most; this fixed clock also jumps a second for the worker's mark of the wait).
      expect(outcomes.at(-1)).toBe('delivered');
      expect(outcomes.slice(0, -1).every((o) => o === 'held')).toBe(true);
      const sentAt = sender.requests[0]!.at;
      expect(sentAt).toBeGreaterThanOrEqual(expiry);
      expect(sentAt).toBeLessThanOrEqual(expiry + 2_000);
    },
  );

  it('on a bad day hands a message back when the limiter fails or its hand-back throws once: no takes creep towards poison', async () => {
    // The limiter's store fails past its retries for the first eight asks (more takes than poison allows).
    class FailingLimiter extends MemoryFlowLimiter {
      failures = DEFAULT_ENGINE_SETTINGS.poisonTakes + 3;
      override async reserveSlot(...args: Parameters<MemoryFlowLimiter['reserveSlot']>) {
        if (this.failures > 0) {
          this.failures -= 1;
          throw new Error('ProvisionedThroughputExceededException (injected)');
        }
        return super.reserveSlot(...args);
      }
    }
    const { deps, limiter, deliverLatest, store, sender } = setup(new FailingLimiter());
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', ratePerSecond: 5 } }),
    );
    // And every other hand-back's write throws once before it lands.
    const save = store.save.bind(store);
    let throwNext = false;
    store.save = async (m, expected) => {
      throwNext = !throwNext;
      if (throwNext && m.flowHeldFrom !== undefined) throw new Error('InternalServerError (injected)');
      return save(m, expected);
    };

    const outcomes = [];
    while ((limiter as FailingLimiter).failures > 0) outcomes.push(await deliverLatest());
    expect(outcomes.every((o) => o === 'held')).toBe(true);
    expect(store.messages.get(message.id)!.takes).toBeUndefined();
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
  });

  it('gives a message that failed for flow control, once redelivered, a new hour and no lateness of the old round’s', async () => {
    // Prepare: failed for flow control (the key's next slot past the hour), then the key caught up.
    const { deps, limiter, deliverLatest, store, sender, clock } = setup();
    const message = await slotted({ deps, limiter }, 1, DEFAULT_ENGINE_SETTINGS.flowMaxHoldMs + 1);
    expect(await deliverLatest()).toBe('failed');
    clock.set(message.dueAt + DEFAULT_ENGINE_SETTINGS.flowMaxHoldMs + 10_000);

    // Act
    const redelivered = await redeliverMessage(deps, TENANT, message.id);
    expect(toMessageOut(redelivered, { withBody: false })).not.toHaveProperty('heldByFlowControlSince');
    expect(await deliverLatest()).toBe('delivered');

    // Assess: sent once, when redelivered, on time: the old round's wait is not this one's lateness.
    expect(sender.requests).toHaveLength(1);
    expect(sender.requests[0]!.at).toBe(redelivered.dueAt);
    const attempt = store.messages.get(message.id)!.attempts[0]!;
    expect(attempt.latenessMs).toBe(0);
    expect(attempt.latenessReason).toBeUndefined();
  });

  it('gives back a lease whose grant threw after it landed: the key’s next message goes at once, not once the lease expires', async () => {
    // Prepare: the store applies the first lease but its answer is lost past the client's retries.
    class LostGrant extends MemoryFlowLimiter {
      lose = 1;
      override async acquireLease(...args: Parameters<MemoryFlowLimiter['acquireLease']>) {
        const granted = await super.acquireLease(...args);
        if (this.lose > 0) {
          this.lose -= 1;
          throw Object.assign(new Error('socket hang up (injected)'), { name: 'TimeoutError' });
        }
        return granted;
      }
    }
    const { deps, limiter, deliverLatest, sender, store } = setup(new LostGrant());
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 1 } }),
    );

    // Act: the take that met the fault hands the message back; the next take tries again.
    expect(await deliverLatest()).toBe('held');
    const leasesAfterFault = { ...limiter.keys.get(`${TENANT}/k`)!.leases };
    expect(await deliverLatest()).toBe('delivered');

    // Assess: nothing of the lost grant was left on the key, so the message went a second later,
    // where the stray lease (10 s timeout + 5 s) held its own key back for 15 s.
    expect(leasesAfterFault).toEqual({});
    expect(sender.requests).toHaveLength(1);
    expect(sender.requests[0]!.at - message.dueAt).toBeLessThanOrEqual(1_000);
    expect(store.messages.get(message.id)!.attempts[0]).toMatchObject({ statusCode: 200 });
    expect(limiter.keys.get(`${TENANT}/k`)!.leases).toEqual({});
  });

  it('gives back the lease it took when reserving a rate slot throws: the key is not a turn short', async () => {
    // Prepare: a key limited both ways; its store fails past the client's retries for one slot.
    class FailingSlot extends MemoryFlowLimiter {
      failures = 1;
      override async reserveSlot(...args: Parameters<MemoryFlowLimiter['reserveSlot']>) {
        if (this.failures > 0) {
          this.failures -= 1;
          throw new Error('ProvisionedThroughputExceededException (injected)');
        }
        return super.reserveSlot(...args);
      }
    }
    const { deps, limiter, deliverLatest, sender } = setup(new FailingSlot());
    await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 1, ratePerSecond: 5 } }),
    );

    // Act
    expect(await deliverLatest()).toBe('held');

    // Assess: the lease is back (it would have held the key for the hold, the timeout and 5 s), and
    // the message goes on its next take.
    expect(limiter.keys.get(`${TENANT}/k`)!.leases).toEqual({});
    expect(await deliverLatest()).toBe('delivered');
    expect(sender.requests).toHaveLength(1);
  });

  it('records a delivery whose lease could not be given back, once, and the lease ends at its expiry', async () => {
    // Prepare: two messages of a parallelism-1 key due at once; giving a lease back fails past the
    // store client's retries, every time.
    class StuckRelease extends MemoryFlowLimiter {
      override async releaseLease(): Promise<void> {
        throw new Error('ProvisionedThroughputExceededException (injected)');
      }
    }
    const { deps, limiter, deliverLatest, sender, store, queue } = setup(new StuckRelease());
    const flowControl = { key: 'k', parallelism: 1 };
    const first = (await scheduleMessage(deps, TENANT, input({ delay: 10, flowControl }))).message;
    const firstTicket = queue.sent.at(-1)!;
    const second = (await scheduleMessage(deps, TENANT, input({ delay: 10, flowControl }))).message;
    const secondTicket = queue.sent.at(-1)!;

    // Act: the first is sent; then the second waits for the lease the first could not give back.
    queue.sent.push(firstTicket);
    expect(await deliverLatest()).toBe('delivered');
    queue.sent.push(secondTicket);
    const outcomes = [];
    while (sender.requests.length === 1 && outcomes.length < 10) outcomes.push(await deliverLatest());

    // Assess: the first's attempt recorded once; the second went once the stray lease expired (the
    // request's 10 s timeout + 5 s from its start), within two seconds of it, not before.
    expect(store.messages.get(first.id)!.attempts).toHaveLength(1);
    expect(store.messages.get(first.id)!.status).toBe('delivered');
    expect(sender.requests).toHaveLength(2);
    const expiry = sender.requests[0]!.at + 10_000 + FLOW_LEASE_MARGIN_MS;
    expect(sender.requests[1]!.at).toBeGreaterThanOrEqual(expiry);
    expect(sender.requests[1]!.at).toBeLessThanOrEqual(expiry + 2_000);
    expect(store.messages.get(second.id)!.status).toBe('delivered');
    // The first's stray lease was reclaimed; the second's, which could not be given back either, stands.
    const leases = Object.keys(limiter.keys.get(`${TENANT}/k`)!.leases);
    expect(leases).toHaveLength(1);
    expect(leases[0]!.startsWith(`${second.id}.`)).toBe(true);
  });

  it('finishes a message a full key held back for the whole hour failed with reason flow-control, never sent', async () => {
    // Prepare: both leases of a parallelism-2 key are held by live requests for longer than the hour.
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', parallelism: 2 } }),
    );
    const far = message.dueAt + 2 * DEFAULT_ENGINE_SETTINGS.flowMaxHoldMs;
    limiter.keys.set(`${TENANT}/k`, { leases: { x: far, y: far } });

    // Act: taken and handed back, one hold after another.
    const outcomes = [];
    for (let take = 0; take < 300 && outcomes.at(-1) !== 'failed'; take += 1) outcomes.push(await deliverLatest());

    // Assess: held each take until the hour was up (about 240 holds of 15 s), then failed, never sent.
    expect(outcomes.at(-1)).toBe('failed');
    expect(outcomes.slice(0, -1).every((o) => o === 'held')).toBe(true);
    expect(outcomes.length).toBeGreaterThanOrEqual(DEFAULT_ENGINE_SETTINGS.flowMaxHoldMs / FLOW_HOLD_PER_TAKE_MS);
    const failed = store.messages.get(message.id)!;
    expect(failed).toMatchObject({ status: 'failed', attempts: [] });
    expect(failed.failureReason).toMatchObject({ code: 'flow-control' });
    expect(failed.takes).toBeUndefined();
    expect(sender.requests).toHaveLength(0);
  });

  it('finishes a message held past the longest hold failed with reason flow-control, never sent', async () => {
    const { deps, limiter, deliverLatest, store, sender } = setup();
    const { message } = await scheduleMessage(
      deps,
      TENANT,
      input({ delay: 10, flowControl: { key: 'k', ratePerSecond: 1 } }),
    );
    limiter.keys.set(`${TENANT}/k`, {
      nextSlotAt: message.dueAt + DEFAULT_ENGINE_SETTINGS.flowMaxHoldMs + 1,
      leases: {},
    });

    expect(await deliverLatest()).toBe('failed');
    const failed = store.messages.get(message.id)!;
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toMatchObject({
      code: 'flow-control',
      detail: expect.stringMatching(/^Flow control key "k" had no free turn for it within 60 min/),
    });
    expect(sender.requests).toHaveLength(0);
  });
});
