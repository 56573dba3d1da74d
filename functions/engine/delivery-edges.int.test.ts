/**
 * The delivery engine at its edges, through the whole local stack (API, queue, worker, store) and
 * a real receiver: a message whose record can never be written is not re-sent forever, one whose
 * ticket was lost is sent by the sweep and says so, a receiver's `Retry-After` is respected, and the
 * cookies it sets are not stored.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@vigil/core';
import { MessageIn, scheduleMessage, WITHHELD_HEADER_VALUE } from '@vigil/core';
import type { LocalStack } from '@vigil/local/stack';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiClient, startTestStack, waitFor } from '../../test-support/local-stack';
import { assertMatchesSchema } from '../../test-support/openapi';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { handler as deliver } from './deliver';
import { handler as sweep } from './sweep';

interface Arrival {
  path: string;
  webhookId: string;
  attempt: string;
  arrivedAt: number;
  /** When the connection the request came on was opened. */
  connectedAt: number;
}

interface Answer {
  status: number;
  headers?: http.OutgoingHttpHeaders;
}

/** A receiver on 127.0.0.1 whose answer (status and headers) each test sets per path. */
const startTarget = async () => {
  const arrivals: Arrival[] = [];
  const answers = new Map<string, (count: number) => Answer>();
  const connectedAt = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    const arrivedAt = Date.now();
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      const count = arrivals.filter((a) => a.path === path).length;
      arrivals.push({
        path,
        webhookId: String(req.headers['webhook-id']),
        attempt: String(req.headers['vigil-attempt']),
        arrivedAt,
        connectedAt: connectedAt.get(req.socket) ?? Number.NaN,
      });
      const { status, headers = {} } = answers.get(path)?.(count) ?? { status: 200 };
      res.writeHead(status, headers).end(`answer ${status}`);
    });
  });
  server.on('connection', (socket) => connectedAt.set(socket, Date.now()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    answer: (path: string, fn: (count: number) => Answer) => answers.set(path, fn),
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
};

let stack: LocalStack;
let target: Awaited<ReturnType<typeof startTarget>>;
let api: ReturnType<typeof apiClient>;
/** The CloudWatch metrics the engine wrote (Embedded Metric Format lines on stdout), kept off the output. */
const metricLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
    const text = String(chunk);
    if (!text.includes('"CloudWatchMetrics"')) return write(chunk, ...(rest as []));
    metricLines.push(JSON.parse(text) as Record<string, unknown>);
    return true;
  });
  target = await startTarget();
  // Metrics on, as deployed.
  stack = await startTestStack({ env: { VIGIL_METRICS: 'on' } });
  api = apiClient(stack.url, stack.apiKey);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await target?.stop();
  vi.restoreAllMocks();
});

describe('a message whose attempt can never be recorded', () => {
  it('is sent once, then ends failed with the reason shown, instead of being re-sent forever', async () => {
    // Prepare: the store refuses every record of this message, as DynamoDB refused an item over 400 KB.
    const store = stack.runtime.scheduling.store;
    const save = store.save.bind(store);
    // Known by its URL, not its id: the id is known only when the create answers, and on a loaded
    // machine the worker may take the message (due in a second) and record its attempt before that.
    const unrecordable = `${target.url}/unrecordable`;
    store.save = async (message: Message, expectedVersion: number) => {
      if (message.url === unrecordable && message.attempts.length > 0) {
        throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
          name: 'ValidationException',
        });
      }
      return save(message, expectedVersion);
    };
    try {
      const created = await api.post('/v1/messages', { url: unrecordable, delay: 1 });
      expect(created.status).toBe(201);
      const id = created.json.id as string;

      // Act: it is due, sent, and its record fails every time it is tried.
      const failed = await waitFor(
        () => api.get(`/v1/messages/${id}`),
        (r) => r.json.status === 'failed',
      );

      // Assess: the API says what happened, the receiver got it once, and nothing brings it back.
      assertMatchesSchema('MessageOut', failed.json);
      expect(failed.json.failureReason).toEqual({
        code: 'record-failed',
        detail: expect.stringMatching(/^Attempt 1 was sent \(HTTP 200\) but could not be recorded after 1 try/),
      });
      expect(failed.json.attempts).toBe(1);
      const attempts = await api.get(`/v1/messages/${id}/attempts`);
      assertMatchesSchema('AttemptList', attempts.json);
      expect(attempts.json).toEqual({
        items: [expect.objectContaining({ n: 1, statusCode: 200 })],
        omitted: 0,
        failureReason: failed.json.failureReason,
      });
      const cancel = await api.delete(`/v1/messages/${id}`);
      expect(cancel.status).toBe(409);
      expect(cancel.json.detail).toMatch(/is failed and can no longer be cancelled/);
      const listed = await api.get('/v1/messages?status=failed&limit=100');
      expect(listed.json.items.find((m: { id: string }) => m.id === id)?.failureReason?.code).toBe('record-failed');

      // The sweep, looking as far ahead as it ever does, finds nothing of it to send again.
      await sweep({ lookAheadS: 900 });
      await new Promise((r) => setTimeout(r, 3_000));
      const sends = target.arrivals.filter((a) => a.webhookId === id);
      expect(sends.map((a) => a.attempt)).toEqual(['1']);
    } finally {
      store.save = save;
    }
  }, 40_000);
});

