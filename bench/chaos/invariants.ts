/**
 * The chaos suite's verdict: what must hold after a run, checked from what the suite saw (the
 * API's answers, the receivers' records, the kill instants) and the final state the API reports.
 * Pure functions over plain data, so each rule is unit-tested without a stack.
 */
import { JOB_IDLE_MS } from '@vigil/aws/queue-settings';
import type { BehaviourName, EventReceipt, Receipt } from './receivers';
import { BEHAVIOURS } from './receivers';

/** One message the API accepted (201, or 200 for an idempotent replay). */
export interface AcceptedMessage {
  id: string;
  /** The suite's own name for the message (its receiver path), one per logical message. */
  key: string;
  behaviour: BehaviourName;
  /** Epoch ms: as the API last answered it (the create's, or a PATCH answered 200). */
  sendAt: number;
  /**
   * Other due times its attempts may carry: one a PATCH may have set though its answer was lost (a
   * 5xx or no answer, then a 409 or no definite answer at all), or the one before a PATCH of a
   * message already tried.
   */
  maybeSendAt?: number[];
  /**
   * The suite cancelled it: `cancelled` (2xx), `refused` (409 and nothing ambiguous before),
   * `ambiguous` (an earlier try may have cancelled it: the answer was lost).
   */
  cancel?: 'cancelled' | 'refused' | 'ambiguous';
  /** The suite asked for a redeliver once it failed (a `gone` message: one attempt per round). */
  redelivered?: boolean;
  /** The message's `flowControl`, when it has one. */
  flow?: FlowLimits;
  /** It asked for a callback when a round ends `delivered` or `failed`. */
  callback?: boolean;
}

export interface FlowLimits {
  key: string;
  parallelism?: number;
  ratePerSecond?: number;
}

export interface FinalView {
  status: string;
  /** The API's `attempts` (the last attempt's number). */
  attempts: number;
}

/** One attempt as `GET /v1/messages/{id}/attempts` lists it. */
export interface AttemptView {
  n: number;
  /** Epoch ms. */
  startedAt: number;
  statusCode?: number;
  errorKind?: string;
}

export interface UsageCounts {
  scheduled: number;
  delivered: number;
  failed: number;
  attempts: number;
}

export interface RunFacts {
  accepted: AcceptedMessage[];
  /** Logical keys whose create never got an answer the suite could trust (gave up retrying). */
  abandonedKeys: string[];
  /** The last answer each abandoned create got. */
  abandonedWhy?: Record<string, string>;
  /** How long the suite repeated a create before it gave up. */
  persistMs?: number;
  receipts: Receipt[];
  /** The final view of each accepted message (undefined when the API never answered). */
  finals: Map<string, FinalView | undefined>;
  /** Epoch ms of each SIGKILL. */
  kills: number[];
  /** Idempotency answers that were not what the contract promises. */
  idempotencyProblems: Array<{ key: string; problem: string }>;
  /** Event deliveries received: callbacks, and notifications when `notifying`. */
  events?: EventReceipt[];
  /** A notification endpoint for `message.failed` was registered before the first create. */
  notifying?: boolean;
  /** Each final message's attempt list, as the API shows it (absent: not read, or never answered). */
  histories?: Map<string, AttemptView[]>;
  /** Bulk jobs started, and what was wrong with each that did not end `done` (absent: none started). */
  jobs?: { started: number; problems: Array<{ key: string; problem: string }> };
  usage?: UsageCounts;
  usageError?: string;
  /** How long past its due time a message may still be in a waiting state at the end. */
  graceMs: number;
}

export interface InvariantResult {
  name: string;
  rule: string;
  ok: boolean;
  checked: number;
  violations: Array<{ id: string; detail: string }>;
}

/** How long (of stack up-time) the suite waits for a bulk job: the sweep's idle time for jobs, and a minute. */
export const JOB_PATIENCE_MS = JOB_IDLE_MS + 60_000;

/** Clock granularity: the receiver and the engine read the same clock in whole milliseconds. */
export const CLOCK_GRANULARITY_MS = 1;
const WAITING = new Set(['scheduled', 'queued', 'delivering', 'retrying']);

