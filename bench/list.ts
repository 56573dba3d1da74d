/**
 * `npm run bench:list`: how long a filtered page of `GET /v1/messages` takes for a tenant with a
 * million messages, against the same queries for a tenant of 10,000 in the same run. Each tenant's
 * messages (statuses, labels, urls and times spread as a busy tenant's are, made over 30 days) are
 * written to a store on disk (dynalite on LevelDB in a worker thread, as the local stack runs it):
 * first a tenant of `--baseline` messages, measured, then one of `--messages` in the same table,
 * measured the same way, every query through the listing use case and the DynamoDB store as the API
 * handler calls them. Prints p50 / p99 per filter kind for both, and how many items a page found
 * and read (the bound: LIST_SCAN_BUDGET).
 *
 *   npm run bench:list [-- --messages 1000000 --baseline 10000 --runs 40]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoMessageStore } from '@vigil/aws/dynamo-message-store';
import { documentClient } from '@vigil/aws/dynamo-document-client';
import { TABLE_DEFINITION } from '@vigil/aws/table-definition';
import type { Message, MessageFilter, MessageStatus } from '@vigil/core';
import { LIST_SCAN_BUDGET, listMessages } from '@vigil/core';
import { startDynaliteThread } from '@vigil/local/dynalite-thread';
import { quietSdkNodeNotice } from '@vigil/local/sdk-notice';
import { ulid } from 'ulid';
import { quantile } from './quantile';

const { values: options } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    baseline: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '40' },
  },
});
const TOTAL = Number(options.messages);
const BASELINE = Number(options.baseline);
const RUNS = Number(options.runs);
const PAGE = 25;
/** Unmeasured runs of each query before a tenant's are measured. */
const WARM_UP_RUNS = 3;
/** The store's shards (the pending and bucket indexes'); the loader's items use the same. */
const SHARDS = 8;
/** Items one BatchWriteItem writes (DynamoDB's most), and such writes in flight while loading. */
const BATCH = 25;
const WRITERS = 8;
/** Attempts to write what a BatchWriteItem left unprocessed before the bench gives up. */
const BATCH_ATTEMPTS = 10;
/** The tenant's messages were made over 30 days, the newest now. */
const SPAN_MS = 30 * 24 * 3600 * 1000;
const NOW = Date.parse('2026-12-02T12:00:00Z');

/** A status mix of a tenant whose messages mostly went out: the rare ones are what people look for. */
const statusOf = (i: number): MessageStatus => {
  const r = i % 1000;
  if (r < 10) return 'failed';
  if (r < 15) return 'retrying';
  if (r < 35) return 'cancelled';
  if (r < 85) return 'scheduled';
  return 'delivered';
};

/** `billing` on one in ten, `eu` on one in three, `vip` on one in a thousand. */
const labelsOf = (i: number): string[] =>
  [i % 10 === 0 && 'billing', i % 3 === 0 && 'eu', i % 1000 === 7 && 'vip'].filter((l): l is string => Boolean(l));

const HOSTS = ['api.shop.example', 'hooks.crm.example', 'billing.example', 'ops.example', 'edge.example'];

const messageOf = (tenantId: string, i: number, createdAt: number): Message => {
  const labels = labelsOf(i);
  const sendAt = createdAt + (i % 97) * 3_600_000;
  return {
    // A ULID of its creation time: not core's newMessageId, whose monotonic ids never go back in time
    // (the second tenant's history would all get the first one's last instant).
    id: `msg_${ulid(createdAt)}`,
    tenantId,
    status: statusOf(i),
    url: `https://${HOSTS[i % HOSTS.length]}/webhooks/${i % 50}`,
    method: 'POST',
    headers: { 'x-source': 'bench' },
    body: JSON.stringify({ order: i }),
    bodyKind: 'json',
    sendAt,
    dueAt: sendAt,
    createdAt,
    updatedAt: createdAt,
    maxAttempts: 8,
    timeoutMs: 10_000,
    metadata: { order: String(i) },
    ...(labels.length > 0 && { labels }),
    attempts: [],
    roundStart: 0,
    version: 0,
  };
};

