/**
 * The delivery worker: arm early, fire on time (see ARCHITECTURE.md). The queue surfaces a ticket
 * a little before it is due. The worker holds it, takes the message with one conditional write
 * shortly before it is due (a cancel until then still wins; a duplicate or stale ticket loses),
 * signs the request, waits for the exact due instant (never early), sends, and only then records
 * the attempt and moves the state. Store calls per delivery: take + record, none between due and sent.
 *
 * Nothing loops: a record that keeps failing (for any reason but a lost condition) is retried a
 * few times, then the message is finished `failed` (reason `record-failed`) by a small write that
 * fits where the full one did not; a message whose tenant is gone or whose signing throws ends
 * `failed` at once; and one taken `poisonTakes` times without an attempt being recorded (a worker
 * that dies on it, a store that refuses even the small write) is not sent again (reason `poison`).
 *
 * A final state (delivered, failed) is written with its expiry: the tenant's plan's retention from
 * then (retention.ts). The plan comes with the signing secrets, from the same cached tenant read,
 * so retention adds no store call.
 *
 * A message with `flowControl` goes through the flow gate (flow-gate.ts) after it is signed: it
 * starts only when its key has a free turn, waiting in this worker at most until the take's hold
 * bound (`FLOW_HOLD_PER_TAKE_MS`, and room left in the take's lease for the request), then it is
 * handed back to the queue (`held`) with its due time moved to the key's next free turn and the
 * instant it was due kept, so its attempt's lateness counts the whole wait (`latenessReason:
 * 'flow-control'`); held `flowMaxHoldMs` in all, it is finished `failed` (reason `flow-control`).
 * A message without `flowControl` never meets the gate: not a single store call more.
 *
 * Usage is handed to metering before the state write it describes (the record, or the failure
 * write), with ids derived from the message, its round and the attempt number (usage.ts): a crash
 * between a send and its record re-sends the same attempt number later, whose events carry the
 * same ids, so every attempt a receiver got is counted once.
 *
 * When a round ends (delivered, or failed), its event deliveries (event-webhooks.ts: the
 * message's callback, `message.failed` for the tenant's notification endpoints) are stored before
 * the state write and dispatched after it, so a crash in between leaves them to the sweep, which
 * sends one only once its message's record tells its end (sweep-pending.ts). They
 * come after the send, so they never delay it. They tell the end that was recorded: a record that
 * fails (a 2xx whose record the store refuses) finishes the message `failed`, makes that end's
 * events, and withdraws those stored for the end it could not record. Event deliveries themselves
 * are not metered.
 */
import { appendAttempt, boundFailureReason, attemptSummary } from '../attempt-log';
import type { AttemptVerdict, BackoffPolicy } from '../backoff';
import { judgeAttempt, nextAttemptDelayMs } from '../backoff';
import { buildDeliveryRequest, sentFactsOf } from '../delivery-request';
import { deliveryTargetFor } from '../delivery-target';
import { TenantNotFoundError } from '../errors';
import { callbackDeliveryFor, failureNotificationsFor, withCallbackRefs } from '../event-webhooks';
import type { FlowControl } from '../flow-control';
import { FLOW_CANCELLABLE_AFTER_MS, FLOW_HOLD_PER_TAKE_MS, FLOW_LEASE_MARGIN_MS } from '../flow-control';
import { Signal } from '../signal';
import { attemptsThisRound, lastAttemptNumber, placeMessage } from '../lifecycle';
import { STALL_LATENESS_MS } from '../clock';
import type { Attempt, FailureReason, LatenessReason, Message, TicketLatenessReason } from '../message';
import { TICKET_LATENESS_REASONS } from '../message';
import type {
  DeliveryTargets,
  DeliveryTicket,
  EngineEvents,
  FlowLimiter,
  OutboundRequest,
  SendResult,
  TenantDirectory,
  TenantForDelivery,
} from '../ports';
import { longestRetentionMs, retentionMs, withRetention } from '../retention';
import { leaseFrom, sendLeaseShortfall } from '../take-lease';
import type { UsageEvent } from '../usage';
import { attemptUsage, outcomeUsage, roundOf, scheduledUsage } from '../usage';
import { dispatchMessages, enqueueTickets } from './dispatch';
import type { EventDeliveryDeps } from './event-deliveries';
import {
  dispatchEventDeliveries,
  endpointsOf,
  storeEventDeliveries,
  withdrawEventDeliveries,
} from './event-deliveries';
import type { BeforeStart, FlowAdmission } from './flow-gate';
import { FlowGate } from './flow-gate';

/** The longest a record waits for other sends to finish: far inside the lease. */
const RECORD_DEFER_MAX_MS = 1_000;
/**
 * A record waits for other sends only while sends are still starting (a burst): once none has
 * started for this long, the ones in flight are waiting on their receivers' answers, and a slow
 * receiver must not hold every other delivery's record up (it held each for the whole second).
 */
const SEND_STARTS_QUIET_MS = 100;
/**
 * A record that throws is tried again after these waits (six tries in all over about 15 s: a store
 * throttled for a few seconds must not turn a sent attempt into a failure), while the take's lease
 * has room: no try starts later than RECORD_LEASE_ROOM_MS before it ends, after which the message
 * may be another worker's. An error the store says will not change (a refusal of the request
 * itself, not of the moment) is not tried again.
 */
const RECORD_RETRY_DELAYS_MS = [250, 1_000, 2_000, 4_000, 8_000];
const RECORD_LEASE_ROOM_MS = 3_000;
/**
 * A take the store failed (throttled, or not answered within the client's timeouts and retries) is
 * tried again after these waits instead of leaving its ticket to the sweep, a minute later; a
 * lasting refusal is not, nor is one that would start more than TAKE_RETRY_PAST_DUE_MS after the
 * message was due. The sweep stays the net for a store down longer.
 */
