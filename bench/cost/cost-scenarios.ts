/**
 * The cost bench's scenarios, run through the real handlers on the local stack (metering through
 * the metering queue and function, as on AWS), each metered by AwsCallMeter from its first request
 * until its messages are final, the queues are empty and usage is folded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { API_ROUTES } from '@vigil/functions/api/routes';
import type { Receiver } from '@vigil/local/receiver';
import { startReceiver } from '@vigil/local/receiver';
import type { LocalStack } from '@vigil/local/stack';
import { startStack } from '@vigil/local/stack';
import { AwsCallMeter, usageBetween } from './aws-call-meter';
import type { ScenarioUsage } from './cost-report';

/** How many messages each scenario carries (the short form in the test uses few). */
export interface ScenarioSizes {
  single: number;
  /** Single creates at BUSY_PER_SECOND. */
  busy: number;
  far: number;
  /** Messages in the one batch request. */
  batch: number;
  retried: number;
  cancelled: number;
  /** Single creates with a LARGE_BODY. */
  large: number;
}

export const FULL_SIZES: ScenarioSizes = {
  single: 40,
  busy: 300,
  far: 40,
  batch: 100,
  retried: 20,
  cancelled: 20,
  large: 20,
};
/** `npm run bench:cost -- --short` and `npm run bench:capacity`: a few messages per scenario. */
export const SHORT_SIZES: ScenarioSizes = {
  single: 5,
  busy: 20,
  far: 5,
  batch: 10,
  retried: 3,
  cancelled: 3,
  large: 3,
};
/** The busy scenario's pace: a tenant at a few million single creates a day, from BUSY_CLIENTS callers. */
const BUSY_PER_SECOND = 50;
const BUSY_CLIENTS = 5;

/**
 * A 6 s near window, 1 s buckets with a 3 s lead (the far path runs within seconds), retries after
 * about a second, and the deployed arm lead (the local stack's own default is 3 s: its one-thread
 * store needs it for bursts, and the held seconds are what deliver is billed for on AWS).
 * VIGIL_* in the environment override.
 */
const ENGINE_ENV = {
  VIGIL_ARM_LEAD_MS: '1000',
  VIGIL_NEAR_WINDOW_S: '6',
  VIGIL_FAR_LEAD_S: '3',
  VIGIL_BUCKET_S: '1',
  VIGIL_RETRY_BASE_MS: '1000',
  VIGIL_RETRY_FACTOR: '2',
  VIGIL_LOG_LEVEL: 'error',
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('VIGIL_'))),
};

/** A pseudo-random id of `prefix` (24 hex digits: as little for gzip to fold as a real id). */
const idOf = (prefix: string, n: number) =>
  `${prefix}_${createHash('sha1').update(`${prefix}${n}`).digest('hex').slice(0, 24)}`;

const PRODUCTS = ['Pro plan seat', 'Extra storage (100 GB)', 'Priority support', 'Café API add-on', 'SMS bundle'];

/**
 * A webhook body as payment and commerce APIs send them: an event naming its object, with `lines`
 * line items (ids, amounts, text, a multi-byte name). What a real body shares with gzip, its
 * repeated field names and shapes, it shares here too; the ids do not repeat.
 */
export const webhookBody = (lines: number) => ({
  id: idOf('evt', lines),
  type: 'invoice.paid',
  created: 1_764_950_400,
  data: {
    object: {
      id: idOf('in', lines),
      customer: idOf('cus', lines),
      customer_email: 'jane.doe@example.com',
      customer_name: 'Jane Doe — Zürich',
      amount_due: 4_900 * lines,
      amount_paid: 4_900 * lines,
      currency: 'eur',
      status: 'paid',
      lines: Array.from({ length: lines }, (_, i) => ({
        id: idOf('il', i),
        price: idOf('price', i),
        subscription_item: idOf('si', i),
        description: `${PRODUCTS[i % PRODUCTS.length]} × ${1 + (i % 4)} (Dec 2026)`,
        amount: 1_900 + ((i * 7_919) % 9_000),
        quantity: 1 + (i % 4),
        period: { start: 1_764_547_200 + i * 3_600, end: 1_767_225_600 + i * 3_600 },
      })),
      metadata: { order: idOf('ord', lines) },
    },
  },
});

