/**
 * DeliveryQueue on SQS: tickets as JSON bodies, delays as DelaySeconds, sent ten at a time; prompt
 * tickets (not to wait while the delivery queue's consumer gathers a batch: routing.ts
 * `placeTickets`) on the prompt queue, the rest on the delivery queue (one queue for both when
 * nothing gathers).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DeliveryQueue, DeliveryTicket } from '@vigil/core';

const SQS_BATCH = 10;

type Entry = { ticket: DeliveryTicket; delaySeconds: number; prompt?: boolean };

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly promptQueueUrl: string = queueUrl,
  ) {}

  async enqueue(entries: ReadonlyArray<Entry>): Promise<void> {
    const chunks: Array<{ queueUrl: string; entries: ReadonlyArray<Entry> }> = [];
    for (const [queueUrl, onIt] of [
      [this.promptQueueUrl, entries.filter((e) => e.prompt === true)],
      [this.queueUrl, entries.filter((e) => e.prompt !== true)],
    ] as const) {
      for (let i = 0; i < onIt.length; i += SQS_BATCH) chunks.push({ queueUrl, entries: onIt.slice(i, i + SQS_BATCH) });
    }
    await Promise.all(chunks.map(({ queueUrl, entries: chunk }) => this.sendChunk(queueUrl, chunk)));
  }

  private async sendChunk(queueUrl: string, chunk: ReadonlyArray<Entry>, retried = false): Promise<void> {
    const result = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map(({ ticket, delaySeconds }, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify(ticket),
          DelaySeconds: delaySeconds,
        })),
      }),
    );
    const failed = (result.Failed ?? []).map((f) => chunk[Number(f.Id)]).filter((e) => e !== undefined);
    if (failed.length === 0) return;
    if (!retried) return this.sendChunk(queueUrl, failed, true);
    const reasons = (result.Failed ?? []).map((f) => `${f.Code}: ${f.Message}`).join('; ');
    throw new Error(`SQS refused ${failed.length} delivery tickets: ${reasons}`);
  }
}