const TAKE_RETRY_DELAYS_MS = [250, 1_000, 2_000];
export const TAKE_RETRY_PAST_DUE_MS = 2_000;
/** When a message whose flow gate could not be asked is tried again. */
const FLOW_UNANSWERED_RETRY_MS = 1_000;

export interface DeliveryDeps extends EventDeliveryDeps {
  tenants: TenantDirectory;
  /** The adapter for each target type; a message goes to the one its URL names. */
  deliveryTargets: DeliveryTargets;
  backoff: BackoffPolicy;
  /** In [0, 1): the jitter source. */
  random: () => number;
  events?: EngineEvents;
  /** Where flow keys' turns are kept; without it a message with `flowControl` cannot be sent (a wiring error). */
  flowLimiter?: FlowLimiter;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped' | 'requeued' | 'held';

export class DeliveryWorker {
  /** Tickets held and not yet taken, across every batch this worker is handling. */
  private holding = 0;
  private readonly rush = new Signal();
  /** Requests on the wire right now; records wait for them (briefly) so a burst's sends go first. */
  private sending = 0;
  private readonly quiet = new Signal();
  /** When the latest send started: records wait for a burst's sends only while they are starting. */
  private lastSendStartedAt = Number.NEGATIVE_INFINITY;
  private readonly gate: FlowGate | undefined;

  constructor(private readonly deps: DeliveryDeps) {
    this.gate = deps.flowLimiter && new FlowGate({ limiter: deps.flowLimiter, clock: deps.clock });
  }

  async deliver(ticket: DeliveryTicket): Promise<DeliveryOutcome> {
    const { clock, settings } = this.deps;
    const arrivedAt = clock.now();
    if (ticket.dueAt - arrivedAt > settings.armHorizonMs) {
      // Surfaced too early (a re-enqueue, or a clamped delay): put it back rather than hold it.
      await enqueueTickets(this.deps, [ticket]);
      return 'requeued';
    }
    const taken = await this.take(ticket);
    if (!taken) return 'skipped';
    return this.fire(taken, ticket.latenessReason);
  }

  /**
   * Waits until the take lead (or takes at once when too many are held), then claims the message.
   * A take made at once that lost, ahead of the lead, is made again at the lead: the sweep's ticket
   * for a message a dead worker still holds is due when that worker's lease ends (a burst of them
   * after a restart), and the message can be taken only then.
   */
  private async take(ticket: DeliveryTicket): Promise<Message | undefined> {
    const { clock, settings } = this.deps;
    this.holding += 1;
    try {
      if (this.holding * settings.takeCostMs > settings.takeLeadMs) {
        this.rush.fire();
      } else {
        await this.rush.wait(clock.sleepUntil(ticket.dueAt - settings.takeLeadMs));
      }
    } finally {
      this.holding -= 1;
    }
    const leadAt = ticket.dueAt - settings.takeLeadMs;
    const rushed = clock.now() < leadAt;
    const taken = await this.takeNow(ticket);
    if (taken !== undefined || !rushed) return taken;
    await clock.sleepUntil(leadAt);
    return this.takeNow(ticket);
  }

  /** The store's take, tried again after a failure (TAKE_RETRY_DELAYS_MS). */
  private async takeNow(ticket: DeliveryTicket): Promise<Message | undefined> {
    const { clock, settings, store } = this.deps;
    for (let tries = 1; ; tries += 1) {
      const now = clock.now();
      try {
        return await store.take(ticket, now, leaseFrom(ticket.dueAt, now, settings.leaseMarginMs));
      } catch (error) {
        const wait = TAKE_RETRY_DELAYS_MS[tries - 1];
        const tooLate = wait !== undefined && clock.now() + wait > ticket.dueAt + TAKE_RETRY_PAST_DUE_MS;
        if (wait === undefined || tooLate || isLastingRefusal(error)) throw error;
        this.deps.log.warn('taking a message failed; trying again', {
          tenantId: ticket.tenantId,
          messageId: ticket.messageId,
          try: tries,
          inMs: wait,
          error: String(error),
        });
        await clock.sleepUntil(clock.now() + wait);
      }
    }
  }

  /**
   * Hands usage to metering; a meter that fails is logged and never fails the delivery. An event
   * delivery (a callback, a notification) is Vigil's own doing: it is not metered.
   */
  private async meter(message: Message, events: readonly UsageEvent[], fields: Record<string, unknown>): Promise<void> {
    if (message.origin) return;
    try {
      await this.deps.meter?.record(events);
    } catch (error) {
      this.deps.log.error('usage events not handed to metering', { ...fields, error: String(error) });
    }
  }

  /**
   * `ticketReason`: what its ticket tells of a lateness (the sweep's nets, a worker's hand-back),
   * for its attempt: the message's lateness began there when the ticket came only once the message
   * was due (by its first due instant, before any flow control hold), so it wins over what follows.
   */
  private async fire(message: Message, ticketReason?: TicketLatenessReason): Promise<DeliveryOutcome> {
    const { clock, settings } = this.deps;
    const lateFor = (message.flowHeldFrom ?? message.dueAt) <= clock.now() ? ticketReason : undefined;
    const takes = message.takes ?? 0;
    if (takes > settings.poisonTakes) {
      return this.finishFailed(
        message,
        {
          code: 'poison',
          detail: `Taken for delivery ${takes - 1} times without an attempt being recorded; not sent again.`,
        },
        await this.keepMsOf(message),
      );
    }
    if (await this.endpointRemoved(message)) {
      // An endpoint removed is told nothing more: its events still to be sent are withdrawn.
      await withdrawEventDeliveries(this.deps, [message], await this.keepMsOf(message));
      return 'skipped';
    }
    const n = lastAttemptNumber(message) + 1;
    const prepared = await this.prepare(message, n);
    if ('failure' in prepared) return this.finishFailed(message, prepared.failure, prepared.keepMs);
    if (message.flowControl === undefined) return this.sendOnTime(message, n, prepared, lateFor);
    const turn = await this.waitForTurn({ ...message, flowControl: message.flowControl }, prepared.keepMs, lateFor);
    if ('outcome' in turn) return turn.outcome;
    return this.sendOnTime(turn.message, n, prepared, lateFor, turn.admission);
  }

