import { bulkJobWiring } from '@vigil/aws/wiring/bulk-jobs';
import type { BulkAction } from '@vigil/core';
import { BulkJobIn, startBulkJob, toBulkJobOut } from '@vigil/core';
import { httpRoute } from './http';
import { idempotencyKeyHeader } from './idempotency-key';

/** `POST /v1/messages/<action>`: starts a bulk job (202), or replays the one an Idempotency-Key started (200). */
export const bulkJobRoute = (action: BulkAction) =>
  httpRoute({ body: BulkJobIn }, async ({ tenantId, plan, body, headers }) => {
    const idempotencyKey = idempotencyKeyHeader(headers);
    const { job, created } = await startBulkJob(bulkJobWiring(), tenantId, {
      action,
      input: body,
      plan,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    return { status: created ? 202 : 200, body: toBulkJobOut(job), headers: { location: `/v1/jobs/${job.id}` } };
  });
