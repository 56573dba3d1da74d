/**
 * `npm run soak -- --minutes N`: steady mixed load on the local stack for N minutes (a benchmark,
 * not a test). The stack runs as a child process (bench/soak-stack.ts, the same stack `npm start`
 * runs), so what is measured is the stack's own process: its RSS from /proc/<pid>/status (the
 * main thread, the store's worker thread and every native buffer), and its main thread's V8 heap
 * in use, asked over IPC. The load: near messages (1-4 s ahead), far ones (6-20 s, through
 * one-second buckets, so the far path runs within the soak), retries (a receiver that answers
 * 500 to the first attempt) and cancels. The webhooks arrive at a receiver on a thread of its own
 * (bench/receiver-thread.mjs), so the soak's own work is not counted as lateness. Each minute it
 * prints RSS, heap, the lateness of first attempts (all, and the far path's) and what stalled the
 * stack's main thread (its event loop's delay, its collections); at the end RSS growth after warm-up and p99 against the first
 * minute's, with the goals of shared/PERFORMANCE.md (≤ 10 %, ≤ 2×). The warm-up (`--warmup`, 1 minute
 * by default) is the same load before minute 1, not counted.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeapSpaceInfo } from 'node:v8';
import { parseArgs } from 'node:util';
import { freePort } from '../e2e/target';
import { LOCAL_PROCESS_ENV, STACK_NODE_FLAGS } from '@vigil/local/config';
import { quietSdkNodeNotice } from '@vigil/local/sdk-notice';
import { FAST_ENGINE_ENV } from '../test-support/local-stack';
import { summarizeAllocations } from './allocation-profile';
import type { Arrival } from './receiver-thread';
import { startReceiverThread } from './receiver-thread';
import { quantile } from './quantile';
import { startTimerProbe } from './timer-probe';
import { majorFaultsOf, preemptionsOf, threadCpuMeter } from './thread-cpu';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    rate: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    snapshots: { type: 'string' },
    arrivals: { type: 'string' },
    allocations: { type: 'string' },
    receiver: { type: 'string', default: 'thread' },
  },
});
const minutes = Number(values.minutes);
const warmupMinutes = Number(values.warmup);
const rate = Number(values.rate);
if (
  !(minutes >= 1) ||
  !Number.isInteger(warmupMinutes) ||
  warmupMinutes < 0 ||
  !(rate > 0) ||
  !['thread', 'process'].includes(values.receiver!)
) {
  process.stderr.write(
    'usage: npm run soak -- --minutes N (≥ 1) [--warmup minutes of load before minute 1, not counted, default 1] [--rate messages/s, default 10] [--keep] [--snapshots DIR] [--arrivals FILE.csv] [--allocations FILE.heapprofile] [--receiver thread|process, default thread]\n',
  );
  process.exit(2);
}

const RSS_GOAL = 0.1;
const P99_GOAL = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** First attempts' lateness (arrival − vigil-scheduled-at), by the minute of the soak they arrived in. */
const lateness: number[][] = [];
/** The same for far messages only (promoted from a bucket), to tell the far path's tail from the near one's. */
const farLateness: number[][] = [];
let early = 0;
let received = 0;
let soakStart = 0;

/** First attempts that reached the receiver this late or later: the stack is asked how late it sent them. */
const LATE_MS = 10;
const lateArrivals: Array<{ minute: number; latenessMs: number; id: string }> = [];
const noteArrival = ({ arrivedAt, attempt, dueAt, path, webhookId }: Arrival) => {
  received += 1;
  if (attempt !== 1 || !Number.isFinite(dueAt)) return;
  if (arrivedAt < dueAt) early += 1;
  const minute = Math.floor((arrivedAt - soakStart) / 60_000);
  if (minute < 0) return; // the warm-up's
  (lateness[minute] ??= []).push(arrivedAt - dueAt);
  if (arrivedAt - dueAt >= LATE_MS) lateArrivals.push({ minute, latenessMs: arrivedAt - dueAt, id: webhookId });
  if (path.endsWith('/far')) (farLateness[minute] ??= []).push(arrivedAt - dueAt);
  if (values.arrivals) firstAttempts.push(`${dueAt},${arrivedAt},${arrivedAt - dueAt},${path}`);
};
/** `--arrivals FILE`: every first attempt (due, arrived, lateness ms, path), written as CSV at the end, to line spikes up with what else ran. */
const firstAttempts: string[] = [];

