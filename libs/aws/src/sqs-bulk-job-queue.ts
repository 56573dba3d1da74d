/** BulkJobQueue on SQS: each step of a bulk job is one message on the job queue, read by the job worker. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { BulkJobQueue, BulkJobStepRef } from '@vigil/core';

export class SqsBulkJobQueue implements BulkJobQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(step: BulkJobStepRef): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(step) }));
  }
}
