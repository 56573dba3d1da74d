import { describe, expect, it } from 'vitest';
import {
  bucketFor,
  checkEngineSettings,
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  DELIVERY_BATCH_SIZE,
  judgeAttempt,
  placeTickets,
  queueDelaySeconds,
  retryDelayMs,
  routeFor,
} from '../src';

const s = DEFAULT_ENGINE_SETTINGS;
const now = Date.parse('2026-11-23T10:00:00.000Z');

describe('routing', () => {
  it('sends a message due within the near window to the queue, surfacing it about the arm lead and the gather window early', () => {
    // Prepare: due in 10.5 s; arm lead 1 s, gather window 1 s
    const route = routeFor(now + 10_500, now, s);
    // Assess: near; 8.5 s → 8 whole seconds of delay, so it surfaces 2.5 s before it is due and a
    // worker has it at least 1.5 s before, however long its consumer gathered
    expect(route).toEqual({ path: 'near' });
    expect(queueDelaySeconds(now + 10_500, now, s)).toBe(8);
    expect(placeTickets([{ dueAt: now + 10_500 }], now, s)).toEqual([
      { ticket: { dueAt: now + 10_500 }, delaySeconds: 8, prompt: false },
    ]);
    // Not gathered, or without gathering: the arm lead alone.
    expect(queueDelaySeconds(now + 10_500, now, s, false)).toBe(9);
    expect(placeTickets([{ dueAt: now + 10_500 }], now, { ...s, gatherWindowMs: 0 })).toEqual([
      { ticket: { dueAt: now + 10_500 }, delaySeconds: 9, prompt: false },
    ]);
  });

  it('puts on the prompt queue a ticket due too soon to wait out the gather window, and none without gathering', () => {
    const prompt = (dueAt: number, settings = s) => placeTickets([{ dueAt }], now, settings)[0]!.prompt;
    expect(prompt(now + 1_999)).toBe(true);
    expect(prompt(now - 5_000)).toBe(true); // overdue (the sweep's)
    expect(prompt(now + 2_000)).toBe(false); // surfaces now; a worker has it ≥ 1 s early
    expect(prompt(now + 1_000, { ...s, gatherWindowMs: 0 })).toBe(false);
  });

  it('puts on the prompt queue tickets enqueued together that fill batches by themselves, and gathers the rest', () => {
    // A batch create: ten due at one instant (a worker's batch), and two others a few seconds apart.
    const batch = Array.from({ length: DELIVERY_BATCH_SIZE }, () => ({ dueAt: now + 30_000 }));
    const placed = placeTickets([...batch, { dueAt: now + 20_000 }, { dueAt: now + 40_000 }], now, s);
    expect(placed.map((p) => [p.delaySeconds, p.prompt])).toEqual([
      ...batch.map(() => [29, true]),
      [18, false],
      [38, false],
    ]);
    // Nine in a second do not fill a batch: gathered.
    expect(placeTickets(batch.slice(1), now, s).every((p) => !p.prompt && p.delaySeconds === 28)).toBe(true);
  });

  it('never asks SQS for a negative delay or one past 900 s', () => {
    expect(queueDelaySeconds(now - 5_000, now, s)).toBe(0);
    expect(queueDelaySeconds(now + 2_000_000, now, s)).toBe(900);
  });

  it('puts a message beyond the near window in the bucket whose timer fires at least the far lead before it', () => {
    const dueAt = Date.parse('2026-11-23T12:00:30.000Z');
    const route = routeFor(dueAt, now, s);
    expect(route).toEqual({ path: 'far', bucketAt: Date.parse('2026-11-23T11:58:00.000Z') });
    // The timer may fire anywhere inside its minute: even at its last instant, the message is still 90 s away.
    const latestFire = bucketFor(dueAt, s) + s.bucketMs;
    expect(dueAt - latestFire).toBeGreaterThanOrEqual(s.farLeadMs - s.bucketMs);
  });

  it('treats exactly the near window as near', () => {
    expect(routeFor(now + s.nearWindowMs, now, s).path).toBe('near');
    expect(routeFor(now + s.nearWindowMs + 1, now, s).path).toBe('far');
  });

  it('accepts the default settings and refuses ones that would set far timers in the past', () => {
    expect(checkEngineSettings(s)).toEqual([]);
    expect(checkEngineSettings({ ...s, nearWindowMs: 60_000 })).not.toEqual([]);
  });
});

describe('backoff', () => {
  it('grows exponentially with the attempt number and stays within its jitter band', () => {
    const first = retryDelayMs(1, DEFAULT_BACKOFF, 0);
    const second = retryDelayMs(2, DEFAULT_BACKOFF, 0);
    expect(first).toBe(5_000);
    expect(second).toBe(20_000);
    expect(retryDelayMs(1, DEFAULT_BACKOFF, 0.999)).toBeLessThan(10_000);
  });

  it('never waits longer than the cap', () => {
    expect(retryDelayMs(30, DEFAULT_BACKOFF, 0.999)).toBeLessThanOrEqual(DEFAULT_BACKOFF.capMs);
  });

  it('delivers on 2xx, stops on 410 Gone, retries other failures until the budget is spent', () => {
    expect(judgeAttempt({ statusCode: 204 }, 1, 8)).toBe('delivered');
    expect(judgeAttempt({ statusCode: 410 }, 1, 8)).toBe('give-up');
    expect(judgeAttempt({ statusCode: 500 }, 1, 8)).toBe('retry');
    expect(judgeAttempt({ statusCode: 302 }, 1, 8)).toBe('retry');
    expect(judgeAttempt({}, 7, 8)).toBe('retry');
    expect(judgeAttempt({}, 8, 8)).toBe('give-up');
    expect(judgeAttempt({ permanent: true }, 1, 8)).toBe('give-up');
  });
});