/** The stack's Node flags: `npm start`'s, then SOAK_NODE_FLAGS's (a later flag wins). */
const stackNodeFlags = [...STACK_NODE_FLAGS, ...(process.env.SOAK_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)];

const startStackProcess = async (dataDir: string, port: number) => {
  const child: ChildProcess = spawn(process.execPath, [...stackNodeFlags, '--import', 'tsx', 'bench/soak-stack.ts'], {
    env: {
      ...LOCAL_PROCESS_ENV,
      ...process.env,
      ...FAST_ENGINE_ENV,
      VIGIL_LOG_LEVEL: 'error',
      VIGIL_WEB: 'off',
      VIGIL_PORT: String(port),
      VIGIL_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const apiKey = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const key = /API key (vgl_\w+)/.exec(output)?.[1];
      if (key) resolve(key);
    });
    child.once('exit', (code) => reject(new Error(`the stack exited with ${code}:\n${output}`)));
  });
  return { child, apiKey };
};

/** RSS, and its anonymous (heaps, malloc) and file-backed (mapped files: LevelDB's tables) parts. */
const rssOf = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
};
interface ThreadMemory {
  memory: NodeJS.MemoryUsage;
  spaces: HeapSpaceInfo[];
  /** The thread's id in the operating system (given for the store's worker thread). */
  tid?: number;
}
/** What stalled the stack's main thread in the minute: its event loop's delay and its collections' pauses. */
interface Stalls {
  loopP99Ms: number;
  loopMaxMs: number;
  minor: number;
  minorMaxMs: number;
  major: number;
  majorMaxMs: number;
}
/** Asks the stack's process (bench/soak-stack.ts) over IPC; resolves with its answer, its next message. */
const askStack = <T = unknown>(child: ChildProcess, request: string | object): Promise<T> =>
  new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T));
    child.send(request);
  });
/** Each thread's memoryUsage() and V8 heap spaces, after a full collection in it (the main thread and the store's), and the minute's stalls. */
const heapOf = (child: ChildProcess) =>
  askStack<{ main: ThreadMemory; store: ThreadMemory; stalled: Stalls; calls: CallsByOperation }>(child, 'memory');
/** The stack's AWS calls in a minute by operation (`DynamoDB.GetItem`, `SQS.SendMessageBatch`, ...): how many, their total ms. */
type CallsByOperation = Record<string, { n: number; ms: number }>;
/** Calls taken together: how many, and their mean time. */
const tally = (calls: ReadonlyArray<{ n: number; ms: number }>) => {
  const n = sumOf(calls.map((c) => c.n));
  return { n, meanMs: n > 0 ? sumOf(calls.map((c) => c.ms)) / n : 0 };
};
/** Store calls (DynamoDB) in one minute: how many, and their mean time seen from the stack's main thread. */
const storeCallsOf = (calls: CallsByOperation) =>
  tally(Object.entries(calls).flatMap(([operation, c]) => (operation.startsWith('DynamoDB.') ? [c] : [])));
/**
 * Each store operation's calls a minute and mean time, first three minutes → last three: whether a
 * store that worked harder was asked more, or answered each call more slowly.
 */
const callTrends = (minutes: CallsByOperation[]) => {
  const operations = [...new Set(minutes.flatMap((minute) => Object.keys(minute)))].filter((o) =>
    o.startsWith('DynamoDB.'),
  );
  const edge = (part: CallsByOperation[], operation: string) => {
    const { n, meanMs } = tally(part.flatMap((minute) => minute[operation] ?? []));
    return { perMinute: n / Math.max(1, part.length), meanMs };
  };
  return operations
    .map((operation) => ({ operation, a: edge(minutes.slice(0, 3), operation), b: edge(minutes.slice(-3), operation) }))
    .sort((x, y) => y.b.perMinute - x.b.perMinute)
    .map(
      ({ operation, a, b }) =>
        `  ${operation.slice('DynamoDB.'.length)}: ${a.perMinute.toFixed(0)} → ${b.perMinute.toFixed(0)} a minute, ` +
        `${a.meanMs.toFixed(1)} → ${b.meanMs.toFixed(1)} ms each`,
    );
};
/** What V8 holds from the OS for a heap (its spaces' committed size: live objects, garbage and room). */
const committedOf = (thread: ThreadMemory) => thread.spaces.reduce((sum, space) => sum + space.physical_space_size, 0);
const spaceOf = (thread: ThreadMemory, name: string) =>
  thread.spaces.find((space) => space.space_name === name)?.physical_space_size ?? 0;