describe('a message whose tenant is gone', () => {
  it('ends failed (tenant-gone) at its first take, unsent, instead of being taken on every sweep', async () => {
    // Prepare: a message stored and queued for a tenant that does not exist (any more).
    const ghost = 'tnt_01JGHOSTGHOSTGHOSTGHOSTGHOST';
    const { message } = await scheduleMessage(
      { ...stack.runtime.scheduling, quota: undefined, meter: undefined },
      ghost,
      MessageIn.parse({ url: `${target.url}/ghost`, delay: 1 }),
    );

    // Act: the queue hands it to the worker when it is due.
    const failed = await waitFor(
      () => stack.runtime.scheduling.store.get(ghost, message.id),
      (m) => m?.status === 'failed',
    );

    // Assess
    expect(failed!.failureReason).toEqual({ code: 'tenant-gone', detail: `Tenant ${ghost} no longer exists.` });
    expect(target.arrivals.filter((a) => a.webhookId === message.id)).toEqual([]);
    await sweep({ lookAheadS: 900 });
    expect((await stack.runtime.scheduling.store.get(ghost, message.id))!.status).toBe('failed');
  });
});

describe('a message whose ticket was lost', () => {
  it('is sent by the sweep through the queue, and its attempt says it was late because it was recovered', async () => {
    // Prepare: a message due at once whose enqueue never reached the queue.
    const lost = { enqueue: async () => {} };
    const { message } = await scheduleMessage(
      { ...stack.runtime.scheduling, queue: lost, quota: undefined, meter: undefined },
      stack.tenantId,
      MessageIn.parse({ url: `${target.url}/recovered`, delay: 0 }),
    );

    // Act: the sweep finds it overdue and hands its ticket to the queue, whose worker sends it.
    expect((await sweep({ lookAheadS: 0 })).requeued).toBeGreaterThanOrEqual(1);
    await waitFor(
      () => api.get(`/v1/messages/${message.id}`),
      (r) => r.json.status === 'delivered',
    );

    // Assess: the API shows the attempt late, and why.
    const attempts = await api.get(`/v1/messages/${message.id}/attempts`);
    assertMatchesSchema('AttemptList', attempts.json);
    expect(attempts.json.items).toEqual([
      expect.objectContaining({ n: 1, statusCode: 200, latenessReason: 'recovered' }),
    ]);
    expect(attempts.json.items[0].latenessMs).toBeGreaterThan(0);
    expect(target.arrivals.filter((a) => a.webhookId === message.id)).toHaveLength(1);
    // And its lateness metric is broken down by the reason, beside the stage-only one the alarm reads.
    await vi.waitFor(() =>
      expect(metricLines).toContainEqual(
        expect.objectContaining({
          LatenessReason: 'recovered',
          DeliveryLateness: attempts.json.items[0].latenessMs,
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              expect.objectContaining({ Dimensions: [['Stage']] }),
              expect.objectContaining({ Dimensions: [['Stage', 'LatenessReason']] }),
            ],
          }),
        }),
      ),
    );
  });
});