const byMessage = (receipts: readonly Receipt[]) => {
  const map = new Map<string, Receipt[]>();
  for (const r of receipts) {
    const list = map.get(r.webhookId) ?? [];
    list.push(r);
    map.set(r.webhookId, list);
  }
  return map;
};

const result = (
  name: string,
  rule: string,
  checked: number,
  violations: Array<{ id: string; detail: string }>,
): InvariantResult => ({ name, rule, ok: violations.length === 0, checked, violations });

export const checkFinalState = (facts: RunFacts): InvariantResult => {
  const receipts = byMessage(facts.receipts);
  const violations: Array<{ id: string; detail: string }> = [];
  for (const m of facts.accepted) {
    const final = facts.finals.get(m.id);
    const expected = BEHAVIOURS[m.behaviour].expect;
    const got = receipts.get(m.id)?.length ?? 0;
    if (!final) {
      violations.push({ id: m.id, detail: 'the API never showed its final state' });
      continue;
    }
    if (m.cancel === 'cancelled') {
      if (final.status !== 'cancelled') violations.push({ id: m.id, detail: `cancelled (2xx) but ${final.status}` });
      else if (got > 0) violations.push({ id: m.id, detail: `cancelled, yet the receiver got ${got} request(s)` });
      continue;
    }
    if (m.cancel === 'ambiguous' && final.status === 'cancelled') {
      if (got > 0) violations.push({ id: m.id, detail: `cancelled, yet the receiver got ${got} request(s)` });
      continue;
    }
    if (final.status !== expected) {
      violations.push({ id: m.id, detail: `${m.behaviour}: expected ${expected}, is ${final.status}` });
    }
  }
  return result(
    'final-state',
    'every accepted message ends as its receiver calls for (or cancelled when the cancel was accepted)',
    facts.accepted.length,
    violations,
  );
};

export const checkNeverEarly = (facts: RunFacts): InvariantResult => {
  const messageOf = new Map(facts.accepted.map((m) => [m.id, m]));
  const violations: Array<{ id: string; detail: string }> = [];
  for (const r of facts.receipts) {
    const m = messageOf.get(r.webhookId);
    const due = Number.isNaN(r.scheduledAt) ? m?.sendAt : r.scheduledAt;
    if (due === undefined) continue;
    if (r.arrivedAt < due - CLOCK_GRANULARITY_MS) {
      violations.push({ id: r.webhookId, detail: `attempt ${r.attempt} arrived ${due - r.arrivedAt} ms early` });
    }
    const answered = m ? [m.sendAt, ...(m.maybeSendAt ?? [])] : [];
    if (m && !Number.isNaN(r.scheduledAt) && !answered.includes(r.scheduledAt)) {
      violations.push({
        id: r.webhookId,
        detail: `attempt ${r.attempt}'s vigil-scheduled-at differs from the sendAt the API answered${m.maybeSendAt ? ' (and from the ones a lost PATCH answer may have set)' : ''}`,
      });
    }
  }
  return result(
    'never-early',
    `no request arrives before its vigil-scheduled-at (± ${CLOCK_GRANULARITY_MS} ms), which is the sendAt the API last answered (a create's or a PATCH's)`,
    facts.receipts.length,
    violations,
  );
};

export const checkNotStuck = (facts: RunFacts): InvariantResult => {
  const violations = facts.accepted
    .filter((m) => WAITING.has(facts.finals.get(m.id)?.status ?? ''))
    .map((m) => ({
      id: m.id,
      detail: `still ${facts.finals.get(m.id)?.status} ${Math.round(facts.graceMs / 1000)} s after the run's last due time`,
    }));
  return result(
    'not-stuck',
    `no message waits (scheduled/queued/delivering/retrying) past the grace of ${Math.round(facts.graceMs / 1000)} s`,
    facts.accepted.length,
    violations,
  );
};

/** A kill strictly between two instants. */
const killBetween = (kills: readonly number[], from: number, to: number) => kills.some((k) => k > from && k < to);

