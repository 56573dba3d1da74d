import { bulkJobStore } from '@vigil/aws/wiring/bulk-jobs';
import { BulkJobListQuery, listBulkJobs, toBulkJobOut } from '@vigil/core';
import { httpRoute } from './http';

export const handler = httpRoute({ query: BulkJobListQuery }, async ({ tenantId, query }) => {
  const page = await listBulkJobs(bulkJobStore(), tenantId, query);
  return { status: 200, body: { items: page.items.map(toBulkJobOut), nextCursor: page.nextCursor ?? null } };
});
