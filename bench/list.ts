/**
 * `npm run bench:list`: how long a filtered page of `GET /v1/messages` takes for a tenant with a
 * million messages, against the same queries at 10,000 in the same run. One tenant's messages
 * (statuses, labels, urls and times spread as a busy tenant's are) are written to a store on disk
 * (dynalite on LevelDB, in this process), the baseline is measured at `--baseline` messages, the
 * store grows to `--messages`, and every query is measured again through the listing use case and
 * the DynamoDB store, as the API handler calls them. Prints p50 / p99 per filter kind at both sizes
 * and how many items a page read (the bound: LIST_SCAN_BUDGET).
 *
 *   npm run bench:list [-- --messages 1000000 --baseline 10000 --runs 40]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoMessageStore } from '@vigil/aws/dynamo-message-store';
import { TABLE_DEFINITION } from '@vigil/aws/table-definition';
import type { Message, MessageFilter, MessageStatus } from '@vigil/core';
import { LIST_SCAN_BUDGET, listMessages, newMessageId } from '@vigil/core';
import dynalite from 'dynalite';
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
const TENANT = 'tnt_bench_list';
const PAGE = 25;
const WRITERS = 32;
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

const messageOf = (i: number, createdAt: number): Message => {
  const labels = labelsOf(i);
  const sendAt = createdAt + (i % 97) * 3_600_000;
  return {
    id: newMessageId(createdAt),
    tenantId: TENANT,
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

/** Writes messages `from`..`to` (exclusive), oldest first, spread evenly over the span. */
const fill = async (store: DynamoMessageStore, from: number, to: number, total: number) => {
  let next = from;
  const started = Date.now();
  const writer = async () => {
    while (next < to) {
      const i = next;
      next += 1;
      await store.insert(messageOf(i, NOW - SPAN_MS + Math.floor((i * SPAN_MS) / total)));
      if (i % 50_000 === 0 && i > from) {
        process.stderr.write(
          `  ${i.toLocaleString('en')} messages written (${Math.round((Date.now() - started) / 1000)} s)\n`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
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

interface Figures {
  p50: number;
  p99: number;
  items: number;
  read: number;
}

const measure = async (
  store: DynamoMessageStore,
  countRead: { items: number },
  filter: () => MessageFilter,
): Promise<Figures> => {
  const times: number[] = [];
  let items = 0;
  let read = 0;
  for (let run = 0; run < RUNS; run += 1) {
    countRead.items = 0;
    const started = performance.now();
    const page = await listMessages(store, TENANT, { filter: filter(), limit: PAGE });
    times.push(performance.now() - started);
    items = page.items.length;
    read = Math.max(read, countRead.items);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), items, read };
};

const main = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-list-'));
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
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
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const store = new DynamoMessageStore(db, 'bench', 8, () => NOW);
    let newest = '';
    const newestId = () => newest;
    const refreshNewest = async () => {
      newest = (await store.list(TENANT, { limit: 1 })).items[0]?.id ?? '';
    };
    const kinds = queries(newestId);

    process.stderr.write(`Writing the baseline: ${BASELINE.toLocaleString('en')} messages…\n`);
    await fill(store, 0, BASELINE, TOTAL);
    await refreshNewest();
    const baseline = new Map<string, Figures>();
    for (const [name, filter] of kinds) baseline.set(name, await measure(store, countRead, filter));

    process.stderr.write(`Growing to ${TOTAL.toLocaleString('en')} messages…\n`);
    await fill(store, BASELINE, TOTAL, TOTAL);
    await refreshNewest();
    const rows: string[] = [];
    for (const [name, filter] of kinds) {
      const small = baseline.get(name) as Figures;
      const large = await measure(store, countRead, filter);
      rows.push(
        [
          name.padEnd(40),
          `${small.p50.toFixed(1)} / ${small.p99.toFixed(1)}`.padStart(16),
          `${large.p50.toFixed(1)} / ${large.p99.toFixed(1)}`.padStart(16),
          `${(large.p50 / small.p50).toFixed(2)}×`.padStart(7),
          `${large.items}`.padStart(6),
          `${large.read}`.padStart(6),
        ].join('  '),
      );
    }
    process.stdout.write(
      `List latency, page of ${PAGE}, ${RUNS} runs per query — ${new Date().toISOString()}\n` +
        `one tenant; baseline ${BASELINE.toLocaleString('en')} messages, then ${TOTAL.toLocaleString('en')}; ` +
        `a page reads at most ${LIST_SCAN_BUDGET} items\n\n` +
        `${'query'.padEnd(40)}  ${`p50 / p99 ms @${BASELINE / 1000}k`.padStart(16)}  ${`p50 / p99 ms @${TOTAL >= 1e6 ? `${TOTAL / 1e6}M` : `${TOTAL / 1000}k`}`.padStart(16)}  ${'ratio'.padStart(7)}  ${'items'.padStart(6)}  ${'read'.padStart(6)}\n` +
        `${rows.join('\n')}\n`,
    );
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
};

main().catch((error) => {
  process.stderr.write(
    `list bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
