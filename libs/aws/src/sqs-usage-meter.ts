/**
 * UsageMeter on SQS: each usage event is one message on the metering queue, sent ten at a time.
 * With a gather window (the delivery worker's: DELIVERY_USAGE_GATHER_MS), events recorded within it
 * share SendMessageBatch calls: the tickets of one deliver invocation due about the same instant
 * pay one request between them instead of one each. Callers wait for their events' flush, so
 * nothing is left in memory when a Lambda invocation returns.
 *
 * Bounded: each SendMessageBatch is given SEND_TIMEOUT_MS (the SDK's own retries included), and
 * entries SQS refuses are sent again up to SEND_ROUNDS times in all; then the events are logged
 * as lost, with their ids, told to `onLost` (the `UsageEventsLost` metric, whose alarm pages: they
 * are not counted until replayed), and the caller goes on. A delivery waits for its events before its record write, so
 * the bound is what metering can add to a record at worst.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Logger, UsageEvent, UsageMeter } from '@vigil/core';

/**
 * How long the delivery worker's meter gathers usage events before it sends them: a delivery's
 * record waits at most this much longer (after its send, never before it), and tickets sent within
 * it share a request (`npm run bench:cost`: a batch of 100's usage sends 1.0 → 0.5 a delivery).
 */
export const DELIVERY_USAGE_GATHER_MS = 50;

/** How long one SendMessageBatch may take, retries included, before it is given up. */
export const SEND_TIMEOUT_MS = 3_000;
/** Sends of the entries SQS refused, in all. */
export const SEND_ROUNDS = 3;

export class SqsUsageMeter implements UsageMeter {
  private pending: Array<{ event: UsageEvent; done: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  /** 0 sends at once; more gathers events from concurrent callers for that long. */
  private readonly gatherMs: number;
  /** Told how many events were given up, after the log line that names them. */
  private readonly onLost: ((count: number) => void) | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly log: Logger,
    { gatherMs = 0, onLost }: { gatherMs?: number; onLost?: (count: number) => void } = {},
  ) {
    this.gatherMs = gatherMs;
    this.onLost = onLost;
  }

  record(events: readonly UsageEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const flushed = Promise.all(events.map((event) => new Promise<void>((done) => this.pending.push({ event, done }))));
    if (this.gatherMs === 0 || this.pending.length >= 10) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.gatherMs);
    return flushed.then(() => undefined);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += 10) void this.send(batch.slice(i, i + 10));
  }

  private async send(chunk: ReadonlyArray<{ event: UsageEvent; done: () => void }>): Promise<void> {
    let left = chunk.map(({ event }) => event);
    try {
      for (let round = 1; left.length > 0; round += 1) {
        const entries = left;
        const result = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: entries.map((event, i) => ({ Id: String(i), MessageBody: JSON.stringify(event) })),
          }),
          { abortSignal: AbortSignal.timeout(SEND_TIMEOUT_MS) },
        );
        left = (result.Failed ?? []).map((failed) => entries[Number(failed.Id)] as UsageEvent);
        if (left.length > 0 && round >= SEND_ROUNDS) throw new Error(`${left.length} usage events refused`);
      }
    } catch (error) {
      // Metering must never fail the request or the delivery it describes.
      this.log.error('usage events not recorded', {
        count: left.length,
        ids: left.map((event) => event.id),
        error: String(error),
      });
      this.onLost?.(left.length);
    } finally {
      for (const { done } of chunk) done();
    }
  }
}
