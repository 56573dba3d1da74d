/** UsageMeter on SQS: each usage event is one message on the metering queue, sent ten at a time. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Logger, UsageEvent, UsageMeter } from '@vigil/core';

export class SqsUsageMeter implements UsageMeter {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly log: Logger,
  ) {}

  async record(events: readonly UsageEvent[]): Promise<void> {
    const chunks: UsageEvent[][] = [];
    for (let i = 0; i < events.length; i += 10) chunks.push(events.slice(i, i + 10));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const result = await this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: chunk.map((event, i) => ({ Id: String(i), MessageBody: JSON.stringify(event) })),
            }),
          );
          if ((result.Failed ?? []).length > 0) throw new Error(`${result.Failed?.length} usage events refused`);
        } catch (error) {
          // Metering must never fail the request or the delivery it describes.
          this.log.error('usage events not recorded', { count: chunk.length, error: String(error) });
        }
      }),
    );
  }
}
