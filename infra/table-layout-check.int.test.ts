/**
 * The layout check's role (infra/functions.ts) against the calls its provider really makes: the
 * local stack has no IAM, so a call the role lacks would work in every other test and fail only in
 * a deploy, the one place the check runs. Here the provider runs as CloudFormation drives it, on
 * dynalite, on a table from before the record (every call it can make is made), and each table
 * call is matched against the statements the template gives its role.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '@vigil/functions/deploy/keep-table-layout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableCall } from '../test-support/cloudformation-requests';
import {
  customResourceRequest,
  lambdaContextWith,
  startResponseUrl,
  wireDeployedFunction,
} from '../test-support/cloudformation-requests';
import type { DynamoBackend } from '../test-support/dynamo-backends';
import { startDynalite } from '../test-support/dynamo-backends';
import { configureWiring } from '@vigil/aws/wiring/base';
import { FUNCTIONS, statementsFor } from './functions';
import { TABLE_LAYOUT_CHECK } from './table-layout-check';
import { tableArn } from './tables';

describe('the layout check’s role, against the calls it makes', () => {
  let dynamo: DynamoBackend;
  let responses: Awaited<ReturnType<typeof startResponseUrl>>;
  const calls: TableCall[] = [];

  beforeAll(async () => {
    dynamo = await startDynalite();
    responses = await startResponseUrl();
    wireDeployedFunction(dynamo.table, dynamo.endpoint, (call) => calls.push(call));
    await dynamo.db.send(new PutCommand({ TableName: dynamo.table, Item: { pk: 'T#tnt_old', sk: 'M#msg_1' } }));
    const properties = { TableName: dynamo.table, TenantShards: '1', IndexShards: '8' };
    await handler(customResourceRequest('Create', responses.url, properties), lambdaContextWith());
  });
  afterAll(async () => {
    configureWiring(undefined);
    await responses?.stop();
    await dynamo?.stop();
  });

  it('finds every table call in its role, on the stage’s table', () => {
    const fn = FUNCTIONS.find((f) => f.key === TABLE_LAYOUT_CHECK);
    const statements = statementsFor(TABLE_LAYOUT_CHECK, fn?.grants ?? {});
    const onTable = statements.filter((s) => s.Resource.some((r) => JSON.stringify(r) === JSON.stringify(tableArn)));

    expect(responses.answers.map((a) => a.Status)).toEqual(['SUCCESS']);
    expect(new Set(calls.map((c) => c.action))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:PutItem']),
    );
    for (const call of calls) {
      expect(call.table).toBe(dynamo.table);
      expect(
        onTable.flatMap((s) => s.Action),
        call.action,
      ).toContain(call.action);
    }
  });
});
