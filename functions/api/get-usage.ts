import { tenancyWiring } from '@vigil/aws/wiring/tenancy';
import type { UsageDay } from '@vigil/core';
import { UsageQuery, usageReport } from '@vigil/core';
import { httpRoute } from './http';

const asOut = ({ date, scheduled, delivered, failed, attempt }: UsageDay) => ({
  date,
  scheduled,
  delivered,
  failed,
  attempts: attempt,
});

export const handler = httpRoute({ query: UsageQuery }, async ({ tenantId, query }) => {
  const report = await usageReport(tenancyWiring().tenancy, tenantId, query);
  return {
    status: 200,
    body: { ...report, days: report.days.map(asOut), monthToDate: asOut(report.monthToDate) },
  };
});
