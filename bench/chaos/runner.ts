/**
 * The chaos suite (`npm run chaos`, and its short profile in e2e/chaos.e2e.test.ts): the local
 * stack as a child process with its fault layer on (VIGIL_CHAOS: throttling, 5xx, held requests
 * and connection resets between the handlers and dynalite, fauxqs and the scheduler emulator),
 * killed with SIGKILL at random instants and started again on the same data dir, while a seeded
 * workload schedules near and far messages, batches, cancels (one by one and as bulk jobs),
 * reschedules (PATCH), retries made now, messages under flow keys, callbacks, a notification
 * endpoint and idempotent re-posts to receivers that misbehave in known ways. At the end the invariants (invariants.ts) are checked and printed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '@vigil/local/fault-proxy';
import { StackProcess } from '../../e2e/target';
import { FAST_ENGINE_ENV } from '../../test-support/local-stack';
import type { AcceptedMessage, AttemptView, FlowLimits, InvariantResult, RunFacts, UsageCounts } from './invariants';
import { readFinalStates, TERMINAL_STATUSES } from './final-states';
import { checkAll, expectedEvents, JOB_PATIENCE_MS } from './invariants';
import type { BehaviourName, ChaosReceiver } from './receivers';
import { BEHAVIOUR_NAMES, BEHAVIOURS, startChaosReceiver } from './receivers';

export interface ChaosOptions {
  seed: number;
  /** How long the workload runs (messages keep being scheduled). */
  workloadMs: number;
  /** New messages per second, on average (batches count each message). */
  ratePerS: number;
  /** SIGKILLs during the workload, at random instants. */
  kills: number;
  /** Fault rates for VIGIL_CHAOS (`throttle=0.03,5xx=0.02,...`), or empty for the defaults. */
  rates: string;
  /** A message may still wait this long after the run's last due time (covers a lease after a kill). */
  graceMs: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  results: InvariantResult[];
  ok: boolean;
  stats: Record<string, number | string>;
  faults: Record<string, Record<string, number>>;
}

export const SHORT_PROFILE = { workloadMs: 50_000, ratePerS: 2, kills: 2, graceMs: 60_000 };
export const longProfile = (minutes: number) => ({
  workloadMs: minutes * 60_000,
  ratePerS: 3,
  kills: Math.max(2, Math.round(minutes / 2)),
  graceMs: 60_000,
});

/**
 * The engine settings of the chaos stack: short buckets (the far path runs in seconds), sweep every
 * 5 s, and a sweep's re-enqueued ticket expected within 15 s, all in step with those timings.
 */
export const CHAOS_ENGINE_ENV: Record<string, string> = {
  ...FAST_ENGINE_ENV,
  VIGIL_SWEEP_EVERY_S: '5',
  // A ticket the sweep re-enqueued is expected within seconds at these timings (default 300 s).
  VIGIL_FLIGHT_ALLOWANCE_S: '15',
  // Warnings too: a rollback, a take-over, a record that failed are what a broken invariant is
  // traced back by (the stack's output is kept in the data dir, beside the facts).
  VIGIL_LOG_LEVEL: 'warn',
  VIGIL_WEB: 'off',
};

/** The flow keys of the workload's limited messages, and the receivers they go to. */
const FLOW_KEYS: readonly FlowLimits[] = [
  { key: 'chaos-one-at-a-time', parallelism: 1 },
  { key: 'chaos-two-a-second', ratePerSecond: 2 },
];
const FLOW_BEHAVIOURS: readonly BehaviourName[] = ['ok', 'slow', 'flaky', 'timeout', 'reset-once'];

/** How long (of stack up-time) the suite repeats a request that gets no definite answer. */
const PATIENCE_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Answer {
  status: number;
  json?: any;
  retryAfterS?: number;
  error?: string;
}

/** The API as a client with a flaky network sees it: every call answers, a network failure as status 0. */
const apiCall = async (
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> => {
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const retryAfter = response.headers.get('retry-after');
    return {
      status: response.status,
      json,
      ...(retryAfter !== null && Number.isFinite(Number(retryAfter)) && { retryAfterS: Number(retryAfter) }),
    };
  } catch (error) {
    return { status: 0, error: (error as Error).message };
  }
};

