/**
 * The local stack for `npm run soak`, as `npm start` runs it, plus two things over IPC (the heaps
 * cannot be read from outside): `memory` answers with the main thread's `process.memoryUsage()`
 * and the store's worker thread's, with heapUsed = what is live, not garbage waiting for the next
 * collection: for the store, taken after a full collection the soak asks for in that thread; for
 * the main thread, as its latest mark-compact left it (observed, not forced: a forced collection
 * stalled the main thread's loop 30–50 ms each minute, lateness the soak itself caused), and the
 * store's thread id (the soak's CPU by thread names it);
 * `{ snapshot: prefix }`
 * writes a heap snapshot of each thread (`<prefix>-main.heapsnapshot`,
 * `<prefix>-dynalite.heapsnapshot`) and answers when done. With `memory` comes what stalled the main
 * thread since the last one (`stallRecorder`) and the stack's AWS calls by operation (`callRecorder`).
 */
import { constants as perf, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { readLocalConfig } from '@vigil/local/config';
import type { ClientInstrument } from '@vigil/aws';
import { startStack } from '@vigil/local/stack';
import type { MiddlewareClient } from './cost/aws-call-meter';
import { bodyText, queriedKey } from './cost/aws-call-meter';
import { partitionKeyClass } from './cost/partition-key-class';

/**
 * What stalled the main thread since the last `memory` question (asked once a minute): its event
 * loop's delay (p99 and max, from perf_hooks' histogram) and its garbage collections' pauses by
 * kind (how many scavenges and mark-compacts, and the longest of each), so a minute whose p99 lateness spikes can be told
 * apart: a long collection, another stall of the loop, or neither (the lateness arose elsewhere).
 */
const stallRecorder = () => {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const empty = () => ({ minor: 0, minorMaxMs: 0, major: 0, majorMaxMs: 0 });
  let gcs = empty();
  /** The main thread's heap in use as its latest mark-compact left it: what is live. */
  let liveAfterMajor: number | undefined;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { kind = 0, flags = 0 } = ((entry as { detail?: unknown }).detail ?? {}) as {
        kind?: number;
        flags?: number;
      };
      if (flags & perf.NODE_PERFORMANCE_GC_FLAGS_FORCED) continue; // a heap snapshot's
      if (kind === perf.NODE_PERFORMANCE_GC_MINOR) {
        gcs.minor += 1;
        gcs.minorMaxMs = Math.max(gcs.minorMaxMs, entry.duration);
      } else if (kind === perf.NODE_PERFORMANCE_GC_MAJOR) {
        liveAfterMajor = getHeapStatistics().used_heap_size;
        gcs.major += 1;
        gcs.majorMaxMs = Math.max(gcs.majorMaxMs, entry.duration);
      }
    }
  }).observe({ entryTypes: ['gc'] });
  const stalled = () => {
    const result = { loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, ...gcs };
    gcs = empty();
    loop.reset();
    return result;
  };
  return { stalled, liveHeap: () => liveAfterMajor };
};

/**
 * Samples what the main thread allocates for `ms` (V8's sampling heap profiler, one sample per
 * 32 KiB on average, counting objects the collections have freed since, so it shows what is
 * allocated, not what stays) and writes it as a `.heapprofile` (Chrome DevTools opens it;
 * `npm run soak` prints its top allocators).
 */
const sampleAllocations = async (file: string, ms: number) => {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  const { profile } = await post('HeapProfiler.stopSampling');
  session.disconnect();
  await writeFile(file, JSON.stringify(profile));
};

/** What a Query reads: its index (or the table) and its partition key's class (`P#<shard>`, `B#<bucket>#<shard>`, ...). */
const queried = (body: unknown): string => {
  const input = JSON.parse(bodyText(body)) as Record<string, any>;
  return `${input.IndexName ?? 'table'} ${partitionKeyClass(queriedKey(input))}`;
};

/**
 * The stack's AWS calls (store, queues, scheduler) since the last `memory` question, by operation
 * (a Query also by index and partition key class): how many, and their total time seen from the caller (request to parsed answer, ms). A minute whose
 * store thread works harder at the same load says whether it was asked more or each answer cost more.
 */
const callRecorder = () => {
  let calls = new Map<string, { n: number; ms: number }>();
  const instrument: ClientInstrument = (client) => {
    (client as unknown as MiddlewareClient).middlewareStack.add(
      (next, context) => async (args) => {
        const started = performance.now();
        try {
          return await next(args);
        } finally {
          const target = args.request.headers['x-amz-target'];
          const operation = target
            ? target.replace(/^DynamoDB_\d+\./, 'DynamoDB.').replace(/^AmazonSQS\./, 'SQS.') +
              (target.endsWith('.Query') ? ` ${queried(args.request.body)}` : '')
            : `${(context.clientName ?? '').replace(/Client$/, '')}.${(context.commandName ?? '').replace(/Command$/, '')}`;
          const seen = calls.get(operation) ?? { n: 0, ms: 0 };
          seen.n += 1;
          seen.ms += performance.now() - started;
          calls.set(operation, seen);
        }
      },
      { step: 'build', name: 'soakCallRecorder' },
    );
  };
  const taken = () => {
    const minute = Object.fromEntries(calls);
    calls = new Map();
    return minute;
  };
  return { instrument, taken };
};

const main = async () => {
  const calls = callRecorder();
  const stack = await startStack({
    ...readLocalConfig(),
    observer: { instrument: calls.instrument, invocation: (_functionName, run) => run() },
  });
  const stalls = stallRecorder();
  process.on('message', (message: unknown) => {
    if (message === 'memory') {
      const stalled = stalls.stalled();
      void stack.dynalite.memory(true).then((store) => {
        const memory = process.memoryUsage();
        const main = {
          memory: { ...memory, heapUsed: stalls.liveHeap() ?? memory.heapUsed },
          spaces: getHeapSpaceStatistics(),
        };
        process.send?.({ main, store: { ...store, tid: stack.dynalite.tid }, stalled, calls: calls.taken() });
      });
    } else if (typeof message === 'object' && message !== null && 'snapshot' in message) {
      const prefix = String(message.snapshot);
      writeHeapSnapshot(`${prefix}-main.heapsnapshot`);
      void stack.dynalite
        .writeHeapSnapshot(`${prefix}-dynalite.heapsnapshot`)
        .then(() => process.send?.({ snapshot: prefix }));
    } else if (typeof message === 'object' && message !== null && 'allocations' in message) {
      const { file, ms } = message.allocations as { file: string; ms: number };
      void sampleAllocations(file, ms).then(() => process.send?.({ allocations: file }));
    }
  });
  process.stdout.write(`API key ${stack.apiKey}\n`);
  process.on('SIGTERM', () => {
    void stack.stop().then(() => process.exit(0));
  });
};

main().catch((error) => {
  process.stderr.write(`soak stack failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
