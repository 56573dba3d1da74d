/**
 * The flow gate: lets a taken, flow-controlled message start only when its flow key has a free
 * turn (flow-control.ts), holding it meanwhile, never past `holdUntil`.
 *
 * - A lease (parallelism) is asked for once the message is due. Inside one worker, the messages
 *   waiting for the same key form a line: only its head asks the store, polling with back-off
 *   (and now and then reclaiming leases whose holders died), and is woken at once when a lease of
 *   this worker comes back. So a burst costs about one read per poll, not one per message; once
 *   refused, the head polls by reading the key, and asks for a lease again only when it has room.
 *   Messages of one key asking for different parallelism form lines of their own, so one the key has
 *   room for never waits behind one allowing fewer.
 * - A rate slot is reserved from the due instant on (so, for a message limited by rate alone, in
 *   the take lead, before it is due); the message sleeps until its slot and, should it wake too
 *   late to honour it, reserves again. A lease taken before that wait lasts from `holdUntil`, the
 *   latest the request may start, so it never runs out while its request is still on the wire.
 * - A write the caller must make before the start (`BeforeStart`: ending a marked wait) is made
 *   in the lead before the slot, FLOW_START_LEAD_MS ahead (arm early, fire on time), not between
 *   the slot and the start, where its latency pushed the start past the slot's tolerance without a
 *   new slot, and let rate + 1 starts into one second. Should it take longer than the lead, the
 *   start misses its slot and reserves again, like any late wake.
 */
import type { Clock } from '../clock';
import type { FlowControl } from '../flow-control';
import {
  FLOW_CANCELLABLE_AFTER_MS,
  FLOW_START_LEAD_MS,
  leaseLengthMs,
  pollWaitMs,
  slotSpacingMs,
  startsInSlot,
} from '../flow-control';
import type { Message } from '../message';
import type { FlowLimiter } from '../ports';
import { Signal } from '../signal';

export type FlowAdmission =
  | {
      admitted: true;
      /** True when the gate made the message wait (a busy key), so its lateness is flow control's. */
      held: boolean;
      /** Ends the message's turn (its lease, if any); call once its request is over. */
      release: () => Promise<void>;
    }
  /** No turn came before `holdUntil`; `retryAt` is when one may (for a rate, the key's next free slot). */
  | { admitted: false; retryAt: number }
  /** The caller's write before the start said no (`BeforeStart.run`): the turn is given back. */
  | { admitted: false; stopped: true };

/**
 * What the caller does last before the message may start: end a marked wait with a conditional
 * write, which decides between a cancel and the send. The gate runs it once, in the lead before the
 * rate slot while a write is pending, else just before admitting.
 */
export interface BeforeStart {
  /** True while a write is to be made: the slot is then reserved no sooner than the lead it needs. */
  pending(): boolean;
  /** Does it; false stops the admission (the gate gives the turn back). */
  run(): Promise<boolean>;
}

/** Waiters for one key's leases in this worker, asking for the same parallelism: only the head asks the store. */
interface Line {
  tail: Promise<void>;
  members: number;
  /** Fired when this worker gives a lease of the key back. */
  released: Signal;
  /** How many times it fired (so the head knows it was woken by one, and asks without a read first). */
  releases: number;
}

export class FlowGate {
  /** The lines of each key waited on in this worker (by lineKey), by the parallelism they ask for. */
  private readonly lines = new Map<string, Map<number, Line>>();

  constructor(private readonly deps: { limiter: FlowLimiter; clock: Clock }) {}

  /**
   * Waits for the message's turn under its `flowControl`, at most until `holdUntil`. `onWaiting` is
   * told when it has to wait: for a lease, for as long as it takes (`untilAt` unknown), or for a rate
   * slot FLOW_CANCELLABLE_AFTER_MS or more away (until `untilAt`); more than once, maybe.
   * `beforeStart` is run once before the start: in the lead before a rate slot (see above).
   */
  async admit(
    message: Message & { flowControl: FlowControl },
    holdUntil: number,
    onWaiting: (untilAt?: number) => void = () => {},
    beforeStart?: BeforeStart,
  ): Promise<FlowAdmission> {
    const { clock, limiter } = this.deps;
    const { tenantId, flowControl: flow } = message;
    let held = false;
    let leaseId: string | undefined;
    if (flow.parallelism !== undefined) {
      await clock.sleepUntil(message.dueAt);
      const id = `${message.id}.${message.version}`;
      const lease = await this.lease(tenantId, flow.key, {
        id,
        parallelism: flow.parallelism,
        holdUntil,
        lengthMs: leaseLengthMs(message.timeoutMs),
        // A rate slot may make it wait until holdUntil before its request starts: the lease covers that wait.
        startBy: flow.ratePerSecond === undefined ? undefined : holdUntil,
        onWaiting,
      });
      if (lease === 'none') return { admitted: false, retryAt: clock.now() };
      held = lease === 'waited';
      leaseId = id;
    }
    const release = async () => {
      if (leaseId === undefined) return;
      await limiter.releaseLease(tenantId, flow.key, leaseId);
      // Wakes the head of every line of the key in this worker, whatever parallelism it asks for.
      for (const line of this.lines.get(lineKey(tenantId, flow.key))?.values() ?? []) {
        line.releases += 1;
        line.released.fire();
      }
    };
    let ran = false;
    /** Runs the caller's `beforeStart` once; false when it stopped the admission (the turn given back). */
    const readyToStart = async (): Promise<boolean> => {
      if (!beforeStart || ran) return true;
      ran = true;
      if (await beforeStart.run()) return true;
      await release();
      return false;
    };
    if (flow.ratePerSecond !== undefined) {
      const spacingMs = slotSpacingMs(flow.ratePerSecond);
      try {
        for (;;) {
          const now = clock.now();
          const startable = Math.max(now, message.dueAt);
          // A write still to make before the start: a slot no sooner than the lead it needs.
          const from = !ran && beforeStart?.pending() ? Math.max(startable, now + FLOW_START_LEAD_MS) : startable;
          const slot = await limiter.reserveSlot(tenantId, flow.key, { from, spacingMs, latest: holdUntil, now });
          if ('freeAt' in slot) {
            await release();
            // Slots are fractional ms; a due time is a whole one (tickets carry integers), never earlier.
            return { admitted: false, retryAt: Math.ceil(slot.freeAt) };
          }
          held ||= slot.slotAt > startable;
          if (slot.slotAt - now >= FLOW_CANCELLABLE_AFTER_MS) onWaiting(slot.slotAt);
          if (!ran && beforeStart?.pending()) await clock.sleepUntil(slot.slotAt - FLOW_START_LEAD_MS);
          if (!(await readyToStart())) return { admitted: false, stopped: true };
          await clock.sleepUntil(slot.slotAt);
          if (startsInSlot(slot.slotAt, clock.now())) break;
          // Woke too late to honour the slot (a busy event loop, a slow write): starting now could crowd a second.
          held = true;
        }
      } catch (error) {
        // The store failed mid-admission (past its client's retries): the lease taken for it is
        // given back, not left to expire (a key of parallelism 1 stood still for up to 50 s).
        await release().catch(() => {});
        throw error;
      }
    } else if (!(await readyToStart())) {
      return { admitted: false, stopped: true };
    }
    return { admitted: true, held, release };
  }