export const checkBoundedSends = (facts: RunFacts): InvariantResult => {
  const receipts = byMessage(facts.receipts);
  const violations: Array<{ id: string; detail: string }> = [];
  for (const m of facts.accepted) {
    const got = [...(receipts.get(m.id) ?? [])].sort((a, b) => a.arrivedAt - b.arrivedAt);
    const final = facts.finals.get(m.id);
    const byAttempt = new Map<number, Receipt[]>();
    for (const r of got) byAttempt.set(r.attempt, [...(byAttempt.get(r.attempt) ?? []), r]);
    for (const [n, copies] of byAttempt) {
      for (let i = 1; i < copies.length; i += 1) {
        if (!killBetween(facts.kills, copies[i - 1]!.arrivedAt, copies[i]!.arrivedAt)) {
          const apart = ((copies[i]!.arrivedAt - copies[i - 1]!.arrivedAt) / 1000).toFixed(1);
          violations.push({
            id: m.id,
            detail: `${m.behaviour}: attempt ${n} sent ${copies.length}× (${apart} s apart) with no crash between sends`,
          });
          break;
        }
      }
      if (final && n > final.attempts && !facts.kills.some((k) => k > copies[0]!.arrivedAt)) {
        violations.push({ id: m.id, detail: `attempt ${n} was sent but only ${final.attempts} recorded` });
      }
    }
    const maxAttempts = BEHAVIOURS[m.behaviour].maxAttempts;
    const highest = Math.max(0, ...byAttempt.keys());
    if (highest > maxAttempts) violations.push({ id: m.id, detail: `attempt ${highest} > maxAttempts ${maxAttempts}` });
  }
  // Every request for a logical message carries that message's one webhook-id.
  const idOfKey = new Map(facts.accepted.map((m) => [m.key, m.id]));
  const abandoned = new Set(facts.abandonedKeys);
  const strangers = new Map<string, string>();
  for (const r of facts.receipts) {
    const id = idOfKey.get(r.key);
    if (id === undefined) {
      if (!abandoned.has(r.key)) strangers.set(r.webhookId, `delivered for ${r.key}, which the API never accepted`);
    } else if (r.webhookId !== id) {
      strangers.set(r.webhookId, `sent for ${r.key} with webhook-id ${r.webhookId}, but the API accepted it as ${id}`);
    }
  }
  for (const [id, detail] of strangers) violations.push({ id, detail });
  return result(
    'bounded-sends',
    'sends ≤ recorded attempts + crashes between send and record, always with the accepted webhook-id',
    facts.accepted.length,
    violations,
  );
};

/** What the receivers saw, counted as the usage counters should count it. */
export const expectedUsage = (facts: RunFacts): UsageCounts => {
  const pairs = new Set(facts.receipts.map((r) => `${r.webhookId}#${r.attempt}`));
  const delivered = new Set(facts.receipts.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.webhookId));
  // A redeliver counts like a create; each round of a `gone` message is one attempt, one `failed`.
  const redelivers = facts.accepted
    .filter((m) => m.redelivered)
    .map((m) => new Set(facts.receipts.filter((r) => r.webhookId === m.id).map((r) => r.attempt)).size)
    .reduce((sum, rounds) => sum + Math.max(0, rounds - 1), 0);
  const failed = facts.accepted.filter((m) => facts.finals.get(m.id)?.status === 'failed').length;
  return {
    scheduled: new Set(facts.accepted.map((m) => m.id)).size + redelivers,
    delivered: delivered.size,
    failed: failed + redelivers,
    attempts: pairs.size,
  };
};

export const checkUsage = (facts: RunFacts): InvariantResult => {
  const expected = expectedUsage(facts);
  const violations: Array<{ id: string; detail: string }> = [];
  if (!facts.usage) {
    violations.push({ id: '-', detail: `GET /v1/usage never answered: ${facts.usageError ?? 'unknown'}` });
  } else {
    for (const kind of ['scheduled', 'attempts', 'delivered', 'failed'] as const) {
      if (facts.usage[kind] !== expected[kind]) {
        violations.push({ id: kind, detail: `usage says ${facts.usage[kind]}, receivers/API say ${expected[kind]}` });
      }
    }
  }
  return result(
    'usage-exact',
    'GET /v1/usage = accepted messages + redelivers, distinct (webhook-id, vigil-attempt) pairs, distinct 2xx ids, failed rounds',
    4,
    violations,
  );
};

export const checkIdempotency = (facts: RunFacts): InvariantResult =>
  result(
    'idempotency',
    'a re-post with the same Idempotency-Key returns the first result; a different request with it gets 422',
    facts.accepted.length,
    facts.idempotencyProblems.map((p) => ({ id: p.key, detail: p.problem })),
  );