  /**
   * Sends the prepared request at the message's due instant (never before), then records the
   * attempt; `admission`: the flow key's turn it was given, ended once the request is over.
   */
  private async sendOnTime(
    message: Message,
    n: number,
    prepared: { request: OutboundRequest; keepMs: number },
    lateFor: TicketLatenessReason | undefined,
    admission?: FlowAdmission & { admitted: true },
  ): Promise<DeliveryOutcome> {
    const { clock, deliveryTargets } = this.deps;
    const armed = message.dueAt > clock.now();
    if (armed) connectAhead(deliveryTargets, prepared.request);
    await clock.sleepUntil(message.dueAt);
    const wokeLateMs = armed ? clock.now() - message.dueAt : 0;
    const heldByFlow = admission !== undefined && (admission.held || message.flowHeldFrom !== undefined);
    const reason = latenessReasonOf({ lateFor, heldByFlow, armed, wokeLateMs });
    const lease = await this.leaseCoversSend(message);
    if (lease !== 'covered') {
      if (admission) await this.releaseTurn(message, admission);
      return lease === 'taken' ? 'skipped' : this.handBackUnleased(message, reason);
    }
    const startedAt = clock.now();
    this.lastSendStartedAt = startedAt;
    this.sending += 1;
    const result = await send(deliveryTargets, prepared.request).finally(() => {
      this.sending -= 1;
      if (this.sending === 0) {
        this.quiet.fire();
      }
    });
    if (admission) await this.releaseTurn(message, admission);
    // A request that waited for a connection (the sender's limit per origin) started when it went.
    const wentAt = startedAt + (result.waitedMs ?? 0);
    const dueAt = message.flowHeldFrom ?? message.dueAt;
    const attempt = describeAttempt(
      n,
      wentAt,
      clock.now(),
      dueAt,
      result,
      reason ?? receiverBusy(result.waitedMs, wentAt - dueAt),
      { round: roundOf(message), sent: sentFactsOf(prepared.request) },
    );
    return this.record(message, attempt, result, prepared.keepMs);
  }

  /**
   * Whether `message` is an event for a notification endpoint the tenant has removed since. Read
   * for each attempt (a few items); an endpoint list that cannot be read counts as it still being there.
   */
  private async endpointRemoved(message: Message): Promise<boolean> {
    const { origin } = message;
    if (origin?.kind !== 'notification' || this.deps.endpoints === undefined) return false;
    try {
      const endpoints = await this.deps.endpoints.listEndpoints(message.tenantId);
      return !endpoints.some((endpoint) => endpoint.id === origin.endpointId);
    } catch {
      return false;
    }
  }

  /**
   * Whether the take's lease still covers a send starting now, extending it when the worker is late
   * since its take (sendLeaseShortfall): a send must not outlive its lease, or the sweep could hand
   * the message to a second worker while the first is still sending it. `taken` when another worker
   * has taken it since: this one then sends nothing (the other does). `unknown` when the extension
   * threw (it may have landed, its answer lost): nothing is sent without a lease known to cover the
   * send, and the message is handed back (handBackUnleased).
   */
  private async leaseCoversSend(message: Message): Promise<'covered' | 'taken' | 'unknown'> {
    const { clock, settings, store, log } = this.deps;
    const needed = sendLeaseShortfall(message, clock.now(), settings.leaseMarginMs);
    if (needed === undefined) return 'covered';
    const fields = { tenantId: message.tenantId, messageId: message.id };
    let extended: boolean;
    try {
      extended = await store.extendLease(message, needed);
    } catch (error) {
      log.warn('late for its send, and its lease could not be extended: not sent, handed back', {
        ...fields,
        error: String(error),
      });
      return 'unknown';
    }
    if (!extended) log.warn('late for its send, and taken by another worker since: not sent by this one', fields);
    return extended ? 'covered' : 'taken';
  }

  /**
   * Hands back a taken message whose lease could not be extended for a late send, at once, where it
   * stayed `delivering` until its lease ended and a sweep took it again (a minute or two; under flow
   * control its key's turn held as long): back to waiting, due when it was (its lateness still
   * counted from then, so its ticket is sent at no delay), its take not counted (nothing went
   * wrong with the message: a hand-back does not count towards poison), its ticket sent. The write
   * is conditional on the take's version, which an extension that landed leaves as it is, so
   * another worker's take (or a cancel) since wins and nothing is sent twice. A hand-back that
   * cannot be written is thrown, as the extension's failure was: the lease is then the net.
   * `reason`: why it is late so far (its ticket's, or a late wake-up's), which its ticket carries to
   * the attempt that sends it; flow control's hold needs none (the message keeps `flowHeldFrom`).
   */
  private async handBackUnleased(message: Message, reason: LatenessReason | undefined): Promise<DeliveryOutcome> {
    const { log } = this.deps;
    const fields = { tenantId: message.tenantId, messageId: message.id };
    const next = await this.putBack(
      message,
      {},
      (current, waiting) => current.status === waiting.status && current.leaseUntil === undefined,
      fields,
    );
    if (next === 'lost') {
      log.warn('message changed since its take (taken by another worker, or cancelled): not handed back', fields);
      return 'skipped';
    }
    log.info('not sent without a lease covering the send; back to the queue', fields);
    await dispatchMessages(this.deps, [next], { latenessReason: ticketReasonOf(reason) });
    return 'requeued';
  }