/**
 * The items `DynamoMessageStore.insert` writes for `messages`, read off a store whose client only
 * records them: the loader writes exactly the store's layout (keys, indexes, summary) without
 * copying it.
 */
const storeItemsOf = async (messages: Message[]): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  const recorder = { send: async (command: PutCommand) => void items.push(command.input.Item ?? {}) };
  const store = new DynamoMessageStore(recorder as unknown as DynamoDBDocumentClient, 'bench', SHARDS, () => NOW);
  await Promise.all(messages.map((m) => store.insert(m)));
  return items;
};

/**
 * Writes `count` messages of `tenantId`, created evenly over the span (the newest now), BATCH to a
 * BatchWriteItem and WRITERS of those at once: the ids are new, so the insert's "not there yet"
 * condition has nothing to refuse, and a million load in minutes instead of an hour.
 */
const fill = async (db: DynamoDBDocumentClient, tenantId: string, count: number) => {
  let next = 0;
  let reported = 0;
  const started = Date.now();
  const writer = async () => {
    while (next < count) {
      const from = next;
      next = Math.min(count, next + BATCH);
      const messages = [];
      for (let i = from; i < next; i += 1) {
        messages.push(messageOf(tenantId, i, NOW - SPAN_MS + Math.floor(((i + 1) * SPAN_MS) / count)));
      }
      let requests = (await storeItemsOf(messages)).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt += 1) {
        if (attempt > BATCH_ATTEMPTS) throw new Error(`${requests.length} items stayed unprocessed`);
        const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { bench: requests } }));
        requests = (UnprocessedItems?.bench ?? []) as typeof requests;
      }
      if (next - reported >= 100_000) {
        reported = next;
        process.stderr.write(
          `  ${next.toLocaleString('en')} messages written (${Math.round((Date.now() - started) / 1000)} s)\n`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
};

/**
 * Waits until the store is idle: LevelDB compacts what was just written in background threads of
 * this process, and the measurements should not share the machine's two cores with that. Idle is
 * under a tenth of a core for two seconds in a row, given at most two minutes.
 */
const settle = async () => {
  const deadline = Date.now() + 120_000;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(before);
    quiet = (used.user + used.system) / 1000 < 100 ? quiet + 1 : 0;
  }
};

/** The filter kinds a console or a bulk job asks for, each with why it is served the way it is. */
const queries = (newestId: () => string): Array<[string, () => MessageFilter]> => [
  ['no filter (first page)', () => ({})],
  ['status=failed (byStatus key)', () => ({ status: ['failed'] })],
  ['status=failed,retrying (2 keys merged)', () => ({ status: ['failed', 'retrying'] })],
  ['createdAt last hour (id range)', () => ({ createdAtFrom: NOW - 3_600_000 })],
  ['id prefix (id range)', () => ({ idContains: newestId().slice(0, 12) })],
  ['label=billing (filter, 1 in 10)', () => ({ label: 'billing' })],
  ['label=vip (filter, 1 in 1,000)', () => ({ label: 'vip' })],
  ['label=billing & status=failed', () => ({ label: 'billing', status: ['failed'] })],
  ['urlPrefix (filter, 1 in 5)', () => ({ urlPrefix: 'https://billing.example/' })],
  ['sendAt next 2 days (filter)', () => ({ sendAtFrom: NOW, sendAtTo: NOW + 2 * 86_400_000 })],
  ['id text (filter, rare)', () => ({ idContains: newestId().slice(-7) })],
];

