import { describe, expect, it } from 'vitest';
import type { AcceptedMessage, AttemptView, RunFacts } from './invariants';
import {
  checkBoundedSends,
  checkCreatesAnswered,
  checkEventDeliveries,
  checkFinalState,
  checkFlowLimits,
  checkHistory,
  checkJobsEnd,
  checkNeverEarly,
  checkNotStuck,
  checkRetryAfter,
  checkUsage,
  expectedUsage,
  formatVerdict,
} from './invariants';
import type { EventReceipt, Receipt } from './receivers';

const T = 1_800_000_000_000;

const message = (over: Partial<AcceptedMessage> = {}): AcceptedMessage => ({
  id: 'msg_1',
  key: 's1',
  behaviour: 'ok',
  sendAt: T,
  ...over,
});
const receipt = (over: Partial<Receipt> = {}): Receipt => ({
  behaviour: 'ok',
  key: 's1',
  webhookId: 'msg_1',
  attempt: 1,
  scheduledAt: T,
  arrivedAt: T + 5,
  status: 200,
  ...over,
});
const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  accepted: [message()],
  abandonedKeys: [],
  receipts: [receipt()],
  finals: new Map([['msg_1', { status: 'delivered', attempts: 1 }]]),
  kills: [],
  idempotencyProblems: [],
  usage: { scheduled: 1, delivered: 1, failed: 0, attempts: 1 },
  graceMs: 60_000,
  ...over,
});