  /**
   * Waits for the message's turn at its flow key (admit), handing it back to the queue when none
   * came (holdBack). A wait longer than FLOW_CANCELLABLE_AFTER_MS is marked on the message, so a
   * cancel may stop it meanwhile; a marked wait that gets its turn ends with a conditional write
   * (one more store call, for a message flow control made late already) that a cancel before it
   * makes fail, and that makes a cancel after it fail: the turn is then given back, nothing sent.
   * The gate makes that write in the lead before the message's rate slot (flow-gate.ts), so it
   * does not delay the start past its slot. Returns the message as it stands once it has its turn
   * (its version bumped, when marked). `lateFor`: why it was late already, kept by a hand-back.
   */
  private async waitForTurn(
    message: Message & { flowControl: FlowControl },
    keepMs: number,
    lateFor: TicketLatenessReason | undefined,
  ): Promise<{ message: Message; admission: FlowAdmission & { admitted: true } } | { outcome: DeliveryOutcome }> {
    const { clock, store, log } = this.deps;
    const wait = { over: false, ended: new Signal(), marked: false };
    let marking: Promise<void> | undefined;
    const onWaiting = (untilAt?: number) => {
      if (!wait.over) marking ??= this.markWaitingForTurn(message, wait, untilAt !== undefined);
    };
    const over = () => {
      wait.over = true;
      wait.ended.fire();
    };
    const fields = { tenantId: message.tenantId, messageId: message.id, flowKey: message.flowControl.key };
    // How the end of a marked wait went: true (written), false (a cancel, or another take, came
    // first), undefined (not known: the write failed). Absent while not written.
    let ended: { written: boolean | undefined } | undefined;
    const beforeStart: BeforeStart = {
      pending: () => wait.marked && ended === undefined,
      run: async () => {
        // From here on the wait is not marked any more (it is short now): the start is next. Any
        // mark whose write was sent may stand, whatever it answered, and a cancel it let in must
        // still stop the send: its wait is ended as a marked one's is (conditional on the take, so
        // a cancel, or another worker's take, stops it).
        over();
        await marking;
        if (!wait.marked) return true;
        try {
          ended = { written: await store.endWaitForTurn(message) };
        } catch (error) {
          ended = { written: undefined };
          log.warn('the end of a wait for a flow key turn could not be written; handed back', {
            ...fields,
            error: String(error),
          });
        }
        return ended.written === true;
      },
    };
    let admission: FlowAdmission;
    try {
      admission = await this.admit(message, onWaiting, beforeStart);
    } finally {
      over();
    }
    await marking;
    // Once its wait's end is written, the message's version is one on.
    const current = ended?.written === true ? { ...message, version: message.version + 1 } : message;
    if (admission.admitted) return { message: current, admission };
    if ('retryAt' in admission) {
      return { outcome: await this.holdBack(current, message.flowControl, admission.retryAt, keepMs, lateFor) };
    }
    // Stopped by the end of its wait (the gate gave the turn back).
    if (ended?.written === false) {
      log.info('cancelled (or taken by another worker) while it waited for its flow key turn; not sent', fields);
      return { outcome: 'skipped' };
    }
    // Unknown whether it landed: the hand-back's write is conditional on the version the message is
    // found at, so a cancel (or another worker's take) wins and nothing is sent twice; should the
    // end of the wait have landed, the hand-back is made over it, not refused by its version.
    const found = await this.endOfWaitFound(message);
    return {
      outcome: await this.holdBack(found, message.flowControl, clock.now() + FLOW_UNANSWERED_RETRY_MS, keepMs, lateFor),
    };
  }

  /**
   * The taken message as the end of its wait left it, when that write threw (it may have landed,
   * its answer lost): read back, it is one version on, still this take's (`delivering` under the
   * same lease and count of takes) and no longer marked, if it landed; then the hand-back is made
   * at that version, where one at the take's was refused and left the message `delivering`, not
   * cancellable, until the sweep took it again once its lease ended (a minute or two). Otherwise,
   * or if the read fails, the message as taken. One read, on this rare path only.
   */
  private async endOfWaitFound(message: Message): Promise<Message> {
    const current = await this.deps.store.get(message.tenantId, message.id).catch(() => undefined);
    const landed =
      current?.status === 'delivering' &&
      current.version === message.version + 1 &&
      current.takes === message.takes &&
      current.leaseUntil === message.leaseUntil &&
      current.flowWaitingSince === undefined;
    return landed ? { ...message, version: message.version + 1 } : message;
  }

  /**
   * Marks the message waiting for its turn, so a cancel may stop it: at once when the gate knows the
   * wait is long (`known`: a rate slot FLOW_CANCELLABLE_AFTER_MS or more away), else once it has
   * lasted that long (a full key: no telling when a lease comes back). A write refused or thrown
   * (logged) may have landed all the same: its answer lost, and the store client's retry refused
   * once a cancel came in through it, or thrown; so the message may show as held and take a cancel,
   * and its wait is ended as a marked one's is: `wait.marked` says a write was sent, whatever it
   * answered (refused: the message moved on since the take; or thrown).
   */
  private async markWaitingForTurn(
    message: Message,
    wait: { over: boolean; ended: Signal; marked: boolean },
    known: boolean,
  ): Promise<void> {
    const { clock, store, log } = this.deps;
    const since = clock.now();
    if (!known) await wait.ended.wait(clock.sleepUntil(since + FLOW_CANCELLABLE_AFTER_MS));
    if (wait.over) return;
    wait.marked = true;
    try {
      await store.markWaitingForTurn(message, since);
    } catch (error) {
      log.warn('a wait for a flow key turn could not be marked; its end is written as if it were', {
        tenantId: message.tenantId,
        messageId: message.id,
        error: String(error),
      });
    }
  }

