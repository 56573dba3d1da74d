/**
 * The timing rules of the engine. Built once from configuration (libs/aws/src/config.ts) and
 * passed into the use-cases; nothing in libs/core reads the environment.
 */
export interface EngineSettings {
  /** Messages due within this many ms go straight to the delivery queue (SQS allows 900 s). */
  nearWindowMs: number;
  /** A worker gets a message this long before it is due, so slow work lands early. */
  armLeadMs: number;
  /**
   * How long the delivery queue's consumer may keep a ticket to fill a batch before it hands the
   * batch to a worker (the batching window of deliver's event source on AWS, of the local poller
   * here). A ticket that can afford it surfaces `armLeadMs + gatherWindowMs` before it is due, so
   * tickets due about the same second share one worker's held invocation instead of holding one
   * each; a ticket due sooner, or one of ten enqueued for the same second (they fill a batch by
   * themselves), goes on the prompt queue, handed over as it comes (`placeTickets`).
   * 0: no gathering (every ticket on the delivery queue, handed over as it comes).
   */
  gatherWindowMs: number;
  /** A surfaced message further than this from due is put back on the queue instead of held. */
  armHorizonMs: number;
  /**
   * A held message is taken (the conditional write that claims it) this long before it is due,
   * so a cancel that lands while it is held still wins until then...
   */
  takeLeadMs: number;
  /** ...unless more messages are held than takes of `takeCostMs` each fit into the take lead:
   * then the worker takes at once, so that a burst is claimed before it is due. */
  takeCostMs: number;
  /** Width of a far-path bucket: one timer per bucket (60 s on AWS). */
  bucketMs: number;
  /** A bucket's timer fires at least this long before its messages are due. */
  farLeadMs: number;
  /** A pending message this overdue is considered lost in transit and re-enqueued by the sweep. */
  sweepGraceMs: number;
  /** Extra time a worker holds a taken message beyond the request timeout. */
  leaseMarginMs: number;
  /**
   * A message taken this many times without an attempt being recorded is poison: the next take
   * finishes it `failed` (reason `poison`) instead of sending it again.
   */
  poisonTakes: number;
  /**
   * How long a ticket the sweep re-enqueued may take to reach a worker (a backlogged queue): the
   * sweep moves the message's place in the pending index this far ahead, so later sweeps leave it
   * alone meanwhile instead of piling more tickets on the backlog.
   */
  flightAllowanceMs: number;
  /**
   * The longest flow control may hold a message back (from the instant it was due, over every take);
   * then it is finished `failed` with reason `flow-control` instead of waiting on.
   */
  flowMaxHoldMs: number;
  /** Sent as `user-agent: Vigil/<version>`. */
  version: string;
  /**
   * Tests only (`VIGIL_RETENTION_OVERRIDE_S`): keep finished messages this long instead of their
   * plan's `retentionDays`, so an expiry can be watched in seconds. Unset in every deployment.
   */
  retentionOverrideMs?: number;
}

/** The product version (the root package.json's), sent as `user-agent: Vigil/<version>` and served by /health. */
export const VIGIL_VERSION = '0.1.0';

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  nearWindowMs: 840_000,
  armLeadMs: 1_000,
  gatherWindowMs: 1_000,
  armHorizonMs: 5_000,
  takeLeadMs: 200,
  takeCostMs: 3,
  bucketMs: 60_000,
  farLeadMs: 120_000,
  sweepGraceMs: 60_000,
  leaseMarginMs: 15_000,
  poisonTakes: 5,
  flightAllowanceMs: 300_000,
  flowMaxHoldMs: 3_600_000,
  version: VIGIL_VERSION,
};

/** Rejects settings under which the far path could schedule a timer in the past. */
export const checkEngineSettings = (s: EngineSettings): string[] => {
  const problems: string[] = [];
  if (s.nearWindowMs > 900_000 - s.armLeadMs - s.gatherWindowMs)
    problems.push('the near window must leave room for the arm lead and the gather window within SQS 900 s');
  if (s.nearWindowMs < s.farLeadMs + s.bucketMs + 1_000)
    problems.push('the near window must exceed the far lead plus one bucket, or far timers land in the past');
  if (s.farLeadMs < s.bucketMs)
    problems.push('the far lead must cover a whole bucket (the timer may fire anywhere inside it)');
  // A gathered ticket reaches a worker up to armLead + gatherWindow + 1 s (whole-second delays) early.
  if (s.armHorizonMs <= s.armLeadMs + s.gatherWindowMs + 1_000)
    problems.push('the arm horizon must exceed the arm lead plus the gather window and a second');
  return problems;
};
