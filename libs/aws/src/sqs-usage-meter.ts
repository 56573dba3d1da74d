/**
 * UsageMeter on SQS: each usage event is one message on the metering queue, sent ten at a time.
 * With a flush window (the local stack), events from concurrent requests share SendMessageBatch
 * calls: an SDK call costs as much CPU as several webhook sends on these machines. Callers wait
 * for their events' flush, so nothing is left in memory when a Lambda invocation returns.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Logger, UsageEvent, UsageMeter } from '@vigil/core';

export class SqsUsageMeter implements UsageMeter {
  private pending: Array<{ event: UsageEvent; done: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly log: Logger,
    /** 0 sends at once; more gathers events from concurrent callers for that long. */
    private readonly flushWindowMs = 0,
  ) {}

  record(events: readonly UsageEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const flushed = Promise.all(events.map((event) => new Promise<void>((done) => this.pending.push({ event, done }))));
    if (this.flushWindowMs === 0 || this.pending.length >= 10) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushWindowMs);
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
    try {
      const result = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map(({ event }, i) => ({ Id: String(i), MessageBody: JSON.stringify(event) })),
        }),
      );
      if ((result.Failed ?? []).length > 0) throw new Error(`${result.Failed?.length} usage events refused`);
    } catch (error) {
      // Metering must never fail the request or the delivery it describes.
      this.log.error('usage events not recorded', { count: chunk.length, error: String(error) });
    } finally {
      for (const { done } of chunk) done();
    }
  }
}