  /**
   * Waits for the message's turn at its flow key: at most FLOW_HOLD_PER_TAKE_MS, and never so long
   * that the take's lease could end before the request does. A gate that cannot be asked (its
   * store failed past its retries) gives no turn: the message is handed back for a little later,
   * like one the key was busy for, so a bad day's store errors do not count its takes towards
   * poison. A lease the gate took (or may have: a grant whose answer was lost) is given back
   * first; should that fail too, it expires on its own: the key runs below its limits, never above.
   */
  private async admit(
    message: Message & { flowControl: FlowControl },
    onWaiting: (untilAt?: number) => void,
    beforeStart: BeforeStart,
  ): Promise<FlowAdmission> {
    const { clock, log } = this.deps;
    if (this.gate === undefined) throw new Error('flow control is not wired: no FlowLimiter given to the worker');
    const leaseRoom = (message.leaseUntil ?? message.dueAt) - message.timeoutMs - FLOW_LEASE_MARGIN_MS;
    try {
      return await this.gate.admit(
        message,
        Math.min(clock.now() + FLOW_HOLD_PER_TAKE_MS, leaseRoom),
        onWaiting,
        beforeStart,
      );
    } catch (error) {
      log.warn('flow control could not be asked for a turn; handed back', {
        tenantId: message.tenantId,
        messageId: message.id,
        flowKey: message.flowControl.key,
        error: String(error),
      });
      return { admitted: false, retryAt: clock.now() + FLOW_UNANSWERED_RETRY_MS };
    }
  }

  /** Gives the flow key's turn back; a failure is logged (the lease expires on its own). */
  private async releaseTurn(message: Message, admission: FlowAdmission & { admitted: true }): Promise<void> {
    try {
      await admission.release();
    } catch (error) {
      this.deps.log.warn('flow control lease not given back; it expires on its own', {
        tenantId: message.tenantId,
        messageId: message.id,
        error: String(error),
      });
    }
  }

  /**
   * Hands a message its flow key had no turn for back to the queue, due at `retryAt`, remembering
   * when it was due; or, held `flowMaxHoldMs` already, finishes it `failed` (reason `flow-control`).
   * A hand-back is not a take that went wrong: it does not count towards poison. `lateFor`: why it
   * was late already when it came to the gate (its ticket's reason), which its next ticket carries:
   * the attempt that sends it gives that first cause, not flow control's hold that followed.
   */
  private async holdBack(
    message: Message,
    flow: FlowControl,
    retryAt: number,
    keepMs: number,
    lateFor: TicketLatenessReason | undefined,
  ): Promise<DeliveryOutcome> {
    const { clock, settings, log } = this.deps;
    const now = clock.now();
    const heldFrom = message.flowHeldFrom ?? message.dueAt;
    const fields = { tenantId: message.tenantId, messageId: message.id, flowKey: flow.key };
    if (Math.max(retryAt, now) - heldFrom >= settings.flowMaxHoldMs) {
      const limit = Math.round(settings.flowMaxHoldMs / 60_000);
      return this.finishFailed(
        message,
        {
          code: 'flow-control',
          detail:
            `Flow control key "${flow.key}" had no free turn for it within ${limit} min of its due ` +
            `time (held ${Math.round((now - heldFrom) / 1000)} s so far); not sent.`,
        },
        keepMs,
      );
    }
    const next = await this.putBack(
      message,
      { dueAt: Math.max(retryAt, now), flowHeldFrom: heldFrom },
      (current) => current.flowHeldFrom === heldFrom,
      fields,
    );
    if (next === 'lost') {
      log.warn('message changed while flow control held it', fields);
      return 'skipped';
    }
    log.info('held by flow control; back to the queue', { ...fields, nextTryAt: new Date(next.dueAt).toISOString() });
    await dispatchMessages(this.deps, [next], { latenessReason: lateFor });
    return 'held';
  }

  /**
   * A taken message put back to waiting with `changes` (its due time, say), untaken: its lease
   * dropped and its take not counted (a hand-back is not a take that went wrong: it does not count
   * towards poison). The write is conditional on the take's version (`ownWrite` tells this write
   * landed already from another's); `lost` when the message changed since (another worker's take,
   * a cancel); a write that fails otherwise is thrown. The caller sends its ticket.
   */
  private async putBack(
    message: Message,
    changes: Partial<Message>,
    ownWrite: (current: Message, next: Message) => boolean,
    fields: Record<string, unknown>,
  ): Promise<Message | 'lost'> {
    const { clock, settings } = this.deps;
    const now = clock.now();
    const { leaseUntil: _lease, takes, ...rest } = message;
    const untaken = (takes ?? 1) - 1;
    const waiting: Message = {
      ...rest,
      ...(untaken > 0 && { takes: untaken }),
      ...changes,
      version: message.version + 1,
      updatedAt: now,
    };
    const next = placeMessage(waiting, now, settings, attemptsThisRound(message) > 0 ? 'retry' : 'fresh');
    const saved = await this.saveTrying(next, message, (current) => ownWrite(current, next), fields);
    if (saved === 'saved') return next;
    if (saved !== 'lost') throw saved.error;
    return 'lost';
  }

  /**
   * How long the message is kept once finished, for a poison message (which is not signed): its
   * plan's retention, or, should the tenant not be readable, the longest any plan keeps one.
   */
  private async keepMsOf(message: Message): Promise<number> {
    const { tenants, settings } = this.deps;
    try {
      return retentionMs((await tenants.forDelivery(message.tenantId)).plan, settings);
    } catch {
      return longestRetentionMs(settings);
    }
  }

