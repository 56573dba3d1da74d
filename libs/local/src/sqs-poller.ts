/**
 * Feeds a Lambda-style SQS handler from a queue, the way Lambda's event source mapping does:
 * long-polls batches of up to ten, invokes the handler without waiting for it (so held tickets
 * don't block the next batch), deletes what succeeded and leaves partial batch failures to come
 * back after the visibility timeout (and, past maxReceiveCount, to the dead-letter queue).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Logger } from '@vigil/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  log: Logger;
  /** Parallel receive loops. */
  loops?: number;
  /** Records per handler call, up to this many (Lambda's batchSize); more than 10 needs a window. */
  batchSize?: number;
  /** How long to keep gathering a batch once its first record arrived (Lambda's batching window). */
  batchWindowMs?: number;
  /** Batches being handled at once, across loops; receiving pauses beyond it. */
  maxInFlightBatches?: number;
}

export interface SqsPoller {
  /**
   * Stops receiving and gives batches in hand up to `graceMs` to finish. Whatever is still held
   * after that is safe: it is in the store, and the sweep re-enqueues it on the next start.
   */
  stop(graceMs?: number): Promise<void>;
}

export const startSqsPoller = (options: SqsPollerOptions): SqsPoller => {
  const { sqs, queueUrl, queueArn, handler, log } = options;
  const maxInFlight = options.maxInFlightBatches ?? 500;
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let running = true;

  const toRecord = (m: {
    MessageId?: string;
    ReceiptHandle?: string;
    Body?: string;
    Attributes?: Record<string, string>;
    MD5OfBody?: string;
  }): SQSRecord =>
    ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    }) as SQSRecord;

  const handleBatch = async (records: SQSRecord[]) => {
    let failed = new Set<string>();
    try {
      const response = await handler({ Records: records });
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      log.error('handler failed for a whole batch; it will be retried', { queueArn, error: String(error) });
      return;
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    // SQS deletes at most ten per call.
    for (let i = 0; i < done.length; i += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.slice(i, i + 10).map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  };

  const batchSize = options.batchSize ?? 10;
  const batchWindowMs = options.batchWindowMs ?? 0;
  const receive = async (waitSeconds: number, max: number) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      )
    ).Messages ?? [];

  /** Long-polls for a first message, then gathers more until the batch is full or the window closes. */
  const gather = async () => {
    const batch = await receive(20, batchSize);
    const closesAt = Date.now() + batchWindowMs;
    while (batch.length > 0 && batch.length < batchSize && Date.now() < closesAt && running) {
      const more = await receive(0, batchSize - batch.length);
      if (more.length > 0) batch.push(...more);
      else await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(0, closesAt - Date.now()))));
    }
    return batch;
  };

  const loop = async () => {
    while (running) {
      if (inFlight.size >= maxInFlight) {
        await Promise.race(inFlight);
        continue;
      }
      try {
        const Messages = await gather();
        if (Messages.length === 0) continue;
        const work = handleBatch(Messages.map(toRecord)).catch((error) =>
          log.error('could not acknowledge a batch', { queueArn, error: String(error) }),
        );
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      } catch (error) {
        if (!running) return;
        log.error('receive failed; retrying', { queueArn, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  const loops = Array.from({ length: options.loops ?? 4 }, () => loop());
  return {
    async stop(graceMs = 3_000) {
      running = false;
      abort.abort();
      await Promise.allSettled(loops);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
};
