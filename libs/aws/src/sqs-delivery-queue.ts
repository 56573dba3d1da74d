/**
 * DeliveryQueue on SQS: tickets as JSON bodies, delays as DelaySeconds, sent ten at a time; prompt
 * tickets (not to wait while the delivery queue's consumer gathers a batch: routing.ts
 * `placeTickets`) on the prompt queue, the rest on the delivery queue (one queue for both when
 * nothing gathers).
 *
 * Concurrent callers in one process share SendMessageBatch requests (batch-coalescer.ts): a
 * partial batch goes at once while fewer than PARTIAL_SENDS_IN_FLIGHT are out, and waits for one of
 * them otherwise. A Lambda invocation's create sends as it did; the local stack's API, serving
 * many creates at once, lets them share (200 at once: 28 requests, sqs-delivery-queue.int.test.ts).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DeliveryQueue, DeliveryTicket } from '@vigil/core';
import type { BatchOutcome } from './batch-coalescer';
import { BatchCoalescer } from './batch-coalescer';

const SQS_BATCH = 10;
/**
 * Partial batches on the wire per queue before others wait to share one: enough that one request
 * SQS holds does not stall the rest, few enough that a busy process fills its requests.
 */
export const PARTIAL_SENDS_IN_FLIGHT = 4;

type Entry = { ticket: DeliveryTicket; delaySeconds: number; prompt?: boolean };

export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly gathered: BatchCoalescer<Entry>;
  private readonly prompt: BatchCoalescer<Entry>;

  constructor(
    private readonly sqs: SQSClient,
    queueUrl: string,
    promptQueueUrl: string = queueUrl,
    /** `shareRequests: false` sends every call's tickets in requests of their own, at once. */
    options: { shareRequests?: boolean } = {},
  ) {
    const inFlight = options.shareRequests === false ? Infinity : PARTIAL_SENDS_IN_FLIGHT;
    const senderTo = (url: string) =>
      new BatchCoalescer<Entry>((chunk) => this.sendChunk(url, chunk), SQS_BATCH, inFlight);
    this.gathered = senderTo(queueUrl);
    this.prompt = promptQueueUrl === queueUrl ? this.gathered : senderTo(promptQueueUrl);
  }

  async enqueue(entries: ReadonlyArray<Entry>): Promise<void> {
    const prompt = entries.filter((e) => e.prompt === true);
    const gathered = entries.filter((e) => e.prompt !== true);
    await Promise.all([
      prompt.length > 0 && this.prompt.send(prompt),
      gathered.length > 0 && this.gathered.send(gathered),
    ]);
  }

  /** One SendMessageBatch; the entries SQS refuses are sent once more, and those refused again reported. */
  private async sendChunk(queueUrl: string, chunk: ReadonlyArray<Entry>, retried = false): Promise<BatchOutcome> {
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
    const refused = (result.Failed ?? []).filter((f) => chunk[Number(f.Id)] !== undefined);
    if (refused.length === 0) return [];
    if (!retried) {
      const again = refused.map((f) => Number(f.Id));
      const outcome = await this.sendChunk(
        queueUrl,
        again.map((i) => chunk[i] as Entry),
        true,
      );
      return outcome.map(({ index, error }) => ({ index: again[index] as number, error }));
    }
    const reasons = refused.map((f) => `${f.Code}: ${f.Message}`).join('; ');
    const error = new Error(`SQS refused ${refused.length} delivery tickets: ${reasons}`);
    return refused.map((f) => ({ index: Number(f.Id), error }));
  }
}