  /**
   * Signs the request, and tells how long the message is kept once finished (its tenant's plan's
   * retention). A tenant that is gone or a signing that throws can never succeed, so they finish
   * the message; any other error (the tenant store unreachable) is thrown: the message is taken
   * again after its lease, and the poison count bounds how often.
   */
  private async prepare(
    message: Message,
    n: number,
  ): Promise<{ request: OutboundRequest; keepMs: number } | { failure: FailureReason; keepMs: number }> {
    const { clock, tenants, settings } = this.deps;
    let tenant: TenantForDelivery;
    try {
      tenant = await tenants.forDelivery(message.tenantId);
    } catch (error) {
      if (error instanceof TenantNotFoundError) {
        return {
          failure: { code: 'tenant-gone', detail: `Tenant ${message.tenantId} no longer exists.` },
          keepMs: longestRetentionMs(settings),
        };
      }
      throw error;
    }
    const keepMs = retentionMs(tenant.plan, settings);
    try {
      const timestamp = Math.floor(Math.max(message.dueAt, clock.now()) / 1000);
      const request = buildDeliveryRequest(message, tenant.signingSecrets, n, timestamp, `Vigil/${settings.version}`);
      return { request, keepMs };
    } catch (error) {
      return {
        failure: { code: 'signing-failed', detail: `The request could not be signed: ${errorText(error)}` },
        keepMs,
      };
    }
  }

  /**
   * Writes the attempt and the next state in one conditional write (a final state with its expiry,
   * `keepMs` from now); schedules the retry if any.
   */
  private async record(
    message: Message,
    attempt: Attempt,
    result: SendResult,
    keepMs: number,
  ): Promise<DeliveryOutcome> {
    const { clock, settings, log, events, backoff, random } = this.deps;
    // A store write costs as much CPU as several sends: let the sends of a burst go first, while
    // they are still starting (SEND_STARTS_QUIET_MS), at most RECORD_DEFER_MAX_MS.
    const deferUntil = clock.now() + RECORD_DEFER_MAX_MS;
    while (this.sending > 0 && clock.now() < Math.min(deferUntil, this.lastSendStartedAt + SEND_STARTS_QUIET_MS)) {
      await this.quiet.wait(clock.sleepUntil(Math.min(deferUntil, this.lastSendStartedAt + SEND_STARTS_QUIET_MS)));
    }
    const now = clock.now();
    // Recording an attempt ends the take: the lease, the count of takes without a record and a
    // flow control hold go.
    const { leaseUntil: _lease, takes: _takes, flowHeldFrom: _heldFrom, ...held } = message;
    const tried: Message = { ...held, attempts: appendAttempt(message, attempt), updatedAt: now };
    const verdict = judgeAttempt(result, attemptsThisRound(tried), message.maxAttempts);
    // Its lateness and why (an operator reading the log sees recovered or engine-busy as the API does).
    const fields = {
      tenantId: message.tenantId,
      messageId: message.id,
      attempt: attempt.n,
      latenessMs: attempt.latenessMs,
      ...(attempt.latenessReason && { latenessReason: attempt.latenessReason }),
    };

    let next: Message;
    if (verdict === 'delivered') {
      next = { ...tried, status: 'delivered', deliveredAt: Date.parse(attempt.startedAt) };
    } else if (verdict === 'give-up') {
      next = { ...tried, status: 'failed' };
    } else {
      const wait = nextAttemptDelayMs(attemptsThisRound(tried), backoff, random(), attempt.retryAfterMs);
      const dueAt = now + wait;
      next = placeMessage({ ...tried, dueAt, version: message.version + 1 }, now, settings, 'retry');
    }
    next = withRetention(next, now, keepMs);
    // Before the record write: a crash after the send must not lose the round's events or the attempt's usage.
    const eventDeliveries = verdict === 'retry' ? [] : await this.storeEventsOf(next, now);
    next = withCallbackRefs(next, eventDeliveries);
    await this.meter(message, usageFor(message, attempt.n, verdict, attemptsThisRound(tried) === 1), fields);
    const saved = await this.saveRecord(next, message, attempt.n);
    if (saved === 'lost') {
      log.warn('message changed while it was being delivered; attempt not recorded', fields);
      return 'skipped';
    }
    if (saved !== 'saved') {
      const answer = attempt.statusCode === undefined ? 'no response' : `HTTP ${attempt.statusCode}`;
      return this.finishFailed(
        message,
        {
          code: 'record-failed',
          detail:
            `Attempt ${attempt.n} was sent (${answer}) but could not be recorded after ` +
            `${saved.tries} ${saved.tries === 1 ? 'try' : 'tries'} (${errorName(saved.error)}); not sent again.`,
        },
        keepMs,
        { attempt, unrecordedEvents: eventDeliveries },
      );
    }
    await dispatchEventDeliveries(this.deps, eventDeliveries);
    if (verdict === 'delivered') {
      log.info('delivered', { ...fields, statusCode: attempt.statusCode });
      events?.delivered?.(fields);
      return 'delivered';
    }
    log.warn(verdict === 'retry' ? 'attempt failed; will retry' : 'attempt failed; giving up', {
      ...fields,
      statusCode: attempt.statusCode,
      error: attempt.error,
      nextAttemptAt: verdict === 'retry' ? new Date(next.dueAt).toISOString() : undefined,
    });
    events?.attemptFailed?.({
      ...fields,
      statusCode: attempt.statusCode,
      error: attempt.error,
      final: verdict === 'give-up',
    });
    if (verdict === 'give-up') return 'failed';
    await dispatchMessages(this.deps, [next]);
    return 'retrying';
  }

  /**
   * Writes the record, trying again (a bounded number of times) when the write throws. A lost
   * condition is final, unless an earlier try threw: that write may have landed after all, so
   * the message is read back to tell. So is it when every try threw: the last may have landed with
   * only its answer lost, and finishing it `failed` then would overwrite a delivered record (a
   * delivered record keeps the take's version) and tell the endpoints of a failure that was not.
   */
  private saveRecord(
    next: Message,
    taken: Message,
    n: number,
  ): Promise<'saved' | 'lost' | { error: unknown; tries: number }> {
    return this.saveTrying(next, taken, (current) => lastAttemptNumber(current) === n && current.takes === undefined, {
      tenantId: taken.tenantId,
      messageId: taken.id,
      attempt: n,
    });
  }

