/**
 * Flow control per destination: a message may name a flow key (its tenant's, e.g. one per
 * receiver) with at most `parallelism` requests in flight and at most `ratePerSecond` started in
 * any one-second window, across every worker of the deployment. The limiter state lives in the
 * store (one item per tenant and key, the `FlowLimiter` port); this file holds the rules, pure:
 *
 * - **Rate**: starts are handed out as slots on a grid, `slotSpacingMs` apart, each reserved by one
 *   conditional write (`nextSlot` is the rule the adapter applies atomically). A message starts no
 *   earlier than its slot (never early) and no later than `RATE_START_TOLERANCE_MS` after it, or it
 *   reserves again. The spacing carries `RATE_GUARD_MS` per second of slack, so starts that land
 *   anywhere inside their tolerance still never put `ratePerSecond + 1` of them into one second
 *   (proved in flow-control.test.ts), with the rest of the guard (75 ms) left for the way to the
 *   receiver: a new connection, a busy event loop at either end (the integration test measured
 *   45 ms of that on a loaded machine, which a 50 ms guard did not absorb).
 * - **Parallelism**: a counted set of leases; a lease ends when its request does, or, should its
 *   holder die, at its expiry (the request's timeout plus a margin), after which anyone reclaims it.
 *
 * A held message waits, in the worker that took it, at most `FLOW_HOLD_PER_TAKE_MS` (a Lambda must
 * finish), then goes back to the queue to try again later; once held `flowMaxHoldMs` in all it is
 * finished `failed` with reason `flow-control`. Its attempt records the wait as lateness, with
 * `latenessReason: 'flow-control'`.
 */

/** What a message asks of its flow key (`flowControl` in MessageIn). */
export interface FlowControl {
  key: string;
  parallelism?: number;
  ratePerSecond?: number;
}

/** The bounds of `flowControl`, checked at the edge (422) and stated in openapi.yaml and the README. */
export const FLOW_LIMITS = {
  /** A key is a short name: letters, digits and `._:/-`. */
  keyMaxLength: 64,
  /** Leases of one key live on one store item: 1,000 of them stay far below DynamoDB's 400 KB. */
  parallelismMax: 1_000,
  /**
   * One key's limiter is one store item, and DynamoDB serves about 1,000 writes a second per item;
   * a rate-limited start costs one or two of them (a lease two more), so 500 a second is the most a
   * key can honour.
   */
  ratePerSecondMax: 500,
} as const;

export const FLOW_KEY_PATTERN = /^[A-Za-z0-9._:/-]+$/;

/** Slack per second of slots, in ms: the room for a start to land after its slot. */
export const RATE_GUARD_MS = 100;
/** A start later than this after its slot reserves a new slot instead (a quarter of the guard; the rest is the way's). */
export const RATE_START_TOLERANCE_MS = RATE_GUARD_MS / 4;

/** How far apart the starts of a key limited to `ratePerSecond` are placed (ms, fractional). */
export const slotSpacingMs = (ratePerSecond: number): number => (1_000 + RATE_GUARD_MS) / ratePerSecond;

/** The longest a worker holds one taken message for its flow key before handing it back to the queue. */
export const FLOW_HOLD_PER_TAKE_MS = 15_000;
/**
 * A taken message that has waited this long for its key's turn is marked waiting (one small write),
 * after which a cancel may stop it: a busy key can keep a message `delivering` for an hour, one
 * hold after another, and a cancel must not have to wait for that. A shorter wait is never marked,
 * so a key with turns to spare costs nothing more.
 */
export const FLOW_CANCELLABLE_AFTER_MS = 1_000;
/**
 * How far ahead of its rate slot a message makes the write it owes before starting (ending a
 * marked wait, `endWaitForTurn`), so the write's latency lands before the slot, not between the
 * slot and the start: the local stack's store took 30 to 60 ms for it in a burst of three keys,
 * past the 25 ms tolerance, and a key let rate + 1 starts into one second. A write slower than
 * this makes its message miss the slot and reserve another: never early, never a crowded second.
 */
export const FLOW_START_LEAD_MS = 150;
/** A lease outlives its request's timeout by this much before anyone may reclaim it. */
export const FLOW_LEASE_MARGIN_MS = 5_000;
/** A key's limiter item expires this long after it was last used (storage is bounded by use). */
export const FLOW_ITEM_IDLE_MS = 3_600_000;
/** The waiter at the head of a key's line polls the store no more often than this... */
export const FLOW_POLL_MIN_MS = 25;
/** ...backing off to this when the key stays full. */
export const FLOW_POLL_MAX_MS = 500;

/** The rate state of a key: the start of the next free slot (absent: free now). */
export interface RateState {
  nextSlotAt?: number;
}

/**
 * Where the next start goes, for a message that may start from `from` on: the key's next free
 * slot, or `from` if that is earlier; undefined when that slot is after `latest` (nothing is
 * reserved then, so a held message never pushes the grid out). The state afterwards moves one
 * spacing past the slot.
 */
export const nextSlot = (
  state: RateState,
  from: number,
  spacingMs: number,
  latest: number,
): { slotAt: number; state: RateState } | undefined => {
  const slotAt = state.nextSlotAt === undefined || state.nextSlotAt <= from ? from : state.nextSlotAt;
  if (slotAt > latest) return undefined;
  return { slotAt, state: { nextSlotAt: slotAt + spacingMs } };
};

/** True when a start at `startAt` honours its slot: not before it, and within the tolerance after it. */
export const startsInSlot = (slotAt: number, startAt: number): boolean =>
  startAt >= slotAt && startAt <= slotAt + RATE_START_TOLERANCE_MS;

/** The lease state of a key: each holder's lease and when it expires (epoch ms). */
export interface LeaseState {
  leases: Readonly<Record<string, number>>;
}

/** True when one more lease fits under `parallelism`, counting every lease not yet released. */
export const leaseAdmits = (state: LeaseState, parallelism: number): boolean =>
  Object.keys(state.leases).length < parallelism;

/** Leases whose holder is presumed dead (expired at `now`): anyone may reclaim them. */
export const expiredLeases = (state: LeaseState, now: number): string[] =>
  Object.entries(state.leases)
    .filter(([, until]) => until <= now)
    .map(([id]) => id);

/** How long a lease for a request with `timeoutMs` lasts: the request, plus a margin. */
export const leaseLengthMs = (timeoutMs: number): number => timeoutMs + FLOW_LEASE_MARGIN_MS;

/** The next poll wait of a line's head after `failures` failed tries in a row. */
export const pollWaitMs = (failures: number): number =>
  Math.min(FLOW_POLL_MAX_MS, FLOW_POLL_MIN_MS * 2 ** Math.max(0, failures - 1));