export const checkRetryAfter = (facts: RunFacts): InvariantResult => {
  const receipts = byMessage(facts.receipts);
  const violations: Array<{ id: string; detail: string }> = [];
  let checked = 0;
  for (const m of facts.accepted) {
    const wait = BEHAVIOURS[m.behaviour].retryAfterS;
    if (wait === undefined) continue;
    const got = receipts.get(m.id) ?? [];
    const first = got.find((r) => r.attempt === 1);
    const second = got.find((r) => r.attempt === 2);
    if (!first || !second) continue;
    // Rescheduled after the 429 (a PATCH of the retrying message): the second attempt goes at the
    // time the tenant set, which its vigil-scheduled-at names, and Retry-After no longer binds it.
    const rescheduled =
      [first, second].every((r) => !Number.isNaN(r.scheduledAt)) && second.scheduledAt !== first.scheduledAt;
    if (rescheduled) continue;
    checked += 1;
    const gap = second.arrivedAt - first.arrivedAt;
    if (gap < wait * 1000 - CLOCK_GRANULARITY_MS) {
      violations.push({ id: m.id, detail: `retried ${gap} ms after a 429 with Retry-After: ${wait}` });
    }
  }
  return result(
    'retry-after',
    'after a 429 with Retry-After, the next attempt waits at least that long',
    checked,
    violations,
  );
};

export const checkCreatesAnswered = (facts: RunFacts): InvariantResult => {
  const seconds = Math.round((facts.persistMs ?? 60_000) / 1000);
  return result(
    'creates-answered',
    `a create repeated with its Idempotency-Key for ${seconds} s gets a definite answer (not only 5xx/429/409 in-use)`,
    facts.accepted.length + facts.abandonedKeys.length,
    facts.abandonedKeys.map((key) => ({ id: key, detail: `still ${facts.abandonedWhy?.[key] ?? 'no answer'}` })),
  );
};

export const checkJobsEnd = (facts: RunFacts): InvariantResult =>
  result(
    'jobs-end',
    `a bulk job the API started ends \`done\` (the suite waits ${JOB_PATIENCE_MS / 1000} s of stack up-time), kills or not`,
    facts.jobs?.started ?? 0,
    (facts.jobs?.problems ?? []).map((p) => ({ id: p.key, detail: p.problem })),
  );

/**
 * How much closer than a second apart the receiver may see the first and the last of
 * `ratePerSecond` + 1 starts of one key: the limiter spaces starts (1000 + 100) / rate ms apart,
 * and a request reaches the receiver (another process, on a busy machine) a little after it starts.
 */
export const RATE_SLACK_MS = 100;

export const checkFlowLimits = (facts: RunFacts): InvariantResult => {
  const flowOf = new Map(facts.accepted.filter((m) => m.flow).map((m) => [m.id, m.flow!]));
  const byKey = new Map<string, { limits: FlowLimits; receipts: Receipt[] }>();
  for (const r of facts.receipts) {
    const limits = flowOf.get(r.webhookId);
    if (!limits) continue;
    const group = byKey.get(limits.key) ?? { limits, receipts: [] };
    group.receipts.push(r);
    byKey.set(limits.key, group);
  }
  const end = Math.max(0, ...facts.receipts.map((r) => r.endedAt ?? r.arrivedAt));
  const violations: Array<{ id: string; detail: string }> = [];
  for (const [key, { limits, receipts }] of byKey) {
    const starts = [...receipts].sort((a, b) => a.arrivedAt - b.arrivedAt);
    if (limits.parallelism !== undefined) {
      for (const r of starts) {
        // Requests of the key still open when this one arrived (an exchange never seen to end: to the run's end).
        const open = starts.filter((o) => o !== r && o.arrivedAt <= r.arrivedAt && (o.endedAt ?? end) > r.arrivedAt);
        if (open.length >= limits.parallelism) {
          violations.push({
            id: r.webhookId,
            detail: `${key}: attempt ${r.attempt} started with ${open.length} of the key's requests in flight (parallelism ${limits.parallelism})`,
          });
        }
      }
    }
    const rate = limits.ratePerSecond;
    if (rate !== undefined) {
      for (let i = 0; i + rate < starts.length; i += 1) {
        const within = starts[i + rate]!.arrivedAt - starts[i]!.arrivedAt;
        if (within < 1_000 - RATE_SLACK_MS) {
          violations.push({
            id: starts[i + rate]!.webhookId,
            detail: `${key}: ${rate + 1} requests arrived within ${within} ms (ratePerSecond ${rate})`,
          });
        }
      }
    }
  }
  return result(
    'flow-limits',
    `a flow key's parallelism is never exceeded, nor its rate (its rate + 1 starts ≥ ${1_000 - RATE_SLACK_MS} ms apart at the receiver)`,
    [...byKey.values()].reduce((n, g) => n + g.receipts.length, 0),
    violations,
  );
};

