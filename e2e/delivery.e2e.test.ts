/**
 * The canary suite: schedules real webhooks through the public API and watches them arrive at a
 * receiver: every one exactly once, verified, never before its sendAt, on the near and the far
 * path; retries, 410 and cancel behave; and (local only) a crash and restart loses nothing.
 */
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { E2eTarget } from './target';
import { remoteTarget, StackProcess } from './target';

let target: E2eTarget;
let stack: StackProcess | undefined;
let receiver: Receiver;
/** The URL the stack should call: the receiver itself, or its public forwarder for a deployed stage. */
let receiverUrl: string;

const respond = ({ path, count }: { path: string; count: number }) => {
  if (path.startsWith('/fail-twice')) return count < 2 ? 500 : 200;
  if (path.startsWith('/gone')) return 410;
  return 200;
};

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${target.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${target.apiKey}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as any };
};

const schedule = async (path: string, delaySeconds: number, extra: Record<string, unknown> = {}) => {
  const { status, json } = await api('POST', '/v1/messages', {
    url: `${receiverUrl}${path}`,
    delay: delaySeconds,
    body: { path },
    ...extra,
  });
  expect(status).toBe(201);
  return json as { id: string; sendAt: string; status: string };
};

const arrivals = (id: string) => receiver.received.filter((r) => r.headers['webhook-id'] === id);

beforeAll(async () => {
  const remote = remoteTarget();
  receiver = await startReceiver({
    respond,
    ...(remote && { port: Number(process.env.E2E_RECEIVER_PORT ?? 9400), host: '0.0.0.0' }),
  });
  if (remote) {
    target = remote;
    receiverUrl = process.env.E2E_RECEIVER_URL ?? receiver.url;
  } else {
    stack = await StackProcess.create();
    const apiKey = await stack.start();
    target = { mode: 'local', baseUrl: stack.baseUrl, apiKey };
    receiverUrl = receiver.url;
  }
  const { json } = await api('GET', '/v1/signing-secret');
  receiver.setSecret(json.secret);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
});

/** For a deployed stage the far path is minutes away; locally the near window is 5 s. */
/**
 * Far-path delays: locally the near window is 5 s, so 10-13 s is far; on a deployed stage, 20
 * minutes and 2 hours go past SQS's 15-minute limit, through EventBridge Scheduler and promote.
 */
const farDelaysS = () => (target.mode === 'local' ? [11, 12, 13] : [20 * 60, 2 * 3600]);
const REMOTE_TIMEOUT_MS = (2 * 3600 + 15 * 60) * 1000;

describe(`deliveries (${process.env.E2E_BASE_URL ? 'deployed stage' : 'local stack'})`, () => {
  it(
    'delivers near and far messages exactly once, verified, never early',
    async () => {
      const near = await Promise.all([1, 2, 3, 4].map((n) => schedule(`/near/${n}`, 1 + n * 0.5)));
      const far = await Promise.all(farDelaysS().map((delay, n) => schedule(`/far/${n}`, delay)));
      expect(far.every((m) => m.status === 'scheduled')).toBe(true);
      const all = [...near, ...far];
      await receiver.waitFor(
        () => all.every((m) => arrivals(m.id).length >= 1),
        (Math.max(...farDelaysS()) + 60) * 1000,
      );
      await new Promise((r) => setTimeout(r, 1_500));
      console.table(
        all.map((m) => ({
          id: m.id,
          sendAt: m.sendAt,
          latenessMs: (arrivals(m.id)[0]?.arrivedAt ?? NaN) - Date.parse(m.sendAt),
        })),
      );
      for (const m of all) {
        const got = arrivals(m.id);
        expect(got, m.id).toHaveLength(1);
        expect(got[0]?.verified).toBe(true);
        const lateness = (got[0]?.arrivedAt ?? 0) - Date.parse(m.sendAt);
        expect(lateness, `${m.id} arrived ${lateness} ms after its sendAt`).toBeGreaterThanOrEqual(0);
      }
    },
    process.env.E2E_BASE_URL ? REMOTE_TIMEOUT_MS : 90_000,
  );

  it('retries a receiver answering 500 twice, then 200: three attempts', async () => {
    const m = await schedule('/fail-twice', 1);
    await receiver.waitFor(() => arrivals(m.id).length >= 3, 30_000);
    const attempts = await api('GET', `/v1/messages/${m.id}/attempts`);
    await new Promise((r) => setTimeout(r, 500));
    expect(arrivals(m.id).map((r) => r.status)).toEqual([500, 500, 200]);
    expect((await api('GET', `/v1/messages/${m.id}`)).json.status).toBe('delivered');
    expect(attempts.json.items.length).toBeGreaterThanOrEqual(2);
  });

  it('stops at 410 Gone after one attempt', async () => {
    const m = await schedule('/gone', 1);
    await receiver.waitFor(() => arrivals(m.id).length >= 1, 15_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(arrivals(m.id)).toHaveLength(1);
    expect((await api('GET', `/v1/messages/${m.id}`)).json.status).toBe('failed');
  });

  it('never delivers a cancelled message', async () => {
    const m = await schedule('/cancelled', 3);
    expect((await api('DELETE', `/v1/messages/${m.id}`)).json.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 5_000));
    expect(arrivals(m.id)).toHaveLength(0);
  });
});
