/** DeliveryQueue on SQS: tickets as JSON bodies, delays as DelaySeconds, sent ten at a time. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DeliveryQueue, DeliveryTicket } from '@vigil/core';

const SQS_BATCH = 10;

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(entries: ReadonlyArray<{ ticket: DeliveryTicket; delaySeconds: number }>): Promise<void> {
    const chunks: Array<typeof entries> = [];
    for (let i = 0; i < entries.length; i += SQS_BATCH) chunks.push(entries.slice(i, i + SQS_BATCH));
    await Promise.all(chunks.map((chunk) => this.sendChunk(chunk)));
  }

  private async sendChunk(
    chunk: ReadonlyArray<{ ticket: DeliveryTicket; delaySeconds: number }>,
    retried = false,
  ): Promise<void> {
    const result = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: chunk.map(({ ticket, delaySeconds }, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify(ticket),
          DelaySeconds: delaySeconds,
        })),
      }),
    );
    const failed = (result.Failed ?? []).map((f) => chunk[Number(f.Id)]).filter((e) => e !== undefined);
    if (failed.length === 0) return;
    if (!retried) return this.sendChunk(failed, true);
    const reasons = (result.Failed ?? []).map((f) => `${f.Code}: ${f.Message}`).join('; ');
    throw new Error(`SQS refused ${failed.length} delivery tickets: ${reasons}`);
  }
}