/**
 * What each accepted message's end should have raised: a callback of its final status when it asked
 * for one, and a `message.failed` notification when it failed (while notifying).
 */
export const expectedEvents = (
  facts: Pick<RunFacts, 'accepted' | 'finals' | 'notifying'>,
): Array<{ kind: EventReceipt['kind']; type: string; m: AcceptedMessage }> =>
  facts.accepted.flatMap((m) => {
    const status = facts.finals.get(m.id)?.status;
    if (status !== 'delivered' && status !== 'failed') return [];
    return [
      ...(m.callback ? [{ kind: 'callback' as const, type: `message.${status}`, m }] : []),
      ...(facts.notifying && status === 'failed' ? [{ kind: 'notification' as const, type: 'message.failed', m }] : []),
    ];
  });

export const checkEventDeliveries = (facts: RunFacts): InvariantResult => {
  const events = facts.events ?? [];
  const violations: Array<{ id: string; detail: string }> = [];
  const accepted = new Map(facts.accepted.map((m) => [m.id, m]));
  const abandoned = new Set(facts.abandonedKeys);
  // An event delivery's attempt reaches its endpoint once, as a message's does (bounded-sends).
  const copies = new Map<string, EventReceipt[]>();
  for (const e of events)
    copies.set(`${e.webhookId}#${e.attempt}`, [...(copies.get(`${e.webhookId}#${e.attempt}`) ?? []), e]);
  for (const same of copies.values()) {
    const sorted = same.sort((a, b) => a.arrivedAt - b.arrivedAt);
    for (let i = 1; i < sorted.length; i += 1) {
      if (!killBetween(facts.kills, sorted[i - 1]!.arrivedAt, sorted[i]!.arrivedAt)) {
        const e = sorted[i]!;
        violations.push({
          id: e.messageId ?? e.webhookId,
          detail: `${e.kind} ${e.type}: attempt ${e.attempt} of ${e.webhookId} sent ${sorted.length}× with no crash between sends`,
        });
        break;
      }
    }
  }
  // One event delivery per kind, message and round, about a message the API accepted with that end.
  const deliveries = new Map<string, Set<string>>();
  for (const e of events) {
    const m = e.messageId === undefined ? undefined : accepted.get(e.messageId);
    const round = `${e.kind}#${e.messageId}#${e.round}`;
    deliveries.set(round, new Set([...(deliveries.get(round) ?? []), e.webhookId]));
    const status = m && facts.finals.get(m.id)?.status;
    const expected =
      m &&
      (e.kind === 'callback' ? m.callback && e.key === m.key : facts.notifying) &&
      (e.type === `message.${status}` || (m.redelivered && e.type === 'message.failed'));
    // A create that never got a definite answer may have been stored, and may end, all the same.
    if (!expected && !(m === undefined && abandoned.has(e.messageKey ?? ''))) {
      violations.push({
        id: e.messageId ?? e.webhookId,
        detail: `${e.kind} ${e.type || '(no type)'} for a message ${m ? `that ended ${status}` : 'the API never accepted'}`,
      });
    }
  }
  for (const [round, ids] of deliveries) {
    if (ids.size > 1) {
      const [kind, messageId, n] = round.split('#');
      violations.push({ id: messageId!, detail: `${kind}: ${ids.size} event deliveries for round ${n}` });
    }
  }
  const expected = expectedEvents(facts);
  for (const { kind, type, m } of expected) {
    if (!events.some((e) => e.kind === kind && e.type === type && e.messageId === m.id)) {
      violations.push({ id: m.id, detail: `${kind}: no ${type} though it ended ${facts.finals.get(m.id)?.status}` });
    }
  }
  return result(
    'events-once',
    'a callback, and a message.failed notification, for each end that asks for one: once per round, no other',
    expected.length,
    violations,
  );
};