describe('a delivery ticket that is not one', () => {
  it('is reported alone as a batch item failure, never thrown, and the rest of the batch is handled', async () => {
    // Prepare: a batch with a body that is not JSON, one that is not a ticket, and a well-formed
    // ticket for a message that does not exist (the worker skips it).
    const record = (messageId: string, body: string) => ({ messageId, body }) as SQSRecord;
    const ticket = {
      tenantId: stack.tenantId,
      messageId: 'msg_01JNOSUCHMESSAGENOSUCHMESSA',
      version: 0,
      dueAt: Date.now(),
    };
    const event = {
      Records: [
        record('not-json', '{"tenantId":'),
        record('not-a-ticket', JSON.stringify({ ...ticket, version: 'zero' })),
        record('a-ticket', JSON.stringify(ticket)),
      ],
    } as SQSEvent;

    // Act
    const answer = await deliver(event, { callbackWaitsForEmptyEventLoop: false } as Context);

    // Assess: SQS gets the two bad records back (and parks them in the DLQ after maxReceiveCount).
    expect(answer).toEqual({
      batchItemFailures: [{ itemIdentifier: 'not-json' }, { itemIdentifier: 'not-a-ticket' }],
    });
  });
});

describe('a receiver that asks to wait', () => {
  it('gets the next attempt no sooner than its Retry-After, which the attempt records', async () => {
    // Prepare: the first answer is 429 with Retry-After: 3 (the test stack's backoff alone would retry in 0.2-0.4 s).
    target.answer('/busy', (count) =>
      count === 0 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 },
    );
    const created = await api.post('/v1/messages', { url: `${target.url}/busy`, delay: 0 });
    const id = created.json.id as string;

    // Act
    await waitFor(
      () => api.get(`/v1/messages/${id}`),
      (r) => r.json.status === 'delivered',
    );

    // Assess
    const [first, second] = target.arrivals.filter((a) => a.webhookId === id);
    expect(second!.arrivedAt - first!.arrivedAt).toBeGreaterThanOrEqual(3_000);
    const attempts = await api.get(`/v1/messages/${id}/attempts`);
    assertMatchesSchema('AttemptList', attempts.json);
    expect(attempts.json.items).toEqual([
      expect.objectContaining({ n: 1, statusCode: 429, retryAfterMs: 3_000 }),
      expect.objectContaining({ n: 2, statusCode: 200 }),
    ]);
    expect(attempts.json.items[1]).not.toHaveProperty('retryAfterMs');
  }, 30_000);
});

describe('a receiver that sets cookies', () => {
  it('has its cookies withheld: the attempt names the header, and neither the API nor the store holds a value', async () => {
    // Prepare: a receiver answering with two session cookies and a challenge.
    target.answer('/cookies', () => ({
      status: 200,
      headers: {
        'set-cookie': ['session=rcv-s3cr3t-1; HttpOnly; Secure', 'refresh=rcv-s3cr3t-2'],
        'www-authenticate': 'Bearer realm="receiver"',
        'x-request-id': 'req_cookie',
      },
    }));
    const created = await api.post('/v1/messages', { url: `${target.url}/cookies`, delay: 0 });
    const id = created.json.id as string;

    // Act
    await waitFor(
      () => api.get(`/v1/messages/${id}`),
      (r) => r.json.status === 'delivered',
    );

    // Assess
    const attempts = await api.get(`/v1/messages/${id}/attempts`);
    assertMatchesSchema('AttemptList', attempts.json);
    expect(attempts.json.items[0].responseHeaders).toMatchObject({
      'set-cookie': WITHHELD_HEADER_VALUE,
      'www-authenticate': 'Bearer realm="receiver"',
      'x-request-id': 'req_cookie',
    });
    expect(JSON.stringify(attempts.json)).not.toContain('rcv-s3cr3t');
    const stored = await stack.runtime.scheduling.store.get(stack.tenantId, id);
    expect(JSON.stringify(stored)).not.toContain('rcv-s3cr3t');
  }, 30_000);
});

describe('a receiver no connection is open to', () => {
  it('is connected to when the message is taken, before its instant, and gets the request on that connection', async () => {
    // A receiver of its own: no connection from an earlier test could be reused.
    const lone = await startTarget();
    try {
      const created = await api.post('/v1/messages', { url: `${lone.url}/ahead`, delay: 3 });
      expect(created.status).toBe(201);
      const sendAt = Date.parse(created.json.sendAt);
      await waitFor(
        async () => lone.arrivals.length,
        (n) => n > 0,
        15_000,
      );
      const [arrival] = lone.arrivals;
      expect(arrival!.arrivedAt).toBeGreaterThanOrEqual(sendAt);
      // Opened at the take, the take lead (200 ms) before the instant; the request waited for the instant.
      expect(arrival!.connectedAt).toBeLessThan(sendAt);
      expect(arrival!.connectedAt).toBeGreaterThan(Date.parse(created.json.createdAt));
    } finally {
      await lone.stop();
    }
  });
});