/** Heap snapshots of both threads, `<dir>/<label>-main.heapsnapshot` and `<label>-dynalite.heapsnapshot`. */
const snapshotOf = (child: ChildProcess, dir: string, label: string) => askStack(child, { snapshot: join(dir, label) });

const ALLOCATION_SAMPLE_MS = 30_000;
/** Has the stack sample its main thread's allocations for `ms` into `file` (bench/soak-stack.ts). */
const allocationsOf = (child: ChildProcess, file: string, ms: number) => askStack(child, { allocations: { file, ms } });

/** The store's LevelDB table files: live tables only, unless something pins obsolete ones. */
const tablesOf = async (dir: string) => {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.ldb'));
  const sizes = await Promise.all(
    names.map((name) =>
      stat(join(dir, name)).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return { files: names.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
};

const sumOf = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);
/** Minute-by-minute CPU ms of two series added (threads that started late count 0 before). */
const addSeries = (a: number[], b: number[]) =>
  Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
/** A per-minute series' first three minutes' mean and its last three's. */
const edgeMeans = (series: number[]) => {
  const mean = (part: number[]) => sumOf(part) / Math.max(1, part.length);
  return [mean(series.slice(0, 3)), mean(series.slice(-3))] as const;
};
/** A series' first three minutes' mean against its last three's: whether that work grew. */
const trendOf = (series: number[]) => {
  const [first, last] = edgeMeans(series);
  const ratio = first > 0 ? `${(last / first).toFixed(2)}×` : 'none at first';
  return `${first.toFixed(0)} → ${last.toFixed(0)} CPU ms a minute (first 3 minutes' mean → last 3's: ${ratio})`;
};
/** A per-minute count's total in each half of the run. */
const halvesOf = (series: number[]) => {
  const half = Math.ceil(series.length / 2);
  return `${sumOf(series.slice(0, half))} in the first half of the run, ${sumOf(series.slice(half))} in the second`;
};
/** The timer probe's p99 by minute: first three minutes' mean → last three's, and its worst minute. */
const probeTrend = (series: number[]) => {
  const [first, last] = edgeMeans(series);
  return `${first.toFixed(1)} → ${last.toFixed(1)} ms (first 3 minutes' mean → last 3's: ${(last / first).toFixed(2)}×), worst minute ${Math.max(...series).toFixed(1)} ms`;
};
/** Minutes pooled into one p99 by `windowedP99`: ~2,700 first attempts at 10 a second, so its p99 is the 27th-largest. */
const P99_WINDOW_MINUTES = 5;
/**
 * p99 lateness over windows of P99_WINDOW_MINUTES (the run's first and last, and the worst), beside
 * the goal's per-minute figure: a minute's p99 is its ~5th-largest lateness, a handful of host
 * stalls, so two minutes' ratio swings with the stalls they caught; a window's is steadier.
 */
const windowedP99 = (): string => {
  const windows = Math.floor(minutes / P99_WINDOW_MINUTES);
  if (windows < 2) return `p99 over ${P99_WINDOW_MINUTES}-minute windows: the run is too short for two`;
  const p99s = Array.from({ length: windows }, (_, w) =>
    quantile(
      lateness
        .slice(w * P99_WINDOW_MINUTES, (w + 1) * P99_WINDOW_MINUTES)
        .flat()
        .sort((a, b) => a - b),
      0.99,
    ),
  );
  const [firstP99, lastP99] = [p99s[0]!, p99s.at(-1)!];
  return (
    `p99 over ${P99_WINDOW_MINUTES}-minute windows (not the goal's measure; steadier): ${p99s.join(', ')} ms; ` +
    `last ÷ first ${(lastP99 / firstP99).toFixed(2)}×, worst ÷ first ${(Math.max(...p99s) / firstP99).toFixed(2)}×`
  );
};

/** The stack's threads that used ≥ 1 % of its CPU over the run, each with its trend, busiest first. */
const cpuTrend = (series: Map<number, number[]>, label: (tid: number) => string) => {
  const total = sumOf([...series.values()].flat());
  return [...series.entries()]
    .map(([tid, row]) => ({ tid, row, used: sumOf(row) }))
    .filter(({ used }) => used >= total * 0.01)
    .sort((a, b) => b.used - a.used)
    .map(
      ({ tid, row, used }) =>
        `stack ${label(tid)} (${((used / total) * 100).toFixed(0)} % of its CPU): ${trendOf(row)}`,
    );
};

/**
 * What the stack counted for the run (GET /v1/usage, every day it covers), once its metering has
 * caught up: every accepted create is one `scheduled`, exactly, so a fold that stops counting (as a
 * usage ledger stuck on one batch did) shows here. Attempts are shown beside the requests the
 * receiver got; retries still due when the load stopped can keep the two a few apart.
 */
const countedUsage = async (
  call: (method: string, path: string) => Promise<{ status: number; json: any }>,
  accepted: number,
): Promise<string> => {
  const deadline = Date.now() + 20_000;
  let counted = { scheduled: 0, attempts: 0 };
  for (;;) {
    const answer = await call('GET', '/v1/usage');
    const days = (answer.json?.days ?? []) as Array<{ scheduled: number; attempts: number }>;
    counted = { scheduled: sumOf(days.map((d) => d.scheduled)), attempts: sumOf(days.map((d) => d.attempts)) };
    if (counted.scheduled >= accepted || Date.now() > deadline) break;
    await sleep(1_000); // the local stack folds its usage journal every 5 s
  }
  return (
    `usage counted (GET /v1/usage): scheduled ${counted.scheduled} of ${accepted} accepted ` +
    `(exact: ${counted.scheduled === accepted ? 'met' : 'NOT met'}); attempts ${counted.attempts}, requests received ${received}`
  );
};

/**
 * Where a late arrival's time went: the stack records each attempt's lateness as it sent it (due →
 * request started, `latenessMs` of GET /v1/messages/{id}/attempts); the rest is the way there
 * (the request written, carried, read and stamped by the receiver). Asked for every first attempt
 * that arrived LATE_MS or later (every k-th when there are more than 400), split into the run's first and second halves.
 */
const splitLateArrivals = async (
  call: (method: string, path: string) => Promise<{ status: number; json: any }>,
): Promise<string> => {
  const step = Math.ceil(lateArrivals.length / 400);
  const asked = lateArrivals.filter((_, i) => i % step === 0);
  const split = await Promise.all(
    asked.map(async (late, i) => {
      await sleep(i * 20); // 50 a second: within the plan's rate
      const answer = await call('GET', `/v1/messages/${late.id}/attempts`);
      const first = (answer.json?.items as Array<{ n: number; latenessMs: number }> | undefined)?.find(
        (a) => a.n === 1,
      );
      return first ? { ...late, sentLateMs: first.latenessMs } : undefined;
    }),
  );
  const known = split.filter((late) => late !== undefined);
  const half = (part: typeof known, label: string) => {
    if (part.length === 0) return `  ${label}: none`;
    const median = (values: number[]) =>
      quantile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    const stackShare = part.filter((late) => late.sentLateMs * 2 >= late.latenessMs).length;
    return (
      `  ${label}: ${part.length}; median ${median(part.map((late) => late.latenessMs))} ms at the receiver, ` +
      `${median(part.map((late) => late.sentLateMs))} ms of it before the request started; ` +
      `${stackShare} of ${part.length} were at least half late before the request started`
    );
  };
  const midpoint = minutes / 2;
  return [
    `late first attempts (≥ ${LATE_MS} ms at the receiver): ${lateArrivals.length}${lateArrivals.length > asked.length ? ` (${asked.length} of them asked)` : ''}; how late the stack sent them (its own record of each attempt):`,
    half(
      known.filter((late) => late.minute < midpoint),
      'first half of the run',
    ),
    half(
      known.filter((late) => late.minute >= midpoint),
      'second half',
    ),
  ].join('\n');
};

const main = async () => {
  quietSdkNodeNotice();
  const receiver = await startReceiverThread(noteArrival, { ownProcess: values.receiver === 'process' });
  const receiverUrl = receiver.url;
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-soak-'));
  const port = await freePort();
  const { child, apiKey } = await startStackProcess(dataDir, port);
  const api = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    try {
      const response = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json().catch(() => undefined)) as any };
    } catch {
      return { status: 0, json: undefined };
    }
  };

  process.stdout.write(
    `soak: ${minutes} min at ${rate} messages/s (60 % near, 20 % far, 10 % retried, 10 % cancelled) after ${warmupMinutes} min of the same load not counted (the warm-up); ` +
      `stack pid ${child.pid} (${Object.keys(LOCAL_PROCESS_ENV)
        .map((name) => `${name}=${process.env[name] ?? LOCAL_PROCESS_ENV[name]}`)
        .join(' ')} ${stackNodeFlags.join(' ')}; as npm start but the flags SOAK_NODE_FLAGS adds), data ${dataDir}\n`,
  );
  const columns = `minute  created  received  RSS MB mean  end/max (anon + file at end)   main heap live/V8  store heap live/V8  native  p50 ms  p99 ms (far)  max ms  early  load  .ldb (MB)  loop p99/max  scavenges n/max  mark-compacts n/max  receiver loop max  probe p99/max/≥${LATE_MS}  cpu ms main/store/other  soak cpu ms  major faults  main preempted  store calls n/ms each\n`;
  /** The stack's AWS calls by operation, minute by minute. */
  const callMinutes: CallsByOperation[] = [];
  // A process that only waits on timers: how late the machine itself fires them, minute by minute.
  const probe = startTimerProbe(LATE_MS);
  const probeP99s: number[] = [];
  const probeLate: number[] = [];
  const mainPreemptions: number[] = [];
  // CPU by thread, to tell which thread's work grows over the run: the stack's, and the soak's own
  // (load, receiver) that shares the machine's two cores with it.
  const stackCpu = threadCpuMeter(child.pid!);
  const soakCpu = threadCpuMeter(process.pid);
  // The load starts now; minute 1 starts after the warm-up, when the heaps have grown to their
  // working size (the main thread's young generation takes most of a minute to reach its 128 MB),
  // so the goals compare minutes of one steady state.
  soakStart = Date.now() + warmupMinutes * 60_000;
  const end = soakStart + minutes * 60_000;
  let created = 0;
  let failedCreates = 0;
  const counts = { near: 0, far: 0, retried: 0, cancelled: 0 };
  const samples: Array<{
    /** The minute's mean RSS (read every second). */
    rss: number;
    rssAtEnd: number;
    rssMax: number;
    anon: number;
    main: ThreadMemory;
    store: ThreadMemory;
    native: number;
    p99: number;
    tables: number;
    tableBytes: number;
  }> = [];

  // RSS read every second: a minute's mean is its figure. One reading at a minute's end lands
  // anywhere in V8's collection cycle (the main thread's heap holds 90-150 MB around a live ~35 MB,
  // by when it last collected), a swing of ±25 MB that would decide the goal by chance.
  let minuteRss: number[] = [];
  const rssSampler = setInterval(() => {
    void rssOf(child.pid!).then(
      ({ rss }) => minuteRss.push(rss),
      () => {},
    );
  }, 1_000);

  const load = (async () => {
    let next = Date.now();
    while (Date.now() < end) {
      const roll = Math.random();
      const kind = roll < 0.6 ? 'near' : roll < 0.8 ? 'far' : roll < 0.9 ? 'retried' : 'cancelled';
      counts[kind] += 1;
      const delay =
        kind === 'far' ? 6 + Math.random() * 14 : kind === 'cancelled' ? 10 + Math.random() * 5 : 1 + Math.random() * 3;
      const path = kind === 'retried' ? '/soak/flaky' : `/soak/ok/${kind}`;
      void call('POST', '/v1/messages', {
        url: `${receiverUrl}${path}`,
        delay,
        body: { kind, n: created },
        retry: { maxAttempts: 3 },
      }).then(async (answer) => {
        if (answer.status !== 201) {
          failedCreates += 1;
          return;
        }
        if (kind === 'cancelled') {
          await sleep(1_000);
          await call('DELETE', `/v1/messages/${answer.json.id}`);
        }
      });
      created += 1;
      next += 1000 / rate;
      await sleep(next - Date.now());
    }
  })();

  if (warmupMinutes > 0) {
    await sleep(soakStart - Date.now());
    // Every per-minute meter starts its first counted minute here.
    const [{ rss }, { main: mainThread }] = await Promise.all([rssOf(child.pid!), heapOf(child)]);
    await Promise.all([probe.minute(), receiver.loopMaxMs()]);
    process.stdout.write(
      `warm-up: ${created} created, ${received} received; at its end RSS ${mb(rss)} MB, the main thread's V8 heap ${mb(committedOf(mainThread))} MB\n`,
    );
    minuteRss = [];
  }
  process.stdout.write(columns);
  await Promise.all([stackCpu.start(), soakCpu.start()]);
  let majorFaults = await majorFaultsOf(child.pid!);
  let preemptions = await preemptionsOf(child.pid!);
  for (let minute = 0; minute < minutes; minute += 1) {
    await sleep(soakStart + (minute + 1) * 60_000 - Date.now());
    const { rss: rssAtEnd, anon, file } = await rssOf(child.pid!);
    const rss = minuteRss.length > 0 ? minuteRss.reduce((sum, value) => sum + value, 0) / minuteRss.length : rssAtEnd;
    const rssMax = Math.max(rssAtEnd, ...minuteRss);
    minuteRss = [];
    const { main: mainThread, store, stalled, calls } = await heapOf(child);
    callMinutes.push(calls);
    const storeCalls = storeCallsOf(calls);
    // Anonymous memory that is neither V8 heap: buffers, LevelDB (block cache, memtables), malloc's arenas.
    const native = anon - committedOf(mainThread) - committedOf(store);
    if (values.allocations && minute === 1) {
      // After warm-up: what the stack's main thread allocates in 30 s of steady load (printed at the end).
      await allocationsOf(child, values.allocations, ALLOCATION_SAMPLE_MS);
    }
    if (values.snapshots && (minute === 1 || minute === minutes - 1)) {
      await snapshotOf(child, values.snapshots, `minute-${minute + 1}`);
    }
    const tables = await tablesOf(join(dataDir, 'dynamodb'));
    const sorted = [...(lateness[minute] ?? [])].sort((a, b) => a - b);
    const p99 = quantile(sorted, 0.99);
    const farP99 = quantile(
      [...(farLateness[minute] ?? [])].sort((a, b) => a - b),
      0.99,
    );
    const receiverLoopMaxMs = await receiver.loopMaxMs();
    const probed = await probe.minute();
    probeP99s.push(probed.p99Ms);
    probeLate.push(probed.lateCount);
    const [stackUsed, soakUsed] = await Promise.all([stackCpu.minute(), soakCpu.minute()]);
    const mainMs = stackUsed.get(child.pid!) ?? 0;
    const storeMs = (store.tid && stackUsed.get(store.tid)) || 0;
    const faultsNow = await majorFaultsOf(child.pid!);
    const faultsColumn = String(faultsNow - majorFaults);
    majorFaults = faultsNow;
    const preemptionsNow = await preemptionsOf(child.pid!);
    mainPreemptions.push(preemptionsNow - preemptions);
    preemptions = preemptionsNow;
    const cpuColumn = `${mainMs.toFixed(0)}/${storeMs.toFixed(0)}/${(sumOf(stackUsed.values()) - mainMs - storeMs).toFixed(0)}`;
    samples.push({
      rss,
      rssAtEnd,
      rssMax,
      anon,
      main: mainThread,
      store,
      native,
      p99,
      tables: tables.files,
      tableBytes: tables.bytes,
    });
    const liveOverV8 = (thread: ThreadMemory) => `${mb(thread.memory.heapUsed)}/${mb(committedOf(thread))}`;
    process.stdout.write(
      `${String(minute + 1).padStart(6)}  ${String(created).padStart(7)}  ${String(received).padStart(8)}  ` +
        `${mb(rss).padStart(7)} ${`${mb(rssAtEnd)}/${mb(rssMax)}`.padStart(11)} (${mb(anon).padStart(5)} + ${mb(file).padStart(5)})  ${liveOverV8(mainThread).padStart(17)}  ` +
        `${liveOverV8(store).padStart(18)}  ${mb(native).padStart(6)}  ${String(quantile(sorted, 0.5)).padStart(6)}  ` +
        `${String(p99).padStart(6)} ${String(farP99).padStart(7)}  ${String(sorted.at(-1) ?? Number.NaN).padStart(6)}  ${String(early).padStart(5)}  ` +
        `${loadavg()[0]!.toFixed(1).padStart(4)}  ${String(tables.files).padStart(4)} (${mb(tables.bytes)})  ` +
        `${`${stalled.loopP99Ms.toFixed(0)}/${stalled.loopMaxMs.toFixed(0)}`.padStart(12)}  ` +
        `${`${stalled.minor}/${stalled.minorMaxMs.toFixed(0)}`.padStart(14)}  ` +
        `${`${stalled.major}/${stalled.majorMaxMs.toFixed(0)}`.padStart(19)}  ${receiverLoopMaxMs.toFixed(0).padStart(8)}  ` +
        `${`${probed.p99Ms.toFixed(1)}/${probed.maxMs.toFixed(0)}/${probed.lateCount}`.padStart(17)}  ` +
        `${cpuColumn.padStart(23)}  ${sumOf(soakUsed.values()).toFixed(0).padStart(11)}  ${faultsColumn.padStart(12)}  ${String(mainPreemptions.at(-1)).padStart(14)}  ` +
        `${`${storeCalls.n}/${storeCalls.meanMs.toFixed(1)}`.padStart(20)}\n`,
    );
  }
  await load;
  clearInterval(rssSampler);

  const first = samples[0]!;
  const last = samples.at(-1)!;
  // RSS figures are minute means. The baseline is the lower of minutes 1 and 2 (both after the
  // warm-up): a busy machine can make minute 1 a spike (a backlog in the heap), and measuring from
  // a spike would hide growth.
  const second = samples[1] ?? first;
  const warm = second.rss < first.rss ? second : first;
  const growth = (last.rss - warm.rss) / warm.rss;
  const worstP99 = Math.max(...samples.slice(1).map((s) => s.p99), first.p99);
  const p99Ratio = last.p99 / first.p99;
  const worstRatio = worstP99 / first.p99;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  process.stdout.write(
    [
      '',
      `load: ${created} messages created (${failedCreates} not accepted): ${Object.entries(counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}; ${received} requests received; ${early} early`,
      `RSS (a minute's mean, read every second) after warm-up ${mb(warm.rss)} MB (the lower of minutes 1 and 2: ${mb(first.rss)}, ${mb(second.rss)}) → last minute ` +
        `${mb(last.rss)} MB: ${(growth * 100).toFixed(1)} % (goal ≤ ${RSS_GOAL * 100} %: ${verdict(growth <= RSS_GOAL)}); ` +
        `minute means ${mb(Math.min(...samples.map((s) => s.rss)))}–${mb(Math.max(...samples.map((s) => s.rss)))} MB; ` +
        `single readings at minutes' ends ${mb(warm.rssAtEnd)} → ${mb(last.rssAtEnd)} MB (${(((last.rssAtEnd - warm.rssAtEnd) / warm.rssAtEnd) * 100).toFixed(1)} %), highest reading ${mb(Math.max(...samples.map((s) => s.rssMax)))} MB`,
      `at those minutes' ends, anonymous memory ${mb(warm.anon)} MB → ${mb(last.anon)} MB: ${(((last.anon - warm.anon) / warm.anon) * 100).toFixed(1)} %, ` +
        `file-backed (the node binary, LevelDB's table files mapped for reads) ${mb(warm.rssAtEnd - warm.anon)} MB → ${mb(last.rssAtEnd - last.anon)} MB`,
      ...(['main', 'store'] as const).map((thread) => {
        const [a, b] = [warm[thread], last[thread]];
        const spaces = ['new_space', 'old_space', 'code_space', 'large_object_space']
          .map((name) => `${name.replace('_space', '')} ${mb(spaceOf(a, name))} → ${mb(spaceOf(b, name))}`)
          .join(', ');
        return `${thread} thread: live heap ${mb(a.memory.heapUsed)} MB → ${mb(b.memory.heapUsed)} MB; V8 holds ${mb(committedOf(a))} MB → ${mb(committedOf(b))} MB (${spaces})`;
      }),
      `native (anonymous memory outside both V8 heaps: Buffers, LevelDB's caches and memtables, malloc's arenas) ${mb(warm.native)} MB → ${mb(last.native)} MB`,
      `p99 lateness: first minute ${first.p99} ms, last minute ${last.p99} ms (${p99Ratio.toFixed(2)}×), worst minute ` +
        `${worstP99} ms (${worstRatio.toFixed(2)}×) (goal ≤ ${P99_GOAL}×: ${verdict(worstRatio <= P99_GOAL)})`,
      windowedP99(),
      ...(values.allocations
        ? [summarizeAllocations(JSON.parse(await readFile(values.allocations, 'utf8')), ALLOCATION_SAMPLE_MS / 1000)]
        : []),
      ...cpuTrend(stackCpu.series, (tid) =>
        tid === child.pid ? 'main' : tid === last.store.tid ? 'store' : `thread ${tid}`,
      ),
      `soak process (the load; the receiver too unless --receiver process): ${trendOf([...soakCpu.series.values()].reduce(addSeries, []))}`,
      `timer probe (a process that only waits on 5 ms timers: the machine's own lateness): p99 ${probeTrend(probeP99s)}; timers ${LATE_MS} ms or more late: ${halvesOf(probeLate)}`,
      `stack main thread preempted (switched out while it could have run on): ${edgeMeans(mainPreemptions)
        .map((mean) => mean.toFixed(0))
        .join(' → ')} times a minute (first 3 minutes' mean → last 3's)`,
      `store: ${first.tables} .ldb files (${mb(first.tableBytes)} MB) after minute 1 → ${last.tables} (${mb(last.tableBytes)} MB) at the end`,
      `store calls by operation (the stack's DynamoDB calls, counted and timed by its own clients; first 3 minutes → last 3):`,
      ...callTrends(callMinutes),
      `measured in the stack's own process (pid ${child.pid}): RSS from /proc/<pid>/status (main thread, the store's worker thread, native memory), live heap = each thread's V8 heap in use after a full collection (the main thread's as its latest mark-compact left it; dynalite's worker thread, "store", after one the soak asks for), V8 = what that heap holds from the OS, native = anonymous memory outside both heaps, load = the machine's 1-minute load average (it has 2 cores); loop = the stack's main event loop's delay, scavenges/mark-compacts = its collections and the longest pause of each, receiver loop = the receiver thread's longest delay (ms); probe = how late a process that does nothing but wait on 5 ms timers saw them fire (p99/max in ms, and how many were ${LATE_MS} ms or more late: the machine, not Vigil); cpu ms = CPU time the stack's main thread, its store's thread and its other threads (V8's helpers, libuv's pool, LevelDB's compaction) used in the minute, and the soak's own process (load and receiver); major faults = pages the stack's process had to read back from disk in the minute; main preempted = how often the stack's main thread was switched out involuntarily in the minute (another thread took its core: VIGIL_HELPER_THREAD_NICE); store calls = the stack's DynamoDB calls in the minute and their mean time from request to parsed answer`,
      '',
    ].join('\n'),
  );
  process.stdout.write(`${await countedUsage(call, created - failedCreates)}\n`);
  process.stdout.write(`${await splitLateArrivals(call)}\n`);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await receiver.close();
  probe.close();
  if (values.arrivals)
    await writeFile(values.arrivals, `dueAt,arrivedAt,latenessMs,path\n${firstAttempts.join('\n')}\n`);
  if (!values.keep) await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};

main().catch((error) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