/**
 * Worth another try with the same request (and key): no answer, a 5xx, a 429, or a 409 saying the
 * first request with the key is still being processed (openapi.yaml: retry).
 */
const retryable = (a: Answer) =>
  a.status === 0 ||
  a.status >= 500 ||
  a.status === 429 ||
  (a.status === 409 && String(a.json?.type ?? '').endsWith('idempotency-key-in-use'));
const refusal = (a: Answer) =>
  `${retryable(a) ? 'gave up after retries' : 'refused'}: ${a.status} ${a.error ?? JSON.stringify(a.json)?.slice(0, 200)}`;

export const runChaos = async (options: ChaosOptions): Promise<ChaosReport> => {
  const { seed, log } = options;
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number) => min + random() * (max - min);

  const receiver: ChaosReceiver = await startChaosReceiver();
  let restarts = 0;
  const chaosFor = (run: number) => `${seed + run * 7919}${options.rates ? `:${options.rates}` : ''}`;
  const stack = await StackProcess.create({ env: { ...CHAOS_ENGINE_ENV, VIGIL_CHAOS: chaosFor(0) } });
  const faults: Record<string, Record<string, number>> = {};
  const collectFaults = async () => {
    try {
      const report = JSON.parse(await readFile(join(stack.dataDir, 'chaos-faults.json'), 'utf8')) as {
        counts: Record<string, Record<string, number>>;
      };
      for (const [service, counts] of Object.entries(report.counts)) {
        faults[service] ??= {};
        for (const [kind, n] of Object.entries(counts)) faults[service][kind] = (faults[service][kind] ?? 0) + n;
      }
    } catch {
      // No report yet (the stack died within its first second).
    }
  };

  /** Starts the stack, again if it dies while starting (a start-up sweep can meet an injected fault). */
  const start = async (): Promise<string> => {
    for (let tries = 1; ; tries += 1) {
      stack.env.VIGIL_CHAOS = chaosFor(restarts);
      try {
        return await stack.start(90_000);
      } catch (error) {
        restarts += 1;
        if (tries >= 5) throw error;
        // The error's first line says how it ended, its last what the stack printed last.
        const lines = String(error).trim().split('\n');
        const why = [lines[0], ...(lines.length > 1 ? [lines.at(-1)] : [])].join(' … ').slice(0, 300);
        log(`  stack failed to start (try ${tries}: ${why}), starting again`);
        await stack.stop('SIGKILL');
      }
    }
  };

  log(
    `chaos: seed ${seed}, workload ${Math.round(options.workloadMs / 1000)} s at ~${options.ratePerS} messages/s, ${options.kills} kill(s), rates ${options.rates || 'default'}`,
  );
  log(`  data dir ${stack.dataDir}, receiver ${receiver.url}`);
  const apiKey = await start();
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    apiCall(stack.baseUrl, apiKey, method, path, body, headers);
  // Time the stack was up: a client's patience is measured in it, not in the suite's restarts.
  let downMs = 0;
  let downSince: number | undefined;
  const upClock = () => Date.now() - downMs - (downSince === undefined ? 0 : Date.now() - downSince);
  /** Repeats one request (same key) until it gets an answer to trust, or PATIENCE_MS of stack up-time pass. */
  const persist = async (call: () => Promise<Answer>): Promise<Answer & { ambiguous: boolean }> => {
    let ambiguous = false;
    const from = upClock();
    for (;;) {
      const answer = await call();
      if (!retryable(answer) || upClock() - from > PATIENCE_MS) return { ...answer, ambiguous };
      if (answer.status !== 429) ambiguous = true;
      // Math.random, not the seeded source: these retries interleave, the workload's draws must not.
      await sleep(answer.status === 429 ? (answer.retryAfterS ?? 1) * 1000 : 500 + Math.random() * 1000);
    }
  };

  // Every message that fails is also told to the tenant's notification endpoint.
  const endpoint = await persist(() =>
    api('POST', '/v1/notification-endpoints', {
      url: receiver.eventUrlFor('notification', 'ops'),
      events: ['message.failed'],
    }),
  );
  // 200: a retry whose first try made the endpoint (one endpoint a URL).
  const notifying = endpoint.status === 201 || endpoint.status === 200;
  if (!notifying) log(`  notification endpoint ${refusal(endpoint)}; message.failed not checked`);

  const startedAt = Date.now();
  const workloadEnd = startedAt + options.workloadMs;
  const accepted = new Map<string, AcceptedMessage>();
  const abandonedKeys: string[] = [];
  const abandonedWhy: Record<string, string> = {};
  const abandon = (keys: string[], answer: Answer) => {
    const why = `${answer.status} ${answer.error ?? answer.json?.type ?? ''}`.trim();
    for (const key of keys) {
      abandonedKeys.push(key);
      abandonedWhy[key] = why;
    }
  };
  const idempotencyProblems: RunFacts['idempotencyProblems'] = [];
  const jobs: NonNullable<RunFacts['jobs']> = { started: 0, problems: [] };
  const kills: number[] = [];
  const stats = {
    creates: 0,
    batches: 0,
    repostsChecked: 0,
    cancels: 0,
    keyReuseProbes: 0,
    redelivers: 0,
    reschedules: 0,
    retriesNow: 0,
    bulkCancels: 0,
    flowLimited: 0,
  };
  const ops: Array<Promise<void>> = [];
  const runKey = `chaos-${seed}-${startedAt}`;

  const messageIn = (behaviour: BehaviourName, key: string, sendAt: number, flow?: FlowLimits) => ({
    url: receiver.urlFor(behaviour, key),
    sendAt: new Date(sendAt).toISOString(),
    body: { key, behaviour },
    retry: { maxAttempts: BEHAVIOURS[behaviour].maxAttempts },
    timeoutMs: BEHAVIOURS[behaviour].timeoutMs,
    ...(flow && { flowControl: flow }),
  });
  const dueIn = () => (random() < 0.3 ? between(6_000, 20_000) : between(1_000, 4_000));
  const accept = (json: any, behaviour: BehaviourName, key: string) => {
    const m: AcceptedMessage = { id: String(json.id), key, behaviour, sendAt: Date.parse(json.sendAt) };
    accepted.set(m.id, m);
    return m;
  };

  /** Reads a message every `everyMs` until it shows `status` (true), ends otherwise, or `forMs` pass. */
  const reaches = async (id: string, status: string, everyMs: number, forMs: number): Promise<boolean> => {
    const until = Date.now() + forMs;
    while (Date.now() < until) {
      await sleep(everyMs);
      const now = await api('GET', `/v1/messages/${id}`);
      if (now.status !== 200) continue;
      if (now.json.status === status) return true;
      if (TERMINAL_STATUSES.has(now.json.status)) return false;
    }
    return false;
  };
  const keyHeaders = (key: string) => ({ 'idempotency-key': `${runKey}-${key}` });
  /** One create, repeated as a careful client would: the message accepted, or undefined (logged). */
  const create = async (behaviour: BehaviourName, key: string, body: object): Promise<AcceptedMessage | undefined> => {
    stats.creates += 1;
    const answer = await persist(() => api('POST', '/v1/messages', body, keyHeaders(key)));
    if (answer.status === 201 || answer.status === 200) return accept(answer.json, behaviour, key);
    // Only a request that never got a definite answer is left out; a 4xx refused it, so nothing
    // of it may be delivered (bounded-sends names any that is).
    if (retryable(answer)) abandon([key], answer);
    log(`  create ${key} ${refusal(answer)}`);
    return undefined;
  };

  const single = async (i: number, options: { cancel?: boolean; repost?: boolean; probe?: boolean }) => {
    const behaviour = options.cancel ? 'ok' : pick(BEHAVIOUR_NAMES);
    const key = `s${i}`;
    const sendAt = Date.now() + (options.cancel ? between(5_000, 15_000) : dueIn());
    const callback = !options.cancel && random() < 0.25;
    const body = {
      ...messageIn(behaviour, key, sendAt),
      ...(callback && { callback: { url: receiver.eventUrlFor('callback', key), on: ['delivered', 'failed'] } }),
    };
    const headers = keyHeaders(key);
    const cancelAfter = between(500, 2_500);
    const repostAfter = between(0, 3_000);
    const redeliver = random() < 0.5;
    const retryNow = behaviour === 'flaky' && random() < 0.5;
    const m = await create(behaviour, key, body);
    if (!m) return;
    if (callback) m.callback = true;
    if (options.repost) {
      await sleep(repostAfter);
      const again = await persist(() => api('POST', '/v1/messages', body, headers));
      stats.repostsChecked += 1;
      if (again.status !== 200 || again.json?.id !== m.id) {
        idempotencyProblems.push({
          key,
          problem: `re-post answered ${again.status} with ${again.json?.id ?? 'no id'}, first was ${m.id}`,
        });
        if (again.status === 201 && again.json?.id) accept(again.json, behaviour, `${key}-dup`);
      }
    }
    if (options.probe) {
      stats.keyReuseProbes += 1;
      const other = { ...body, body: { key, behaviour, changed: true } };
      const reused = await persist(() => api('POST', '/v1/messages', other, headers));
      if (reused.status !== 422) {
        idempotencyProblems.push({
          key,
          problem: `same Idempotency-Key, different body: answered ${reused.status} (${reused.json?.type ?? reused.json?.id ?? ''}), not 422`,
        });
      }
      if (reused.status === 201 && reused.json?.id && reused.json.id !== m.id) {
        idempotencyProblems.push({ key, problem: `a reused key made a second message ${reused.json.id}` });
      }
    }
    if (behaviour === 'gone' && redeliver && (await reaches(m.id, 'failed', 2_000, 90_000))) {
      // Once it has failed (410), a redeliver: a new round, counted like a create, failing again.
      // Keyed, so a repeat after a lost answer starts no second round: without a key, one whose
      // round had failed again by then (one attempt against a 410) was redelivered once more.
      stats.redelivers += 1;
      m.redelivered = true;
      await persist(() => api('POST', `/v1/messages/${m.id}/redeliver`, undefined, keyHeaders(`${key}-redeliver`)));
    }
    if (retryNow && (await reaches(m.id, 'retrying', 500, 30_000))) {
      // Its first attempt failed: its next made now (the retry ticket still on its way). Keyed, so a
      // repeat after a lost answer makes no second attempt once the first has failed again.
      stats.retriesNow += 1;
      await persist(() => api('POST', `/v1/messages/${m.id}/retry`, undefined, keyHeaders(`${key}-retry`)));
    }
    if (options.cancel) {
      await sleep(cancelAfter);
      stats.cancels += 1;
      const cancel = await persist(() => api('DELETE', `/v1/messages/${m.id}`));
      m.cancel = cancel.status >= 200 && cancel.status < 300 ? 'cancelled' : cancel.ambiguous ? 'ambiguous' : 'refused';
    }
  };

  const batch = async (i: number, repost: boolean) => {
    const size = 2 + Math.floor(random() * 4);
    const items = Array.from({ length: size }, (_, j) => {
      const behaviour = pick(BEHAVIOUR_NAMES);
      const key = `b${i}-${j}`;
      return { behaviour, key, body: messageIn(behaviour, key, Date.now() + dueIn()) };
    });
    const headers = keyHeaders(`b${i}`);
    const payload = { messages: items.map((item) => item.body) };
    const repostAfter = between(0, 3_000);
    stats.batches += 1;
    const answer = await persist(() => api('POST', '/v1/messages/batch', payload, headers));
    if (answer.status !== 201 && answer.status !== 200) {
      if (retryable(answer))
        abandon(
          items.map((item) => item.key),
          answer,
        );
      log(`  batch b${i} ${refusal(answer)}`);
      return;
    }
    const outs = (answer.json?.items ?? []) as any[];
    items.forEach((item, j) => outs[j] && accept(outs[j], item.behaviour, item.key));
    if (repost) {
      await sleep(repostAfter);
      stats.repostsChecked += 1;
      const again = await persist(() => api('POST', '/v1/messages/batch', payload, headers));
      const same = (again.json?.items ?? []).map((o: any) => o.id).join(',') === outs.map((o) => o.id).join(',');
      if (!(again.status >= 200 && again.status < 300 && same)) {
        idempotencyProblems.push({
          key: `b${i}`,
          problem: `batch re-post with the same Idempotency-Key answered ${again.status} with ${same ? 'the same' : 'other'} ids`,
        });
        if (!same) {
          items.forEach((item, j) => {
            const out = again.json?.items?.[j];
            if (out?.id) accept(out, item.behaviour, `${item.key}-dup`);
          });
        }
      }
    }
  };

  /** A PATCH of its due time (earlier or later) soon after the create; retried as a client would. */
  const reschedule = async (i: number) => {
    const behaviour = pick(BEHAVIOUR_NAMES.filter((b) => b !== 'gone'));
    const key = `r${i}`;
    const body = messageIn(behaviour, key, Date.now() + between(6_000, 20_000));
    const patchAfter = between(300, 2_500);
    const moveBy = between(-4_000, 8_000);
    const m = await create(behaviour, key, body);
    if (!m) return;
    await sleep(patchAfter);
    stats.reschedules += 1;
    // Whole milliseconds, as the API keeps them; at least 1.5 s ahead.
    const sendAt = new Date(Math.max(m.sendAt + Math.round(moveBy), Date.now() + 1_500)).toISOString();
    let lost = false;
    for (let tries = 1; ; tries += 1) {
      const patched = await persist(() => api('PATCH', `/v1/messages/${m.id}`, { sendAt }));
      lost ||= patched.ambiguous;
      if (patched.status === 200) {
        // A message tried before the change (its PATCH retried for long) sent those with the old time.
        if ((patched.json.attempts ?? 0) > 0) m.maybeSendAt = [m.sendAt];
        m.sendAt = Date.parse(patched.json.sendAt);
        return;
      }
      // Others changed it meanwhile (the engine's dispatch): the API says to send it again, by a 409's Retry-After.
      if (patched.status === 409 && patched.retryAfterS !== undefined && tries < 5) continue;
      // Refused (409: already handed to a worker), or no definite answer: a lost answer may have moved it.
      if (lost || retryable(patched)) m.maybeSendAt = [Date.parse(sendAt)];
      return;
    }
  };

  /**
   * A message under one of two flow keys (one request in flight; two starts a second): the limiter
   * holds it back under faults and kills (flow-limits).
   */
  const limited = async (i: number) => {
    const behaviour = pick(FLOW_BEHAVIOURS);
    const key = `f${i}`;
    const flow = pick(FLOW_KEYS);
    // Due on a 10 s boundary, with the others of that boundary: they contend for the key's turns.
    const sendAt = Math.ceil((Date.now() + dueIn()) / 10_000) * 10_000 + Math.round(between(0, 200));
    const m = await create(behaviour, key, messageIn(behaviour, key, sendAt, flow));
    if (m) {
      m.flow = flow;
      stats.flowLimited += 1;
    }
  };

  /** A bulk cancel of a few messages due a little later, followed until its job ends. */
  const bulkCancel = async (i: number) => {
    const size = 2 + Math.floor(random() * 3);
    const items = Array.from({ length: size }, (_, j) => {
      const key = `c${i}-${j}`;
      return { key, body: messageIn('ok', key, Date.now() + between(8_000, 15_000)) };
    });
    const cancelAfter = between(300, 2_000);
    const created: AcceptedMessage[] = [];
    for (const item of items) {
      const m = await create('ok', item.key, item.body);
      if (m) created.push(m);
    }
    if (created.length === 0) return;
    await sleep(cancelAfter);
    stats.bulkCancels += 1;
    // Until the job says it ended, each of them may or may not be cancelled: the final-state check
    // takes either (and a cancelled one must never have been received).
    for (const m of created) m.cancel = 'ambiguous';
    const ids = created.map((m) => m.id);
    const started = await persist(() => api('POST', '/v1/messages/cancel', { ids }, keyHeaders(`c${i}`)));
    if (started.status !== 202 && started.status !== 200) {
      log(`  bulk cancel c${i} ${refusal(started)}`);
      return;
    }
    jobs.started += 1;
    const problem = (text: string) => {
      jobs.problems.push({ key: `c${i}`, problem: `${started.json.id} ${text}` });
      log(`  bulk cancel c${i} ${text}`);
    };
    // Measured in stack up-time: a kill stops the job as it stops everything else. A step that
    // threw is run again by the sweep once the job has been idle for JOB_IDLE_MS.
    const from = upClock();
    while (upClock() - from < JOB_PATIENCE_MS) {
      await sleep(1_000);
      const job = await api('GET', `/v1/jobs/${started.json.id}`);
      if (job.status !== 200 || job.json.state === 'running') continue;
      if (job.json.state !== 'done') problem(`ended ${job.json.state}: ${job.json.stopReason ?? ''}`);
      const { done = 0, skipped = 0, failed = 0 } = job.json.counts ?? {};
      if (done + skipped + failed !== created.length) {
        problem(`counted ${done} done + ${skipped} skipped + ${failed} failed of ${created.length} messages`);
      }
      return;
    }
    problem(`still running after ${JOB_PATIENCE_MS / 1000} s of stack up-time`);
  };

  // The kills: random instants in the first 85 % of the workload, at least 8 s apart.
  const killAt: number[] = [];
  for (let k = 0; k < options.kills; k += 1) killAt.push(startedAt + between(0.1, 0.85) * options.workloadMs);
  killAt.sort((a, b) => a - b);
  for (let k = 1; k < killAt.length; k += 1) killAt[k] = Math.max(killAt[k]!, killAt[k - 1]! + 8_000);
  const downFor = killAt.map(() => between(1_000, 3_000));
  const killer = (async () => {
    for (const [k, at] of killAt.entries()) {
      if (at > workloadEnd) break;
      await sleep(at - Date.now());
      await collectFaults();
      downSince = Date.now();
      await stack.stop('SIGKILL');
      kills.push(Date.now());
      log(
        `  ${((Date.now() - startedAt) / 1000).toFixed(1)} s: SIGKILL, down for ${(downFor[k]! / 1000).toFixed(1)} s`,
      );
      await sleep(downFor[k]!);
      restarts += 1;
      await start();
      log(
        `  ${((Date.now() - startedAt) / 1000).toFixed(1)} s: up again after ${((Date.now() - downSince) / 1000).toFixed(1)} s`,
      );
      downMs += Date.now() - downSince;
      downSince = undefined;
    }
  })();

  // The workload: one operation every 1/rate seconds on average; a batch stands for its messages.
  let i = 0;
  while (Date.now() < workloadEnd) {
    i += 1;
    const roll = random();
    let messages = 1;
    if (roll < 0.12) {
      ops.push(batch(i, random() < 0.3));
      messages = 3.5;
    } else if (roll < 0.22) {
      ops.push(single(i, { cancel: true }));
    } else if (roll < 0.3) {
      ops.push(reschedule(i));
    } else if (roll < 0.33) {
      ops.push(bulkCancel(i));
      messages = 3;
    } else if (roll < 0.4) {
      ops.push(limited(i));
    } else {
      ops.push(single(i, { repost: random() < 0.1, probe: random() < 0.04 }));
    }
    await sleep((messages * 1000 * between(0.5, 1.5)) / options.ratePerS);
  }
  await killer;
  await Promise.all(ops);
  const lastDue = Math.max(workloadEnd, ...[...accepted.values()].map((m) => m.sendAt));
  // Wait until every accepted message is final, or the grace has passed.
  const deadline = lastDue + options.graceMs;
  log(
    `  workload done: ${accepted.size} messages accepted (${stats.batches} batches), ${kills.length} kill(s); waiting for final states (grace ${Math.round(options.graceMs / 1000)} s after the last due time, ${Math.round((deadline - Date.now()) / 1000)} s from now)`,
  );
  const { finals, unanswered } = await readFinalStates([...accepted.keys()], {
    read: async (id) => {
      const answer = await api('GET', `/v1/messages/${id}`);
      return answer.status === 200
        ? { status: answer.json.status, attempts: answer.json.attempts ?? 0 }
        : `${answer.status} ${answer.error ?? answer.json?.type ?? ''}`.trim();
    },
    deadline,
    now: Date.now,
    sleep,
    pauseMs: 2_000,
  });
  for (const [id, answer] of unanswered)
    log(`  ${id}: no final state read; the API's last answer to its GET: ${answer}`);
  // Receivers may still be answering slow requests, the engine recording, and the metering
  // poller gathers usage events for up to 5 s before it folds them.
  await sleep(8_000);
  // Event deliveries go out after their message's record (a lost dispatch waits for the sweep):
  // wait for those the messages' ends call for, up to a minute.
  const eventsDue = expectedEvents({ accepted: [...accepted.values()], finals, notifying });
  const eventsBy = Date.now() + 60_000;
  const arrived = () =>
    eventsDue.every(({ kind, type, m }) =>
      receiver.events.some((e) => e.kind === kind && e.type === type && e.messageId === m.id),
    );
  while (!arrived() && Date.now() < eventsBy) await sleep(1_000);
  // What each message's attempt list shows (a read without a definite answer is repeated, as a create is).
  const histories = new Map<string, AttemptView[]>();
  const ended = [...finals].filter(([, view]) => TERMINAL_STATUSES.has(view.status)).map(([id]) => id);
  for (let at = 0; at < ended.length; at += 10) {
    await Promise.all(
      ended.slice(at, at + 10).map(async (id) => {
        const answer = await persist(() => api('GET', `/v1/messages/${id}/attempts`));
        if (answer.status !== 200) return;
        const items = (answer.json.items ?? []) as Array<AttemptView & { startedAt: string }>;
        histories.set(
          id,
          items.map((a) => ({ ...a, startedAt: Date.parse(a.startedAt) })),
        );
      }),
    );
  }

  // Usage counters, folded by the metering function in batches: wait until they settle.
  const usageFrom = new Date(startedAt).toISOString().slice(0, 10);
  const readUsage = async (): Promise<UsageCounts | undefined> => {
    const to = new Date().toISOString().slice(0, 10);
    const answer = await api('GET', `/v1/usage?from=${usageFrom}&to=${to}`);
    if (answer.status !== 200) return undefined;
    const sum: UsageCounts = { scheduled: 0, delivered: 0, failed: 0, attempts: 0 };
    for (const day of answer.json.days as UsageCounts[]) {
      for (const kind of Object.keys(sum) as Array<keyof UsageCounts>) sum[kind] += day[kind] ?? 0;
    }
    return sum;
  };
  let usage: UsageCounts | undefined;
  let previous = '';
  for (let tries = 0; tries < 15; tries += 1) {
    await sleep(2_000);
    const now = await readUsage();
    if (!now) continue;
    usage = now;
    if (JSON.stringify(now) === previous) break;
    previous = JSON.stringify(now);
  }

  await collectFaults();
  await stack.stop('SIGTERM');
  await receiver.stop();

  const facts: RunFacts = {
    accepted: [...accepted.values()],
    abandonedKeys,
    abandonedWhy,
    persistMs: PATIENCE_MS,
    receipts: receiver.receipts,
    finals,
    kills,
    idempotencyProblems,
    jobs,
    events: receiver.events,
    notifying,
    histories,
    graceMs: options.graceMs,
    ...(usage ? { usage } : { usageError: 'no 200 from GET /v1/usage' }),
  };
  const results = checkAll(facts);
  // Everything the verdict was made from, for a closer look at a failure.
  const factsFile = join(stack.dataDir, 'chaos-facts.json');
  await writeFile(
    factsFile,
    JSON.stringify({
      seed,
      options: { ...options, log: undefined },
      ...facts,
      finals: Object.fromEntries(finals),
      histories: Object.fromEntries(histories),
    }),
  );
  await writeFile(join(stack.dataDir, 'stack-output.log'), stack.output);
  const statuses: Record<string, number> = {};
  for (const m of accepted.values()) {
    const status = finals.get(m.id)?.status ?? 'unknown';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return {
    seed,
    results,
    ok: results.every((r) => r.ok),
    faults,
    stats: {
      ...stats,
      accepted: accepted.size,
      abandoned: abandonedKeys.length,
      requestsReceived: receiver.receipts.length,
      eventsReceived: receiver.events.length,
      kills: kills.length,
      restarts,
      wallSeconds: Math.round((Date.now() - startedAt) / 1000),
      facts: factsFile,
      ...Object.fromEntries(Object.entries(statuses).map(([s, n]) => [`final.${s}`, n])),
      ...(usage && { usage: JSON.stringify(usage) }),
    },
  };
};

/** The report as text: the seed (to replay), the figures, the faults injected, the verdict. */
export const formatStats = (report: ChaosReport): string => {
  const lines = [`seed ${report.seed}  (replay: npm run chaos -- --seed ${report.seed})`];
  lines.push(
    Object.entries(report.stats)
      .map(([k, v]) => `${k}=${v}`)
      .join('  '),
  );
  for (const [service, counts] of Object.entries(report.faults)) {
    lines.push(
      `faults ${service.padEnd(9)} ${Object.entries(counts)
        .map(([k, v]) => `${k}=${v}`)
        .join('  ')}`,
    );
  }
  return lines.join('\n');
};