export const checkHistory = (facts: RunFacts): InvariantResult => {
  const receipts = byMessage(facts.receipts);
  const violations: Array<{ id: string; detail: string }> = [];
  for (const [id, attempts] of facts.histories ?? []) {
    const seen = new Set<number>();
    for (const a of attempts) {
      if (seen.has(a.n)) violations.push({ id, detail: `attempt ${a.n} listed twice` });
      seen.add(a.n);
      const copies = (receipts.get(id) ?? []).filter((r) => r.attempt === a.n);
      // An error with no request received is possible (a connection that failed on the way).
      if (copies.length === 0) {
        if (a.statusCode !== undefined) {
          violations.push({ id, detail: `attempt ${a.n} listed as ${a.statusCode} but never received` });
        }
        continue;
      }
      if (a.statusCode !== undefined && !copies.some((r) => r.status === a.statusCode)) {
        const got = copies.map((r) => r.status || 'no answer').join(', ');
        violations.push({ id, detail: `attempt ${a.n} listed as ${a.statusCode}, the receiver answered ${got}` });
      }
      if (a.statusCode === undefined && copies.every((r) => r.status !== 0)) {
        violations.push({
          id,
          detail: `attempt ${a.n} listed as ${a.errorKind ?? 'an error'}, the receiver answered ${copies[0]!.status}`,
        });
      }
      // The record is of the last send of the attempt (a crash may have sent it before).
      const lastArrival = Math.max(...copies.map((r) => r.arrivedAt));
      if (a.startedAt > lastArrival + CLOCK_GRANULARITY_MS) {
        violations.push({
          id,
          detail: `attempt ${a.n} listed as started ${a.startedAt - lastArrival} ms after it arrived`,
        });
      }
    }
  }
  return result(
    'history-as-seen',
    "a message's attempt list names each attempt once, as the receiver saw it: its status, or an error where it sent none",
    facts.histories?.size ?? 0,
    violations,
  );
};

export const checkAll = (facts: RunFacts): InvariantResult[] => [
  checkFinalState(facts),
  checkNeverEarly(facts),
  checkNotStuck(facts),
  checkBoundedSends(facts),
  checkUsage(facts),
  checkIdempotency(facts),
  checkRetryAfter(facts),
  checkCreatesAnswered(facts),
  checkJobsEnd(facts),
  checkFlowLimits(facts),
  checkEventDeliveries(facts),
  checkHistory(facts),
];

/** A violation's kind: its detail with ids and numbers blanked out. */
const kindOf = (detail: string) =>
  detail.replace(/msg_\w+|[bs]\d+(-\d+)*|\d+(\.\d+)?|"requestId":"[^"]*"|Idempotency-Key \\?"[^"\\]*\\?"/g, '#');

/**
 * The verdict as a table: one row per invariant; then, for each broken one, its violations by
 * kind (how many, and up to `examples` message ids of each).
 */
export const formatVerdict = (results: readonly InvariantResult[], examples = 4): string => {
  const rows = results.map((r) => [
    r.ok ? 'PASS' : 'FAIL',
    r.name,
    String(r.checked),
    String(r.violations.length),
    r.rule,
  ]);
  const head = ['', 'invariant', 'checked', 'broken', 'rule'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
  for (const r of results.filter((x) => !x.ok)) {
    out.push('', `${r.name}: ${r.violations.length} broken`);
    const kinds = new Map<string, Array<{ id: string; detail: string }>>();
    for (const v of r.violations) kinds.set(kindOf(v.detail), [...(kinds.get(kindOf(v.detail)) ?? []), v]);
    for (const list of [...kinds.values()].sort((a, b) => b.length - a.length)) {
      out.push(`  ${list.length}× ${list[0]!.detail}`);
      for (const v of list.slice(0, examples)) out.push(`      ${v.id}  ${v.detail}`);
      if (list.length > examples) out.push(`      … and ${list.length - examples} more`);
    }
  }
  return out.join('\n');
};
