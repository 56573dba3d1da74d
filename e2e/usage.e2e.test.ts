/**
 * Exact accounting across a crash: a mixed run (deliveries, retries, give-ups, a batch, a
 * redeliver) with a kill -9 of the local stack in the middle of it. Afterwards the counters the
 * tenant sees (GET /v1/usage) equal what its receiver got: attempts = distinct (webhook-id,
 * vigil-attempt) pairs, delivered = distinct pairs answered 2xx, failed = distinct pairs answered
 * 410 (each ends its round), scheduled = messages accepted plus redelivers.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ReceivedWebhook, Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, StackProcess } from './target';

let stack: StackProcess;
let receiver: Receiver;

/** `/flaky/*` answers 500 to its first request and 200 after; `/gone/*` always 410; the rest 200. */
const respond = ({ path, count }: { path: string; count: number }) => {
  if (path.startsWith('/gone/')) return 410;
  if (path.startsWith('/flaky/')) return count === 0 ? 500 : 200;
  return 200;
};

beforeAll(async () => {
  receiver = await startReceiver({ respond });
  stack = await StackProcess.create();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
  const until = Date.now() + timeoutMs;
  // A poll that fails (a keep-alive connection closed under it) is just tried again.
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
};

interface Totals {
  scheduled: number;
  delivered: number;
  failed: number;
  attempts: number;
}

describe('usage after a crash', () => {
  it('counts exactly what the receiver got, across a kill -9 in the middle of a mixed run', async () => {
    let apiKey = await stack.start();
    const call = (method: string, path: string, body?: unknown) => callApi(stack.baseUrl, apiKey, method, path, body);
    const accepted: string[] = [];
    const idOf = new Map<string, string>();
    const create = async (path: string, delay: number) => {
      const { status, json } = await call('POST', '/v1/messages', {
        url: `${receiver.url}${path}`,
        delay,
        retry: { maxAttempts: 3 },
      });
      expect(status).toBe(201);
      accepted.push(json.id as string);
      idOf.set(path, json.id as string);
    };

    // Due before, around and after the kill: plain, flaky (a retry each) and gone (given up).
    const plan: Array<[string, number]> = [];
    for (let i = 0; i < 12; i += 1) plan.push([`/ok/${i}`, 1 + (i % 6) * 1.5]);
    for (let i = 0; i < 6; i += 1) plan.push([`/flaky/${i}`, 1 + i * 1.2]);
    for (let i = 0; i < 3; i += 1) plan.push([`/gone/${i}`, 2 + i * 2]);
    await Promise.all(plan.map(([path, delay]) => create(path, delay)));
    const batch = await call('POST', '/v1/messages/batch', {
      messages: [0, 1, 2].map((i) => ({ url: `${receiver.url}/batch/${i}`, delay: 3 + i * 2 })),
    });
    expect(batch.status).toBe(201);
    accepted.push(...(batch.json.items as Array<{ id: string }>).map((m) => m.id));

    // Kill -9 while deliveries and retries are under way, then start again on the same data dir.
    await receiver.waitFor((all) => all.length >= 8, 20_000);
    await stack.stop('SIGKILL');
    await sleep(1_000);
    apiKey = await stack.start();

    const finished = async (id: string) => {
      const { json } = await call('GET', `/v1/messages/${id}`);
      return json.status === 'delivered' || json.status === 'failed';
    };
    const allFinished = async () => (await Promise.all(accepted.map(finished))).every(Boolean);
    await waitUntil('every message delivered or failed', allFinished, 150_000).catch(async (error: Error) => {
      const states = await Promise.all(accepted.map(async (id) => (await call('GET', `/v1/messages/${id}`)).json));
      const open = states.filter((m) => m.status !== 'delivered' && m.status !== 'failed');
      throw new Error(`${error.message}: ${JSON.stringify(open)}\n${stack.output.slice(-3_000)}`);
    });

    // One redeliver: a new round, counted as scheduled, attempted and delivered again.
    const redelivered = idOf.get('/ok/0') as string;
    expect((await call('POST', `/v1/messages/${redelivered}/redeliver`)).status).toBeLessThan(300);
    await waitUntil('the redelivered message delivered again', () => finished(redelivered), 30_000);

    // What the receiver got.
    const pair = (r: ReceivedWebhook) => `${r.headers['webhook-id']}/${r.headers['vigil-attempt']}`;
    const expected = (): Totals => ({
      scheduled: accepted.length + 1,
      attempts: new Set(receiver.received.map(pair)).size,
      delivered: new Set(receiver.received.filter((r) => r.status < 300).map(pair)).size,
      failed: new Set(receiver.received.filter((r) => r.status === 410).map(pair)).size,
    });
    const counted = async (): Promise<Totals> => {
      const { json } = await call('GET', '/v1/usage');
      const days = json.days as Totals[];
      const sum = (kind: keyof Totals) => days.reduce((total, day) => total + day[kind], 0);
      return {
        scheduled: sum('scheduled'),
        delivered: sum('delivered'),
        failed: sum('failed'),
        attempts: sum('attempts'),
      };
    };
    let last: Totals | undefined;
    await waitUntil(
      'usage equal to what the receiver got',
      async () => {
        last = await counted();
        // (Compared as values: the two objects list their counters in different orders.)
        return isDeepStrictEqual(last, expected());
      },
      15_000,
    ).catch(() => undefined);
    expect(last).toEqual(expected());
    // The run was what it meant to be: retries, give-ups, a redeliver.
    expect(expected()).toMatchObject({ failed: 3, delivered: accepted.length - 3 + 1 });
    // (A flaky message whose first attempt was sent before the kill and not recorded gets the
    // same attempt number again after the restart: one pair for two requests, counted once.)
    expect(receiver.received.filter((r) => r.status === 500).length).toBeGreaterThan(0);
    expect(expected().attempts).toBeGreaterThanOrEqual(accepted.length + 1);
  }, 240_000);
});
