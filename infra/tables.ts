/**
 * The one DynamoDB table (messages, idempotency claims, tenants, API keys) and its indexes. Keys
 * and indexes come from libs/aws, which also creates the local stack's table, so the deployed
 * and the local table cannot drift.
 */
import type { INDEX } from '../libs/aws/src/table-definition';
import { TABLE_DEFINITION, TTL_ATTRIBUTE } from '../libs/aws/src/table-definition';
import type { Intrinsic, Resources } from './cloudformation';
import { arnOf, ref, sub } from './cloudformation';
import { stageName } from './names';

export const TABLE = 'VigilTable';

export type IndexName = (typeof INDEX)[keyof typeof INDEX];

export const tableName: Intrinsic = ref(TABLE);
export const tableArn: Intrinsic = arnOf(TABLE);
export const indexArn = (index: IndexName): Intrinsic => sub(`\${TableArn}/index/${index}`, { TableArn: tableArn });

export const tableResources = (): Resources => ({
  [TABLE]: {
    Type: 'AWS::DynamoDB::Table',
    // Every tenant's messages, keys and secrets: a stack deleted, or a change that would replace the
    // table (a new name), keeps it; deleting it is a deliberate act of its own (README: Tear down).
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: stageName('table'),
      ...TABLE_DEFINITION,
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // Expired idempotency claims, and finished messages past their plan's retention, are deleted by DynamoDB itself.
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    },
  },
});