  /** Takes a lease for the key, waiting in this worker's line for it; 'none' when `holdUntil` came first. */
  private async lease(
    tenantId: string,
    key: string,
    lease: {
      id: string;
      parallelism: number;
      holdUntil: number;
      lengthMs: number;
      startBy?: number;
      onWaiting: (untilAt?: number) => void;
    },
  ): Promise<'at-once' | 'waited' | 'none'> {
    const { clock, limiter } = this.deps;
    const name = lineKey(tenantId, key);
    const ofKey = this.lines.get(name) ?? new Map<number, Line>();
    this.lines.set(name, ofKey);
    const line = ofKey.get(lease.parallelism) ?? {
      tail: Promise.resolve(),
      members: 0,
      released: new Signal(),
      releases: 0,
    };
    ofKey.set(lease.parallelism, line);
    line.members += 1;
    const before = line.tail;
    let leave: () => void = () => {};
    line.tail = new Promise<void>((resolve) => {
      leave = resolve;
    });
    let head = false;
    try {
      let waited = false;
      if (line.members > 1) {
        waited = true;
        lease.onWaiting();
        await Promise.race([before, clock.sleepUntil(lease.holdUntil)]);
        if (clock.now() >= lease.holdUntil) return 'none';
      }
      head = true;
      for (let failures = 0, woken = false; ;) {
        // Once refused, the head polls by reading the key (reclaiming leases whose holders died) and
        // asks again only when it shows room: a key's writes are throttled past its item's share (a
        // unit per KB of it, up to 45 KB), and a full key's polls as refused writes crowded out its
        // holders' give-backs; a read costs a fifth of a write, from a budget of its own. Woken by a
        // lease this worker gave back, it asks at once: there is room, as far as it can know.
        const room =
          failures === 0 ||
          woken ||
          (await limiter.reclaimExpiredLeases(tenantId, key, clock.now())).held < lease.parallelism;
        if (room) {
          const now = clock.now();
          // Long enough for the request, from the latest instant it may start.
          const until = Math.max(now, lease.startBy ?? now) + lease.lengthMs;
          const granted = await limiter
            .acquireLease(tenantId, key, { id: lease.id, until, parallelism: lease.parallelism, now })
            .catch(async (error: unknown) => {
              // It may have landed, its answer lost past the store client's retries: the lease is given
              // back (nothing, if it did not land), not left to expire with the key a turn short (35 s).
              await limiter.releaseLease(tenantId, key, lease.id).catch(() => {});
              throw error;
            });
          if (granted) return waited ? 'waited' : 'at-once';
        }
        waited = true;
        failures += 1;
        if (failures === 1) lease.onWaiting();
        const wakeAt = Math.min(lease.holdUntil, clock.now() + pollWaitMs(failures));
        const releases = line.releases;
        await line.released.wait(clock.sleepUntil(wakeAt));
        woken = line.releases !== releases;
        if (clock.now() >= lease.holdUntil) return 'none';
      }
    } finally {
      // The next in line goes when this one is done, never before its predecessor is.
      if (head) leave();
      else void before.then(leave);
      line.members -= 1;
      if (line.members === 0 && ofKey.get(lease.parallelism) === line) ofKey.delete(lease.parallelism);
      if (ofKey.size === 0 && this.lines.get(name) === ofKey) this.lines.delete(name);
    }
  }
}

/**
 * A key's waiters in this worker, in lines by the parallelism they ask for: with mixed limits on one
 * key, a message the key has room for is not held behind one allowing fewer (for its whole hold,
 * then handed back).
 */
const lineKey = (tenantId: string, key: string) => `${tenantId}\n${key}`;