/** About 1 KB of JSON (1,146 bytes; gzip keeps 54 %), the issue's typical message. */
const BODY = webhookBody(3);
/** About 16 KB of JSON (16,430 bytes; gzip keeps 27 %): a body every write of its item is billed for. */
const LARGE_BODY = webhookBody(64);
const FINAL = new Set(['delivered', 'failed', 'cancelled']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 200 ms until it holds; throws, naming `what`, after `timeoutMs`. */
export const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
};

export interface CostBench {
  /** Runs every scenario in turn; resolves with each one's metered usage. */
  run(sizes: ScenarioSizes): Promise<ScenarioUsage[]>;
  stop(): Promise<void>;
}

/**
 * `usageFoldEveryMs`: how long the metering function's poller gathers usage (the deployed batching
 * window, 5 s, unless given; each scenario waits for it once). A shorter one changes only what the
 * metering function is invoked for, so the test's short form, which checks shapes, uses one.
 */
export const startCostBench = async (options: { usageFoldEveryMs?: number } = {}): Promise<CostBench> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-cost-'));
  const meter = new AwsCallMeter(new Set(API_ROUTES.map((route) => route.functionName)));
  // Two failures on each /retry/* path before a 200: the retried scenario's two retries.
  const receiver: Receiver = await startReceiver({
    respond: ({ path, count }) => (path.startsWith('/retry/') && count < 2 ? 500 : 200),
  });
  const stack: LocalStack = await startStack({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    authCacheMs: 60_000,
    // The sweep is a fixed cost per minute, not per message: kept out of the scenarios.
    sweepEveryMs: 3_600_000,
    rateLimits: false,
    env: ENGINE_ENV,
    metering: 'queue',
    // Each create its own SendMessageBatch, as each is its own Lambda invocation on AWS.
    shareQueueRequests: false,
    ...(options.usageFoldEveryMs !== undefined && { usageFoldEveryMs: options.usageFoldEveryMs }),
    observer: meter,
  });
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
  // The bench's own reads and waits go through clients of their own: never metered.
  const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: stack.dynamoEndpoint }));
  const sqs = new SQSClient({ ...local, endpoint: stack.runtime.config.endpoints.sqs });
  const table = stack.runtime.config.table;
  const queueUrls = (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];

  const post = async (path: string, body: unknown): Promise<any> => {
    const response = await fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.apiKey}`,
        'content-type': 'application/json',
        // As @vigil/client sends on every create.
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`cost bench: POST ${path} got ${response.status}`);
    return response.json();
  };
  const cancel = async (id: string) => {
    const response = await fetch(`${stack.url}/v1/messages/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    if (response.status !== 200) throw new Error(`cost bench: DELETE got ${response.status}`);
  };

  const statusOf = async (id: string) =>
    (await raw.send(new GetCommand({ TableName: table, Key: { pk: `T#${stack.tenantId}`, sk: `M#${id}` } }))).Item
      ?.status as string | undefined;
  const queuesEmpty = async () => {
    for (const QueueUrl of queueUrls) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      if (Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) > 0)
        return false;
    }
    return true;
  };
  /** Every message final, every ticket and usage event consumed (after the metering window). */
  const settled = async (ids: string[], timeoutMs: number) => {
    await until(
      'messages to be final',
      async () => (await Promise.all(ids.map(statusOf))).every((s) => FINAL.has(s ?? '')),
      timeoutMs,
    );
    await until('the queues to drain', queuesEmpty, 30_000);
  };

  const measure = async (
    scenario: Omit<ScenarioUsage, 'usage'>,
    act: () => Promise<string[]>,
    timeoutMs: number,
  ): Promise<ScenarioUsage> => {
    const before = meter.snapshot();
    await settled(await act(), timeoutMs);
    return { ...scenario, usage: usageBetween(before, meter.snapshot()) };
  };

  /**
   * `count` single creates to `<receiver>/<path>/<i>`, each due 3 s later, started `perSecond` a
   * second in all by `clients` callers in turn; `after` runs on each created message before that
   * caller's next create.
   */
  const createPaced = async (
    count: number,
    path: string,
    pace: { perSecond: number; clients: number },
    after: (id: string) => Promise<void> = async () => {},
    body: unknown = BODY,
  ) => {
    const ids: string[] = [];
    const start = Date.now();
    const caller = async (first: number) => {
      for (let i = first; i < count; i += pace.clients) {
        await sleep(start + (i * 1000) / pace.perSecond - Date.now());
        const { id } = await post('/v1/messages', { url: `${receiver.url}/${path}/${i}`, delay: 3, body });
        await after(id);
        ids.push(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(pace.clients, count) }, (_, first) => caller(first)));
    return ids;
  };
  /** One create every 150 ms, one caller: about one ticket a second, so each surfaces nearly alone. */
  const spaced = { perSecond: 1000 / 150, clients: 1 };

  const dueIn = (ms: number) => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000).toISOString();

  return {
    async run(sizes) {
      const items: Record<string, unknown>[] = [];
      for await (const page of paginateScan({ client: raw }, { TableName: table })) items.push(...(page.Items ?? []));
      meter.seed(items);
      // Warm: the authorizer's cache, the tenant and quota caches, the connections (not measured).
      const warm = await post('/v1/messages', { url: `${receiver.url}/warm`, delay: 2, body: BODY });
      await settled([warm.id], 20_000);

      const results: ScenarioUsage[] = [];
      results.push(
        await measure(
          {
            name: 'Single create, near path',
            unit: 'deliveries',
            messages: sizes.single,
            note: 'one POST /v1/messages every 150 ms, each due 3 s later: a ticket or two a second to gather',
          },
          () => createPaced(sizes.single, 'single', spaced),
          30_000,
        ),
      );
      results.push(
        await measure(
          {
            name: `Single creates at ${BUSY_PER_SECOND} a second, near path`,
            unit: 'deliveries',
            messages: sizes.busy,
            note: `${BUSY_CLIENTS} callers, each create due 3 s later: tickets due the same second share deliver invocations`,
          },
          () => createPaced(sizes.busy, 'busy', { perSecond: BUSY_PER_SECOND, clients: BUSY_CLIENTS }),
          30_000,
        ),
      );
      results.push(
        await measure(
          {
            name: 'Single create, far path',
            unit: 'deliveries',
            messages: sizes.far,
            note: `all due in one bucket (${sizes.far} messages per Scheduler schedule), delivered in batches of 10`,
          },
          async () => {
            // Past the 6 s near window even after the last create (about 100 ms each).
            const sendAt = dueIn(8_000 + 150 * sizes.far);
            const ids: string[] = [];
            for (let i = 0; i < sizes.far; i += 1) {
              const created = await post('/v1/messages', { url: `${receiver.url}/far/${i}`, sendAt, body: BODY });
              if (created.status !== 'scheduled')
                throw new Error('cost bench: the far scenario did not take the far path');
              ids.push(created.id);
            }
            return ids;
          },
          60_000,
        ),
      );
      results.push(
        await measure(
          {
            name: `Batch of ${sizes.batch}, near path`,
            unit: 'deliveries',
            messages: sizes.batch,
            note: 'one POST /v1/messages/batch, all due at one instant',
          },
          async () => {
            const sendAt = dueIn(4_000);
            const messages = Array.from({ length: sizes.batch }, (_, i) => ({
              url: `${receiver.url}/batch/${i}`,
              sendAt,
              body: BODY,
            }));
            const { items } = await post('/v1/messages/batch', { messages });
            return items.map((m: { id: string }) => m.id);
          },
          30_000,
        ),
      );
      results.push(
        await measure(
          {
            name: 'Delivered after two retries',
            unit: 'deliveries',
            messages: sizes.retried,
            note: 'the receiver answers 500 twice, then 200: three attempts each',
          },
          () => createPaced(sizes.retried, 'retry', spaced),
          45_000,
        ),
      );
      results.push(
        await measure(
          {
            name: 'Cancelled before it was due',
            unit: 'cancelled messages',
            messages: sizes.cancelled,
            note: 'created due in 3 s, cancelled at once; its ticket still reaches the worker, which skips it',
          },
          async () => {
            const ids = await createPaced(sizes.cancelled, 'cancel', spaced, cancel);
            // The tickets surface about a second before due: let the worker see them.
            await sleep(3_500);
            return ids;
          },
          30_000,
        ),
      );
      results.push(
        await measure(
          {
            name: 'Single create with a 16 KB body, near path',
            unit: 'deliveries',
            messages: sizes.large,
            note: 'as the single create above, with 16 KB of JSON instead of 1 KB',
          },
          () => createPaced(sizes.large, 'large', spaced, undefined, LARGE_BODY),
          30_000,
        ),
      );
      return results;
    },
    async stop() {
      raw.destroy();
      sqs.destroy();
      await stack.stop();
      await receiver.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