describe('the chaos invariants', () => {
  describe('final-state', () => {
    it('holds when each message ends as its receiver calls for', () => {
      expect(checkFinalState(facts()).ok).toBe(true);
    });

    it('names a message whose receiver called for delivery but which failed', () => {
      const result = checkFinalState(facts({ finals: new Map([['msg_1', { status: 'failed', attempts: 3 }]]) }));
      expect(result.violations).toEqual([{ id: 'msg_1', detail: 'ok: expected delivered, is failed' }]);
    });

    it('requires a message cancelled with a 2xx to be cancelled and never received', () => {
      const result = checkFinalState(
        facts({
          accepted: [message({ cancel: 'cancelled' })],
          finals: new Map([['msg_1', { status: 'cancelled', attempts: 0 }]]),
        }),
      );
      expect(result.violations).toEqual([{ id: 'msg_1', detail: 'cancelled, yet the receiver got 1 request(s)' }]);
    });

    it('accepts either outcome when the cancel answer was lost', () => {
      const ambiguous = facts({ accepted: [message({ cancel: 'ambiguous' })] });
      expect(checkFinalState(ambiguous).ok).toBe(true);
    });
  });

  describe('never-early', () => {
    it('allows the clock granularity and no more', () => {
      expect(checkNeverEarly(facts({ receipts: [receipt({ arrivedAt: T - 1 })] })).ok).toBe(true);
      const early = checkNeverEarly(facts({ receipts: [receipt({ arrivedAt: T - 2 })] }));
      expect(early.violations).toEqual([{ id: 'msg_1', detail: 'attempt 1 arrived 2 ms early' }]);
    });

    it('holds a PATCH answered 200 to its new sendAt, and allows the one a lost PATCH answer may have set', () => {
      const moved = message({ sendAt: T + 4_000 });
      const old = receipt({ scheduledAt: T, arrivedAt: T + 5 });
      expect(checkNeverEarly(facts({ accepted: [moved], receipts: [old] })).violations).toEqual([
        { id: 'msg_1', detail: "attempt 1's vigil-scheduled-at differs from the sendAt the API answered" },
      ]);
      const maybeMoved = message({ sendAt: T, maybeSendAt: [T + 4_000] });
      const late = receipt({ scheduledAt: T + 4_000, arrivedAt: T + 4_005 });
      expect(checkNeverEarly(facts({ accepted: [maybeMoved], receipts: [old, late] })).ok).toBe(true);
      const early = receipt({ scheduledAt: T + 4_000, arrivedAt: T + 3_000 });
      expect(checkNeverEarly(facts({ accepted: [maybeMoved], receipts: [early] })).violations).toEqual([
        { id: 'msg_1', detail: 'attempt 1 arrived 1000 ms early' },
      ]);
    });
  });

  describe('not-stuck', () => {
    it('names messages still waiting at the end', () => {
      const result = checkNotStuck(facts({ finals: new Map([['msg_1', { status: 'delivering', attempts: 0 }]]) }));
      expect(result.violations.map((v) => v.id)).toEqual(['msg_1']);
    });
  });

  describe('bounded-sends', () => {
    it('allows an attempt sent again only when a crash fell between the two sends', () => {
      const twice = [receipt({ arrivedAt: T + 5 }), receipt({ arrivedAt: T + 50_000 })];
      expect(checkBoundedSends(facts({ receipts: twice, kills: [T + 100] })).ok).toBe(true);
      const result = checkBoundedSends(facts({ receipts: twice }));
      expect(result.violations).toEqual([
        { id: 'msg_1', detail: 'ok: attempt 1 sent 2× (50.0 s apart) with no crash between sends' },
      ]);
    });

    it('names a request carrying another webhook-id than the accepted one, or for a message never accepted', () => {
      const result = checkBoundedSends(
        facts({ receipts: [receipt(), receipt({ webhookId: 'msg_2' }), receipt({ key: 'b9-0', webhookId: 'msg_3' })] }),
      );
      expect(result.violations.map((v) => v.id).sort()).toEqual(['msg_2', 'msg_3']);
    });

    it('does not blame a message whose create the suite gave up on', () => {
      const result = checkBoundedSends(
        facts({ abandonedKeys: ['s9'], receipts: [receipt(), receipt({ key: 's9', webhookId: 'msg_9' })] }),
      );
      expect(result.ok).toBe(true);
    });
  });

  describe('usage-exact', () => {
    it('counts attempts as distinct (webhook-id, attempt) pairs and delivered as distinct 2xx ids', () => {
      const receipts = [
        receipt({ status: 500 }),
        receipt({ status: 500, arrivedAt: T + 30_000 }),
        receipt({ attempt: 2, status: 200 }),
      ];
      expect(expectedUsage(facts({ receipts }))).toEqual({ scheduled: 1, delivered: 1, failed: 0, attempts: 2 });
    });

    it('counts a redeliver like a create, and each failed round of a 410 receiver once', () => {
      const accepted = [message({ behaviour: 'gone', redelivered: true })];
      const receipts = [receipt({ status: 410 }), receipt({ attempt: 2, status: 410, arrivedAt: T + 9_000 })];
      const finals = new Map([['msg_1', { status: 'failed', attempts: 2 }]]);
      expect(expectedUsage(facts({ accepted, receipts, finals }))).toEqual({
        scheduled: 2,
        delivered: 0,
        failed: 2,
        attempts: 2,
      });
    });

    it('names each counter that differs', () => {
      const result = checkUsage(facts({ usage: { scheduled: 1, delivered: 0, failed: 0, attempts: 2 } }));
      expect(result.violations.map((v) => v.id)).toEqual(['attempts', 'delivered']);
    });
  });

  describe('retry-after', () => {
    it('requires the attempt after a 429 to wait for its Retry-After', () => {
      const accepted = [message({ behaviour: 'ratelimited' })];
      const soon = [receipt({ status: 429 }), receipt({ attempt: 2, arrivedAt: T + 405 })];
      expect(checkRetryAfter(facts({ accepted, receipts: soon })).violations).toEqual([
        { id: 'msg_1', detail: 'retried 400 ms after a 429 with Retry-After: 2' },
      ]);
      const later = [receipt({ status: 429 }), receipt({ attempt: 2, arrivedAt: T + 2_005 })];
      expect(checkRetryAfter(facts({ accepted, receipts: later })).ok).toBe(true);
      // Rescheduled after the 429: the second attempt goes at the time the tenant set (seed 723038).
      const moved = [receipt({ status: 429 }), receipt({ attempt: 2, scheduledAt: T + 1_946, arrivedAt: T + 1_946 })];
      expect(checkRetryAfter(facts({ accepted, receipts: moved })).ok).toBe(true);
    });
  });

  describe('creates-answered', () => {
    it('names a create that got only retryable answers for as long as the suite repeated it', () => {
      const result = checkCreatesAnswered(
        facts({ abandonedKeys: ['s7'], abandonedWhy: { s7: '409 idempotency-key-in-use' }, persistMs: 60_000 }),
      );
      expect(result.rule).toContain('60 s');
      expect(result.violations).toEqual([{ id: 's7', detail: 'still 409 idempotency-key-in-use' }]);
    });
  });

  describe('jobs-end', () => {
    it('names a bulk job that did not end done', () => {
      expect(checkJobsEnd(facts()).ok).toBe(true);
      const problems = [{ key: 'c4', problem: 'job_1 still running after 60 s of stack up-time' }];
      const result = checkJobsEnd(facts({ jobs: { started: 1, problems } }));
      expect(result.checked).toBe(1);
      expect(result.violations).toEqual([{ id: 'c4', detail: 'job_1 still running after 60 s of stack up-time' }]);
    });
  });

  describe('flow-limits', () => {
    const flowFacts = (flow: AcceptedMessage['flow'], spans: Array<[number, number]>) =>
      facts({
        accepted: spans.map((_, i) => message({ id: `msg_${i}`, key: `f${i}`, flow })),
        receipts: spans.map(([from, to], i) =>
          receipt({ webhookId: `msg_${i}`, key: `f${i}`, arrivedAt: T + from, endedAt: T + to }),
        ),
      });
    const one = { key: 'k', parallelism: 1 };

    it('holds requests of a key one after the other, and names one that started while another was in flight', () => {
      expect(
        checkFlowLimits(
          flowFacts(one, [
            [0, 1_500],
            [1_500, 1_600],
            [2_000, 3_000],
          ]),
        ).ok,
      ).toBe(true);
      expect(
        checkFlowLimits(
          flowFacts(one, [
            [0, 1_500],
            [1_499, 1_600],
          ]),
        ).violations,
      ).toEqual([
        { id: 'msg_1', detail: "k: attempt 1 started with 1 of the key's requests in flight (parallelism 1)" },
      ]);
    });

    it('takes an exchange never seen to end as open to the end of the run', () => {
      const open = flowFacts(one, [
        [0, 100],
        [200, 300],
      ]);
      delete open.receipts[0]!.endedAt;
      expect(checkFlowLimits(open).ok).toBe(false);
    });

    it('names its rate + 1 starts within a second, less the receiver slack', () => {
      const rate = { key: 'r', ratePerSecond: 2 };
      expect(
        checkFlowLimits(
          flowFacts(rate, [
            [0, 1],
            [550, 551],
            [1_100, 1_101],
          ]),
        ).ok,
      ).toBe(true);
      expect(
        checkFlowLimits(
          flowFacts(rate, [
            [0, 1],
            [300, 301],
            [899, 900],
          ]),
        ).violations,
      ).toEqual([{ id: 'msg_2', detail: 'r: 3 requests arrived within 899 ms (ratePerSecond 2)' }]);
    });
  });

  describe('events-once', () => {
    const event = (over: Partial<EventReceipt> = {}): EventReceipt => ({
      kind: 'callback',
      key: 's1',
      webhookId: 'msg_cb1',
      attempt: 1,
      arrivedAt: T + 100,
      type: 'message.delivered',
      messageId: 'msg_1',
      round: 0,
      messageKey: 's1',
      ...over,
    });
    const failedOnce = facts({
      accepted: [message({ callback: true })],
      finals: new Map([['msg_1', { status: 'failed', attempts: 3 }]]),
      notifying: true,
    });
    const ends = [
      event({ type: 'message.failed' }),
      event({ kind: 'notification', key: 'ops', webhookId: 'msg_n1', type: 'message.failed' }),
    ];

    it('holds a callback and a notification of a failed message, once each', () => {
      expect(checkEventDeliveries({ ...failedOnce, events: ends })).toMatchObject({ ok: true, checked: 2 });
    });

    it('names a missing one, a second delivery for one round, and one of another end', () => {
      const result = checkEventDeliveries({
        ...failedOnce,
        events: [
          ends[0]!,
          event({ webhookId: 'msg_cb2', type: 'message.failed' }),
          event({ webhookId: 'msg_cb3', round: 1 }),
        ],
      });
      expect(result.violations.map((v) => v.detail)).toEqual([
        'callback message.delivered for a message that ended failed',
        'callback: 2 event deliveries for round 0',
        'notification: no message.failed though it ended failed',
      ]);
    });

    it('allows an attempt sent again only across a crash', () => {
      const twice = [ends[0]!, { ...ends[0]!, arrivedAt: T + 9_000 }, ends[1]!];
      expect(checkEventDeliveries({ ...failedOnce, events: twice, kills: [T + 5_000] }).ok).toBe(true);
      expect(checkEventDeliveries({ ...failedOnce, events: twice }).violations).toHaveLength(1);
    });
  });

  describe('history-as-seen', () => {
    const listed = (...attempts: Array<Partial<AttemptView>>) =>
      new Map([['msg_1', attempts.map((a, i) => ({ n: i + 1, startedAt: T + 3, ...a }))]]);
    const flaky = [receipt({ status: 500 }), receipt({ attempt: 2, status: 0, arrivedAt: T + 2_000 })];

    it('holds when each attempt is listed once with what the receiver answered, or an error where it sent nothing', () => {
      const histories = listed({ statusCode: 500 }, { n: 2, errorKind: 'connection-reset', startedAt: T + 1_999 });
      expect(checkHistory(facts({ receipts: flaky, histories }))).toMatchObject({ ok: true, checked: 1 });
    });

    it('names an attempt listed twice, with another status, or as started after it arrived', () => {
      const histories = listed({ statusCode: 200 }, { n: 1, statusCode: 500, startedAt: T + 10 });
      expect(checkHistory(facts({ receipts: flaky, histories })).violations.map((v) => v.detail)).toEqual([
        'attempt 1 listed as 200, the receiver answered 500',
        'attempt 1 listed twice',
        'attempt 1 listed as started 5 ms after it arrived',
      ]);
    });
  });

  it('prints a table with every invariant and the ids that broke one', () => {
    const text = formatVerdict([
      checkFinalState(facts({ finals: new Map([['msg_1', { status: 'failed', attempts: 3 }]]) })),
      checkNeverEarly(facts()),
    ]);
    expect(text).toMatch(/FAIL\s+final-state/);
    expect(text).toMatch(/PASS\s+never-early/);
    expect(text).toContain('msg_1  ok: expected delivered, is failed');
  });
});
