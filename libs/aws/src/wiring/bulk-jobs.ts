/**
 * Bulk jobs' wiring, on top of the message runtime (wiring.ts): the job store (same table) and the
 * job queue. For the bulk routes and the job worker only; it fails loudly where the job queue is
 * not configured (VIGIL_JOB_QUEUE_URL).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { BulkJobDeps } from '@vigil/core';
import { ConfigError } from '../config';
import { DynamoBulkJobStore } from '../dynamo-bulk-job-store';
import { SqsBulkJobQueue } from '../sqs-bulk-job-queue';
import { runtime } from '../wiring';
import { part, withoutSdkLogging } from './base';

/** The job store alone (reading a job needs no queue). */
export const bulkJobStore = (): DynamoBulkJobStore =>
  part('bulk-job-store', (b) => new DynamoBulkJobStore(b.db, b.config.table));

export const bulkJobWiring = (): BulkJobDeps =>
  part('bulk-jobs', (b) => {
    const { jobQueueUrl } = b.config;
    if (jobQueueUrl === undefined) throw new ConfigError('Invalid Vigil configuration: VIGIL_JOB_QUEUE_URL is not set');
    const sqs = withoutSdkLogging(new SQSClient(b.clientOptions(b.config.endpoints.sqs)));
    b.instrument(sqs);
    b.onClose(() => sqs.destroy());
    return { ...runtime().scheduling, jobs: bulkJobStore(), jobQueue: new SqsBulkJobQueue(sqs, jobQueueUrl) };
  });