  /**
   * Writes `next` over the taken message as saveRecord does (the tries, the reading back), for any
   * write that ends a take; `isNext` tells the message read back as `next` (at its version).
   */
  private async saveTrying(
    next: Message,
    taken: Message,
    isNext: (current: Message) => boolean,
    fields: Record<string, unknown>,
  ): Promise<'saved' | 'lost' | { error: unknown; tries: number }> {
    const { clock, store, log } = this.deps;
    const landed = async () => {
      const current = await store.get(taken.tenantId, taken.id);
      return current?.version === next.version && isNext(current);
    };
    const roomUntil = (taken.leaseUntil ?? Number.POSITIVE_INFINITY) - RECORD_LEASE_ROOM_MS;
    let lastError: unknown;
    let tries = 0;
    for (const wait of [0, ...RECORD_RETRY_DELAYS_MS]) {
      if (tries > 0 && (isLastingRefusal(lastError) || clock.now() + wait > roomUntil)) break;
      if (wait > 0) await clock.sleepUntil(clock.now() + wait);
      tries += 1;
      try {
        if (await store.save(next, taken.version)) return 'saved';
        if (lastError === undefined) return 'lost';
        return (await landed()) ? 'saved' : 'lost';
      } catch (error) {
        lastError = error;
        log.warn('writing the end of a take failed', { ...fields, try: tries, error: String(error) });
      }
    }
    // Unknown if even the read fails: finished `failed` as before, whose write is conditional too.
    if (await landed().catch(() => false)) return 'saved';
    return { error: lastError, tries };
  }

  /**
   * Stores the event deliveries of a round that ended as `finished` says: its callback, and on a
   * failure `message.failed` for the tenant's endpoints. None for an event delivery itself.
   */
  private async storeEventsOf(finished: Message, now: number): Promise<Message[]> {
    if (finished.origin) return [];
    const { settings } = this.deps;
    const callback = callbackDeliveryFor(finished, now, settings);
    const notifications =
      finished.status === 'failed'
        ? failureNotificationsFor(finished, await endpointsOf(this.deps, finished.tenantId), now, settings)
        : [];
    const deliveries = callback ? [callback, ...notifications] : notifications;
    return deliveries.length === 0 ? [] : storeEventDeliveries(this.deps, deliveries);
  }

  /** Whether the message stands as this worker's failure write at `now` left it (the version after the take's). */
  private async finishedHere(taken: Message, now: number): Promise<boolean> {
    const current = await this.deps.store.get(taken.tenantId, taken.id);
    return current?.status === 'failed' && current.version === taken.version + 1 && current.updatedAt === now;
  }

  /**
   * Finishes a taken message `failed` with a reason, by the store's small failure write (never
   * the body again). With the attempt that was sent, the log gets it without its snippet; should
   * even that write throw, the reason alone is written, the smallest write there is. The message
   * expires `keepMs` after it (retention.ts).
   *
   * The events go with the state written, not with the send: the round's end is `failed`, so its
   * `failed` callback and `message.failed` notifications are made; those a record that then failed
   * had stored for another end (`unrecordedEvents`: a `delivered` callback for a 2xx) are
   * withdrawn once the failure write has landed (not before: until then the record may have landed
   * after all, and the failure write then finds the message moved on and leaves them be).
   */
  private async finishFailed(
    message: Message,
    reason: FailureReason,
    keepMs: number,
    sent?: { attempt: Attempt; unrecordedEvents: readonly Message[] },
  ): Promise<DeliveryOutcome> {
    const attempt = sent?.attempt;
    const { store, clock, log, events } = this.deps;
    const now = clock.now();
    const expiresAt = now + keepMs;
    const bounded = boundFailureReason(reason);
    const fields = { tenantId: message.tenantId, messageId: message.id, reason: bounded.code };
    const attempts = attempt ? appendAttempt(message, attemptSummary(attempt)) : undefined;
    // Before the failure write, like the record's: the round ends failed (unless the attempt that
    // could not be recorded was answered 2xx: that round was delivered, and counted so already).
    const delivered = attempt !== undefined && judgeAttempt(attempt, 0, 1) === 'delivered';
    // The message as the failure write leaves it, its expiry included (as the record's events show it).
    const eventDeliveries = await this.storeEventsOf(
      {
        ...message,
        status: 'failed',
        failureReason: bounded,
        updatedAt: now,
        expiresAt,
        ...(attempts && { attempts }),
      },
      now,
    );
    const callbacks = withCallbackRefs(message, eventDeliveries).callbacks;
    await this.meter(
      message,
      [
        { ...scheduledUsage(message), echo: true },
        ...(attempt ? [attemptUsage(message, attempt.n)] : []),
        ...(delivered ? [] : [outcomeUsage(message, 'failed')]),
      ],
      fields,
    );
    let finished: boolean;
    try {
      finished = await store.fail(message, message.version, {
        reason: bounded,
        now,
        expiresAt,
        ...(attempts && { attempts }),
        ...(callbacks && { callbacks }),
      });
    } catch (error) {
      if (!attempts) throw error;
      log.error('the failure record with its attempt could not be written; writing the reason alone', {
        ...fields,
        error: String(error),
      });
      finished = await store.fail(message, message.version, { reason: bounded, now, expiresAt });
      // The first write may have landed with only its answer lost: this one then finds it done.
      if (!finished) finished = await this.finishedHere(message, now).catch(() => false);
    }
    if (!finished) {
      // Not finished here (the record landed unseen, or another worker moved it on): its failure
      // events tell of an end that did not happen. Those the record stored as well stay.
      const recorded = new Set((sent?.unrecordedEvents ?? []).map((d) => d.id));
      const unfounded = eventDeliveries.filter((d) => !recorded.has(d.id));
      if (unfounded.length > 0) await withdrawEventDeliveries(this.deps, unfounded, keepMs);
      log.warn('message changed before it could be finished as failed', fields);
      return 'skipped';
    }
    const failureEventIds = new Set(eventDeliveries.map((d) => d.id));
    const contradicting = (sent?.unrecordedEvents ?? []).filter((d) => !failureEventIds.has(d.id));
    if (contradicting.length > 0) await withdrawEventDeliveries(this.deps, contradicting, keepMs);
    await dispatchEventDeliveries(this.deps, eventDeliveries);
    log.error('message finished as failed', { ...fields, detail: bounded.detail, attempt: attempt?.n });
    if (attempt) {
      events?.attemptFailed?.({
        tenantId: message.tenantId,
        messageId: message.id,
        attempt: attempt.n,
        statusCode: attempt.statusCode,
        error: attempt.error,
        final: true,
      });
    }
    return 'failed';
  }
}

/** Sends by the adapter the request's URL names; a URL no adapter takes can never be sent. */
const send = (targets: DeliveryTargets, request: OutboundRequest): Promise<SendResult> => {
  const target = deliveryTargetFor(targets, request.url);
  if (target === undefined) {
    return Promise.resolve({ error: 'no delivery target takes this URL', permanent: true });
  }
  return target.send(request);
};

/**
 * Lets the adapter the request's URL names open its connection now, for a send at the due instant.
 * Only a head start: an adapter that throws here costs it, never the delivery.
 */
const connectAhead = (targets: DeliveryTargets, request: OutboundRequest): void => {
  try {
    deliveryTargetFor(targets, request.url)?.connectAhead?.(request);
  } catch {
    // The send connects by itself at the instant.
  }
};

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

/**
 * Store errors that trying again within seconds cannot change: the request itself refused (an item
 * over the size limit, a malformed write) or the table not there to take it, as DynamoDB and the
 * store name them; not a throttle, a timeout or a server error of the moment.
 */
const LASTING_REFUSALS = new Set([
  'ValidationException',
  'ItemTooLargeError',
  'SerializationException',
  'ResourceNotFoundException',
  'AccessDeniedException',
]);
const isLastingRefusal = (error: unknown): boolean => error instanceof Error && LASTING_REFUSALS.has(error.name);

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Usage for one attempt: the attempt, its round's outcome when final, and with a round's first
 * attempt an echo of the round's `scheduled` event (its create or redeliver may have died before
 * metering it; when it did not, the echo is a duplicate and counts nothing).
 */
