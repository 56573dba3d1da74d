import { describe, expect, it } from 'vitest';
import {
  bucketFor,
  checkEngineSettings,
  DEFAULT_BACKOFF,
  DEFAULT_ENGINE_SETTINGS,
  judgeAttempt,
  queueDelaySeconds,
  retryDelayMs,
  routeFor,
} from '../src';

const s = DEFAULT_ENGINE_SETTINGS;
const now = Date.parse('2026-11-23T10:00:00.000Z');

describe('routing', () => {
  it('sends a message due within the near window to the queue, surfacing it about the arm lead early', () => {
    // Prepare: due in 10.5 s; arm lead 1 s
    const route = routeFor(now + 10_500, now, s);
    // Assess: near; 9.5 s → 9 whole seconds of delay, so it surfaces 1.5 s before it is due
    expect(route).toEqual({ path: 'near' });
    expect(queueDelaySeconds(now + 10_500, now, s)).toBe(9);
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
