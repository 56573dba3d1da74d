/**
 * Deliver's two event sources on the local stack, as deployed: the delivery queue's poller gathers
 * tickets for up to the gather window, so tickets due about the same second share one worker
 * invocation (one held invocation instead of one each: what a delivery's held time costs on AWS),
 * and a ticket due too soon to wait that long goes on the prompt queue, handed over as it comes.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiClient, FAST_ENGINE_ENV, waitFor } from '../../../test-support/local-stack';
import type { Receiver } from './receiver';
import { startReceiver } from './receiver';
import type { LocalStack } from './stack';
import { startStack } from './stack';

describe('delivery tickets gathered per second, prompt ones not kept waiting', () => {
  let stack: LocalStack;
  let receiver: Receiver;
  let api: ReturnType<typeof apiClient>;
  /** Deliver invocations. */
  const delivers: number[] = [];
  /** The TicketsPerInvocation metric's values, from the EMF lines deliver writes to stdout. */
  const ticketsPerInvocation: number[] = [];
  const write = process.stdout.write.bind(process.stdout);

  beforeAll(async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
      const text = String(chunk);
      if (!text.includes('"TicketsPerInvocation"')) return write(chunk, ...(rest as []));
      ticketsPerInvocation.push(JSON.parse(text).TicketsPerInvocation as number);
      return true;
    });
    receiver = await startReceiver({ port: 0 });
    stack = await startStack({
      port: 0,
      host: '127.0.0.1',
      dataDir: await mkdtemp(join(tmpdir(), 'vigil-gather-')),
      sweepEveryMs: 60_000,
      authCacheMs: 60_000,
      rateLimits: true,
      // Metrics on, as deployed: deliver writes how many tickets each invocation was handed.
      env: { ...FAST_ENGINE_ENV, VIGIL_METRICS: 'on' },
      observer: {
        instrument: () => {},
        invocation: (functionName, run) => {
          if (functionName !== 'deliver') return run();
          delivers.push(0);
          return run();
        },
      },
    });
    api = apiClient(stack.url, stack.apiKey);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
    vi.restoreAllMocks();
  });

  const attemptOf = async (id: string) =>
    (
      await waitFor(
        () => api.get(`/v1/messages/${id}`),
        (r) => r.json.status === 'delivered',
      )
    ).json.lastAttempt as { latenessMs: number };

  it('gathers: the engine allows for the window, and the local poller gathers for as long', () => {
    expect(stack.runtime.config.engine.gatherWindowMs).toBe(1_000);
    expect(stack.runtime.config.promptQueueUrl).not.toBe(stack.runtime.config.deliveryQueueUrl);
  });

  it('hands ten tickets due within the same second to a few worker invocations, each sent on time', async () => {
    // Arrange: ten messages 50 ms apart, each due 4 s after it was created (on the delivery queue:
    // more than the arm lead plus the gather window away).
    const before = delivers.length;
    const metered = ticketsPerInvocation.length;
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const sendAt = new Date(Date.now() + 4_000).toISOString();
      ids.push((await api.post('/v1/messages', { url: `${receiver.url}/gathered/${i}`, sendAt })).json.id);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Act
    const attempts = await Promise.all(ids.map(attemptOf));

    // Assert: never early, on time; and far fewer invocations than tickets (one each without gathering).
    // On time within half a second: ten sends in one second on CI's loaded two cores (the other test
    // run beside this one) came up to 359 ms late from the CPU alone, where a quiet machine sends
    // each within 1 ms (precision is the bench's to measure: bench/ burst p99).
    const lateness = attempts.map((attempt) => attempt.latenessMs);
    expect(Math.min(...lateness), `lateness ${lateness.join(', ')} ms`).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lateness), `lateness ${lateness.join(', ')} ms`).toBeLessThan(500);
    expect(delivers.length - before).toBeLessThanOrEqual(5);
    // The metric says as much: one value an invocation, the ten tickets between them.
    const values = ticketsPerInvocation.slice(metered);
    expect(values).toHaveLength(delivers.length - before);
    expect(values.reduce((sum, n) => sum + n, 0)).toBe(10);
  }, 30_000);

  it('sends a message due within the gather window without waiting the window out', async () => {
    // Arrange: due 600 ms after it is created; gathered, it would reach a worker a second after it surfaced.
    const sendAt = new Date(Date.now() + 600).toISOString();

    // Act
    const { id } = (await api.post('/v1/messages', { url: `${receiver.url}/prompt`, sendAt })).json;

    // Assert
    const attempt = await attemptOf(id);
    expect(attempt.latenessMs).toBeGreaterThanOrEqual(0);
    expect(attempt.latenessMs).toBeLessThan(250);
  }, 30_000);
});
