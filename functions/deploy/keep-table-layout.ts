/**
 * The template's layout check (custom resource TableLayoutCheck, infra/table-layout-check.ts). When
 * a deploy creates it or changes its counts, and before it updates any other function, CloudFormation
 * asks this function to check that the stage's table was written with the deploy's `tenantShards`
 * and `indexShards` (@vigil/aws table-layout.ts), recording them in a table that has none. A deploy
 * with other counts fails here with the counts to deploy with, and CloudFormation rolls it back:
 * the functions keep the counts their table was written with, instead of running with counts
 * under which its messages are not found.
 */
import { base } from '@vigil/aws';
import { answerCustomResource } from '@vigil/aws/cloudformation-custom-resource';
import type { LayoutGuard } from '@vigil/aws/table-layout';
import { keepTableLayout } from '@vigil/aws/table-layout';
import { MAX_INDEX_SHARDS, MAX_TENANT_SHARDS } from '@vigil/aws/tenant-partitions';
import { parseOrThrow } from '@vigil/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { z } from 'zod';

/** The check's properties as the template writes them (CloudFormation hands every value on as a string). */
const LayoutCheckProperties = z.object({
  TableName: z.string().min(1),
  TenantShards: z.coerce.number().int().min(1).max(MAX_TENANT_SHARDS),
  IndexShards: z.coerce.number().int().min(1).max(MAX_INDEX_SHARDS),
});

export const DEPLOYED_LAYOUT: LayoutGuard = {
  names: { tenantShards: 'tenantShards', indexShards: 'indexShards' },
  asker: 'this deploy',
  advice: ({ tenantShards, indexShards }) =>
    `Deploy with --param="tenantShards=${tenantShards}" --param="indexShards=${indexShards}", ` +
    'the counts it was written with (README, Deploy); this deploy is rolled back.',
  // Every stage deployed before the layout was recorded (2026-12-06): one key a tenant, 8 index shards.
  unrecorded: () => ({ tenantShards: 1, indexShards: 8 }),
};

export const handler = (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> =>
  answerCustomResource(event, context, base().log, async (properties) => {
    const { TableName, TenantShards, IndexShards } = parseOrThrow(LayoutCheckProperties, properties);
    await keepTableLayout(
      base().db,
      TableName,
      { tenantShards: TenantShards, indexShards: IndexShards },
      DEPLOYED_LAYOUT,
    );
  });
