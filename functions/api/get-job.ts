import { bulkJobStore } from '@vigil/aws/wiring/bulk-jobs';
import { BulkJobNotFoundError, getBulkJob, JOB_ID_PATTERN, toBulkJobOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({}, async ({ tenantId, params }) => {
  const jobId = params.jobId ?? '';
  // Anything not shaped like a job id cannot exist: 404.
  if (!JOB_ID_PATTERN.test(jobId)) throw new BulkJobNotFoundError(jobId);
  return { status: 200, body: toBulkJobOut(await getBulkJob(bulkJobStore(), tenantId, jobId)) };
});
