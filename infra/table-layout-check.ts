/**
 * The stage's table keeps the shard counts it was written with (libs/aws table-layout.ts), and every
 * deploy that sets other counts than the table's fails before a function runs with them: a custom
 * resource, TableLayoutCheck, carries the deploy's `tenantShards` and `indexShards`, its provider
 * (functions/deploy/keep-table-layout.ts) checks them against the table's record (or records them
 * in a new table), and every other Vigil function depends on it. CloudFormation updates the check
 * first whenever its counts change: when it fails, the deploy fails with the counts to deploy with,
 * and is rolled back with every function as it was.
 */
import type { CfnResource, Resources } from './cloudformation';
import { arnOf } from './cloudformation';
import { functionLogicalId } from './names';
import { param } from './params';
import { tableName } from './tables';

/** The check's provider, a function like the others (infra/functions.ts). */
export const TABLE_LAYOUT_CHECK = 'tableLayoutCheck';
/** The custom resource's logical id. */
export const TABLE_LAYOUT_CHECK_RESOURCE = 'TableLayoutCheck';
/** How long CloudFormation waits for the check's answer (1–3,600 s; 3,600 when unset). */
export const TABLE_LAYOUT_CHECK_SERVICE_TIMEOUT_S = 120;

export const tableLayoutCheckResources = (): Resources => ({
  [TABLE_LAYOUT_CHECK_RESOURCE]: {
    Type: 'Custom::TableLayout',
    Properties: {
      // Read by reference: the provider function exists, with its role, before CloudFormation asks it.
      ServiceToken: arnOf(functionLogicalId(TABLE_LAYOUT_CHECK)),
      // A provider that never answers (it could not even start) fails the deploy in two minutes,
      // not CloudFormation's default hour; it answers well within its own 30 s otherwise.
      ServiceTimeout: TABLE_LAYOUT_CHECK_SERVICE_TIMEOUT_S,
      TableName: tableName,
      TenantShards: param('tenantShards'),
      IndexShards: param('indexShards'),
    },
  },
});

/**
 * Makes each function (serverless's `resources.extensions`) wait for the check, so a deploy that
 * changes the counts checks them before it updates any function's code or environment.
 */
export const afterTableLayoutCheck = (
  functionKeys: readonly string[],
): Record<string, Pick<CfnResource, 'DependsOn'>> =>
  Object.fromEntries(
    functionKeys
      .filter((key) => key !== TABLE_LAYOUT_CHECK)
      .map((key) => [functionLogicalId(key), { DependsOn: [TABLE_LAYOUT_CHECK_RESOURCE] }]),
  );