/** `10k`, `1M`. */
const sizeText = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`);

interface Figures {
  p50: number;
  p99: number;
  items: number;
  read: number;
}

const measure = async (
  store: DynamoMessageStore,
  tenantId: string,
  countRead: { items: number },
  filter: () => MessageFilter,
): Promise<Figures> => {
  const times: number[] = [];
  let items = 0;
  let read = 0;
  for (let run = 0; run < RUNS; run += 1) {
    countRead.items = 0;
    const started = performance.now();
    const page = await listMessages(store, tenantId, { filter: filter(), limit: PAGE });
    times.push(performance.now() - started);
    items = page.items.length;
    read = Math.max(read, countRead.items);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), items, read };
};

const main = async () => {
  quietSdkNodeNotice();
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-list-'));
  // The local stack's store: dynalite on LevelDB in a worker thread (its own core), with the stack's patches.
  const dynamo = await startDynaliteThread(dir);
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  // Counts the items each listing page's queries read (ScannedCount), to show the bound holds.
  const countRead = { items: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const scanned = (result.output as { ScannedCount?: number } | undefined)?.ScannedCount;
      if (typeof scanned === 'number') countRead.items += scanned;
      return result;
    },
    { step: 'initialize', name: 'countScanned' },
  );
  try {
    await client.send(new CreateTableCommand({ TableName: 'bench', ...TABLE_DEFINITION }));
    const db = documentClient(client);
    const store = new DynamoMessageStore(db, 'bench', SHARDS, () => NOW);
    /** Writes a tenant of `count` messages, then measures every filter kind on it. */
    const tenantOf = async (count: number): Promise<Map<string, Figures>> => {
      const tenantId = `tnt_bench_list_${sizeText(count)}`;
      process.stderr.write(`Writing a tenant of ${count.toLocaleString('en')} messages…\n`);
      await fill(db, tenantId, count);
      await settle();
      const newest = (await store.list(tenantId, { limit: 1 })).items[0]?.id ?? '';
      // Warm up (the listing's code compiled, the store's files read once), then measure.
      for (const [, filter] of queries(() => newest)) {
        for (let run = 0; run < WARM_UP_RUNS; run += 1)
          await listMessages(store, tenantId, { filter: filter(), limit: PAGE });
      }
      const figures = new Map<string, Figures>();
      for (const [name, filter] of queries(() => newest)) {
        figures.set(name, await measure(store, tenantId, countRead, filter));
      }
      return figures;
    };

    const baseline = await tenantOf(BASELINE);
    const full = await tenantOf(TOTAL);
    const rows: string[] = [];
    for (const [name] of queries(() => '')) {
      const small = baseline.get(name) as Figures;
      const large = full.get(name) as Figures;
      rows.push(
        [
          name.padEnd(40),
          `${small.p50.toFixed(1)} / ${small.p99.toFixed(1)}`.padStart(16),
          `${large.p50.toFixed(1)} / ${large.p99.toFixed(1)}`.padStart(16),
          `${(large.p50 / small.p50).toFixed(2)}×`.padStart(7),
          `${small.items} / ${large.items}`.padStart(9),
          `${small.read} / ${large.read}`.padStart(11),
        ].join('  '),
      );
    }
    process.stdout.write(
      `List latency, page of ${PAGE}, ${RUNS} runs per query — ${new Date().toISOString()}\n` +
        `a tenant of ${BASELINE.toLocaleString('en')} messages, then one of ${TOTAL.toLocaleString('en')} in the same table, ` +
        `each made over 30 days; a page reads at most ${LIST_SCAN_BUDGET} items\n\n` +
        `${'query'.padEnd(40)}  ${`p50 / p99 ms @${sizeText(BASELINE)}`.padStart(16)}  ${`p50 / p99 ms @${sizeText(TOTAL)}`.padStart(16)}  ${'ratio'.padStart(7)}  ${'items'.padStart(9)}  ${'read'.padStart(11)}\n` +
        `${rows.join('\n')}\n`,
    );
  } finally {
    client.destroy();
    await dynamo.stop();
    await rm(dir, { recursive: true, force: true });
  }
};

main().catch((error) => {
  process.stderr.write(
    `list bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