const usageFor = (message: Message, n: number, verdict: AttemptVerdict, firstOfRound: boolean): UsageEvent[] => [
  ...(firstOfRound ? [{ ...scheduledUsage(message), echo: true }] : []),
  attemptUsage(message, n),
  ...(verdict === 'delivered' ? [outcomeUsage(message, 'delivered')] : []),
  ...(verdict === 'give-up' ? [outcomeUsage(message, 'failed')] : []),
];

/**
 * Why an attempt was late, of what the worker knows for sure (LATENESS_REASONS), one reason: the
 * first cause. What its ticket tells, when the ticket came only once the message was due
 * (`lateFor`: the sweep's nets, a worker's hand-back), whatever followed: the message was late
 * already when flow control or the worker met it; else flow control that held it; else, for a
 * worker that held it ready before its due instant, a wake-up over STALL_LATENESS_MS past it (its
 * process did not run then: `engine-busy`). None otherwise (a ticket the queue handed on late, a
 * slow store): lateness the engine cannot explain for sure is shown without a reason. A reason
 * other than flow control's only with a lateness.
 */
const latenessReasonOf = ({
  lateFor,
  heldByFlow,
  armed,
  wokeLateMs,
}: {
  lateFor: TicketLatenessReason | undefined;
  heldByFlow: boolean;
  armed: boolean;
  wokeLateMs: number;
}): LatenessReason | undefined => {
  if (lateFor) return lateFor;
  if (heldByFlow) return 'flow-control';
  return armed && wokeLateMs > STALL_LATENESS_MS ? 'engine-busy' : undefined;
};

/**
 * `receiver-busy` when the request's wait for a connection (every one the sender may open to the
 * receiver's origin in use: earlier requests still waiting on its answers) is most of its lateness,
 * which the engine then knows the cause of; for the lateness the engine gives a reason of its own
 * (latenessReasonOf), that reason, the first cause.
 */
const receiverBusy = (waitedMs: number | undefined, latenessMs: number): LatenessReason | undefined =>
  waitedMs !== undefined && waitedMs > 0 && waitedMs * 2 >= latenessMs ? 'receiver-busy' : undefined;

/** `reason` as a ticket carries it (TICKET_LATENESS_REASONS): flow control's is kept on the message. */
const ticketReasonOf = (reason: LatenessReason | undefined): TicketLatenessReason | undefined =>
  TICKET_LATENESS_REASONS.find((carried) => carried === reason);

const describeAttempt = (
  n: number,
  startedAt: number,
  finishedAt: number,
  dueAt: number,
  result: SendResult,
  latenessReason: LatenessReason | undefined,
  request: Pick<Attempt, 'round' | 'sent'>,
): Attempt => ({
  n,
  startedAt: new Date(startedAt).toISOString(),
  durationMs: Math.max(0, finishedAt - startedAt),
  latenessMs: Math.max(0, startedAt - dueAt),
  ...(latenessReason && (latenessReason === 'flow-control' || startedAt > dueAt) && { latenessReason }),
  ...(result.statusCode !== undefined && { statusCode: result.statusCode }),
  ...(result.error !== undefined && { error: result.error }),
  ...(result.errorKind !== undefined && { errorKind: result.errorKind }),
  ...(result.responseSnippet !== undefined && { responseSnippet: result.responseSnippet }),
  ...(result.responseHeaders !== undefined && { responseHeaders: result.responseHeaders }),
  ...(result.responseHeadersOmitted !== undefined && { responseHeadersOmitted: result.responseHeadersOmitted }),
  ...(result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
  ...request,
});
