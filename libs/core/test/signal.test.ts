/**
 * The delivery worker's wake-up signal. Its rush fires only under a burst, so at a steady load it
 * can go unfired for the life of the process while every held ticket waits on it: whatever a
 * wait leaves on the signal accumulates (the soak found it, one race per delivery).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { DeliveryTicket } from '../src';
import { DEFAULT_BACKOFF, DEFAULT_ENGINE_SETTINGS, DeliveryWorker, FixedClock, Signal } from '../src';
import { MemoryQueue, MemoryStore, MemoryTimer, ScriptedSender, silentLog } from './memory-ports';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage once the current job is over (a WeakRef made in a job holds until it ends). */
const collected = async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
};

/** How many of `count` waits on a signal that never fires are still reachable after they ended. */
const keptAfterWaits = async (wait: (signal: Signal, until: Promise<void>) => Promise<unknown>, count: number) => {
  const signal = new Signal();
  const refs: Array<WeakRef<object>> = [];
  /** One wait, seen only through a WeakRef once it is over. */
  const waitOnce = async () => {
    const waited = wait(signal, Promise.resolve());
    refs.push(new WeakRef(waited));
    await waited;
  };
  for (let i = 0; i < count; i += 1) await waitOnce();
  await collected();
  return { kept: refs.filter((ref) => ref.deref() !== undefined).length, waiting: signal.waiting };
};

describe('Signal', () => {
  it('wakes every waiter at once when fired, before their own deadlines', async () => {
    const signal = new Signal();
    let woken = 0;
    const never = new Promise<void>(() => {});
    const waits = [signal.wait(never), signal.wait(never)].map((w) => w.then(() => (woken += 1)));
    expect(signal.waiting).toBe(2);
    signal.fire();
    await Promise.all(waits);
    expect(woken).toBe(2);
    expect(signal.waiting).toBe(0);
  });

  it('lets a waiter go at its own deadline (resolved or rejected), and a later fire wakes only later waits', async () => {
    const signal = new Signal();
    await signal.wait(Promise.resolve());
    await signal.wait(Promise.reject(new Error('the deadline failed')));
    expect(signal.waiting).toBe(0);
    signal.fire();
    let woken = false;
    const later = signal.wait(new Promise<void>(() => {})).then(() => (woken = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(woken).toBe(false);
    signal.fire();
    await later;
    expect(woken).toBe(true);
  });

  it('keeps nothing of 2,000 waits that ended by their deadlines on a signal that never fires', async () => {
    // What the delivery worker did before: a race against one long-lived promise. Each race adds
    // a reaction to that promise, which holds the race until the promise settles: never, here.
    const longLived = new Promise<void>(() => {});
    const raced = await keptAfterWaits((_signal, until) => Promise.race([until, longLived]), 2_000);
    expect(raced.kept).toBe(2_000);

    const waited = await keptAfterWaits((signal, until) => signal.wait(until), 2_000);
    expect(waited).toEqual({ kept: 0, waiting: 0 });
  });
});

describe('the delivery worker at a steady load', () => {
  /** A store whose every message was taken by another worker already: each delivery ends at its take. */
  class TakenElsewhere extends MemoryStore {
    override async take(): Promise<undefined> {
      return undefined;
    }
  }

  it('keeps no memory for the tickets it held: 20,000 deliveries while its rush never fires', async () => {
    const clock = new FixedClock(Date.parse('2026-12-02T06:00:00.000Z'));
    const worker = new DeliveryWorker({
      store: new TakenElsewhere(() => clock.now()),
      queue: new MemoryQueue(),
      timer: new MemoryTimer(),
      clock,
      settings: DEFAULT_ENGINE_SETTINGS,
      log: silentLog,
      tenants: { forDelivery: async () => ({ signingSecrets: [], plan: 'free' }) },
      deliveryTargets: { http: new ScriptedSender([{ statusCode: 200 }], () => clock.now()) },
      backoff: DEFAULT_BACKOFF,
      random: () => 0.5,
    });
    // One ticket at a time: never more held than their takes fit into the take lead, so every
    // ticket waits for its take lead (or the rush), and the rush never fires.
    const ticket: DeliveryTicket = { tenantId: 'tnt_a', messageId: 'msg_a', version: 1, dueAt: clock.now() + 1_000 };
    const deliverMany = async (count: number) => {
      for (let i = 0; i < count; i += 1) expect(await worker.deliver(ticket)).toBe('skipped');
    };
    await deliverMany(1_000); // warm-up: compiled code, the worker's own fields
    await collected();
    const before = process.memoryUsage().heapUsed;
    await deliverMany(20_000);
    await collected();
    const grownBytes = process.memoryUsage().heapUsed - before;
    // Before the fix each wait left a race on the rush signal: about 6 MB for 20,000 deliveries.
    expect(grownBytes).toBeLessThan(1024 * 1024);
  });
});
