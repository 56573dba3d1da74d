/**
 * The delivery worker: arm early, fire on time (see ARCHITECTURE.md). The queue surfaces a ticket
 * a little before it is due. The worker holds it, takes the message with one conditional write
 * shortly before it is due (a cancel until then still wins; a duplicate or stale ticket loses),
 * signs the request, waits for the exact due instant (never early), sends, and only then records
 * the attempt and moves the state. Store calls per delivery: take + record, none between due and sent.
 *
 * Usage is handed to metering after the send and before the record write, with ids derived from
 * the message and the attempt number (usage.ts): a crash between the send and the record re-sends
 * the same attempt number later, whose events carry the same ids, so every attempt a receiver got
 * is counted once.
 */
import type { AttemptVerdict, BackoffPolicy } from '../backoff';
import type { UsageEvent } from '../usage';
import { attemptUsage, outcomeUsage, scheduledUsage } from '../usage';
import { judgeAttempt, retryDelayMs } from '../backoff';
import { buildDeliveryRequest } from '../delivery-request';
import { appendAttempt, attemptsThisRound, lastAttemptNumber, placeMessage } from '../lifecycle';
import type { Attempt, Message } from '../message';
import type { DeliveryTicket, EngineEvents, HttpSender, SendResult, TenantDirectory } from '../ports';
import { queueDelaySeconds } from '../routing';
import type { SchedulingDeps } from './deps';
import { dispatchMessages } from './dispatch';

/** Requests time out after at most 30 s (the MessageIn limit): a lease covers that. */
const MAX_TIMEOUT_MS = 30_000;
/** The longest a record waits for other sends to finish: far inside the lease. */
const RECORD_DEFER_MAX_MS = 1_000;

export interface DeliveryDeps extends SchedulingDeps {
  tenants: TenantDirectory;
  sender: HttpSender;
  backoff: BackoffPolicy;
  /** In [0, 1): the jitter source. */
  random: () => number;
  events?: EngineEvents;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped' | 'requeued';

export class DeliveryWorker {
  /** Tickets held and not yet taken, across every batch this worker is handling. */
  private holding = 0;
  private rush = new Signal();
  /** Requests on the wire right now; records wait for them (briefly) so a burst's sends go first. */
  private sending = 0;
  private quiet = new Signal();

  constructor(private readonly deps: DeliveryDeps) {}

  async deliver(ticket: DeliveryTicket): Promise<DeliveryOutcome> {
    const { clock, settings, queue } = this.deps;
    const arrivedAt = clock.now();
    if (ticket.dueAt - arrivedAt > settings.armHorizonMs) {
      // Surfaced too early (a re-enqueue, or a clamped delay): put it back rather than hold it.
      await queue.enqueue([{ ticket, delaySeconds: queueDelaySeconds(ticket.dueAt, arrivedAt, settings) }]);
      return 'requeued';
    }
    const taken = await this.take(ticket);
    if (!taken) return 'skipped';
    return this.fire(taken);
  }

  /** Waits until the take lead (or takes at once when too many are held), then claims the message. */
  private async take(ticket: DeliveryTicket): Promise<Message | undefined> {
    const { clock, settings, store } = this.deps;
    this.holding += 1;
    try {
      if (this.holding * settings.takeCostMs > settings.takeLeadMs) {
        this.rush.fire();
        this.rush = new Signal();
      } else {
        await Promise.race([clock.sleepUntil(ticket.dueAt - settings.takeLeadMs), this.rush.promise]);
      }
    } finally {
      this.holding -= 1;
    }
    const now = clock.now();
    return store.take(ticket, now, Math.max(ticket.dueAt, now) + MAX_TIMEOUT_MS + settings.leaseMarginMs);
  }

  /** Hands usage to metering; a meter that fails is logged and never fails the delivery. */
  private async meter(events: readonly UsageEvent[], fields: Record<string, unknown>): Promise<void> {
    try {
      await this.deps.meter?.record(events);
    } catch (error) {
      this.deps.log.error('usage events not handed to metering', { ...fields, error: String(error) });
    }
  }

  private async fire(message: Message): Promise<DeliveryOutcome> {
    const { clock, tenants, sender, settings } = this.deps;
    const secrets = await tenants.signingSecrets(message.tenantId);
    const n = lastAttemptNumber(message) + 1;
    const timestamp = Math.floor(Math.max(message.dueAt, clock.now()) / 1000);
    const request = buildDeliveryRequest(message, secrets, n, timestamp, `Vigil/${settings.version}`);

    await clock.sleepUntil(message.dueAt);
    const startedAt = clock.now();
    this.sending += 1;
    const result = await sender.send(request).finally(() => {
      this.sending -= 1;
      if (this.sending === 0) {
        this.quiet.fire();
        this.quiet = new Signal();
      }
    });
    const attempt = describeAttempt(n, startedAt, clock.now(), message.dueAt, result);
    return this.record(message, attempt, result);
  }

  /** Writes the attempt and the next state in one conditional write; schedules the retry if any. */
  private async record(message: Message, attempt: Attempt, result: SendResult): Promise<DeliveryOutcome> {
    const { clock, settings, store, log, events, backoff, random } = this.deps;
    if (this.sending > 0) {
      // A store write costs as much CPU as several sends: let the sends of a burst go first.
      await Promise.race([this.quiet.promise, clock.sleepUntil(clock.now() + RECORD_DEFER_MAX_MS)]);
    }
    const now = clock.now();
    const { leaseUntil: _lease, ...held } = message;
    const tried: Message = { ...held, attempts: appendAttempt(message, attempt), updatedAt: now };
    const verdict = judgeAttempt(result, attemptsThisRound(tried), message.maxAttempts);
    const fields = {
      tenantId: message.tenantId,
      messageId: message.id,
      attempt: attempt.n,
      latenessMs: attempt.latenessMs,
    };

    let next: Message;
    if (verdict === 'delivered') {
      next = { ...tried, status: 'delivered', deliveredAt: Date.parse(attempt.startedAt) };
    } else if (verdict === 'give-up') {
      next = { ...tried, status: 'failed' };
    } else {
      const dueAt = now + retryDelayMs(attemptsThisRound(tried), backoff, random());
      next = placeMessage({ ...tried, dueAt, version: message.version + 1 }, now, settings, 'retry');
    }
    // Before the record write: a crash after the send must not lose the attempt's usage.
    await this.meter(usageFor(message, attempt.n, verdict, attemptsThisRound(tried) === 1), fields);
    if (!(await store.save(next, message.version))) {
      log.warn('message changed while it was being delivered; attempt not recorded', fields);
      return 'skipped';
    }
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
}

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

/** A promise that resolves when fired (Node 20 has no Promise.withResolvers). */
class Signal {
  fire: () => void = () => {};
  readonly promise = new Promise<void>((resolve) => {
    this.fire = resolve;
  });
}

const describeAttempt = (
  n: number,
  startedAt: number,
  finishedAt: number,
  dueAt: number,
  result: SendResult,
): Attempt => ({
  n,
  startedAt: new Date(startedAt).toISOString(),
  durationMs: Math.max(0, finishedAt - startedAt),
  latenessMs: Math.max(0, startedAt - dueAt),
  ...(result.statusCode !== undefined && { statusCode: result.statusCode }),
  ...(result.error !== undefined && { error: result.error }),
  ...(result.responseSnippet !== undefined && { responseSnippet: result.responseSnippet }),
});
