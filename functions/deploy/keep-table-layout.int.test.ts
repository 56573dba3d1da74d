/**
 * The template's layout check (custom resource TableLayoutCheck) as CloudFormation drives it: each
 * request handed to the provider function, its answer PUT to a response URL served here, the table
 * on dynalite. A deploy with other counts than the table's fails with the counts to deploy with;
 * every request is answered, whatever goes wrong.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ANSWER_MARGIN_MS } from '@vigil/aws/cloudformation-custom-resource';
import { LAYOUT_KEY } from '@vigil/aws/table-layout';
import { configureWiring } from '@vigil/aws/wiring/base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  customResourceRequest as request,
  lambdaContextWith as contextWith,
  startResponseUrl,
  wireDeployedFunction as wire,
} from '../../test-support/cloudformation-requests';
import type { DynamoBackend } from '../../test-support/dynamo-backends';
import { startDynalite } from '../../test-support/dynamo-backends';
import { handler } from './keep-table-layout';

/** The template's defaults (infra/params.ts). */
const DEFAULTS = { TenantShards: '128', IndexShards: '32' };

describe('the deploy’s table layout check', () => {
  let dynamo: DynamoBackend | undefined;
  let responses: Awaited<ReturnType<typeof startResponseUrl>> | undefined;
  afterEach(async () => {
    configureWiring(undefined);
    await responses?.stop();
    await dynamo?.stop();
    responses = dynamo = undefined;
  });

  const layoutOf = async (backend: DynamoBackend) =>
    (await backend.db.send(new GetCommand({ TableName: backend.table, Key: LAYOUT_KEY }))).Item;

  it('fails a deploy with the defaults on a stage from before the record, telling the counts to deploy with', async () => {
    // Arrange
    dynamo = await startDynalite();
    responses = await startResponseUrl();
    wire(dynamo.table, dynamo.endpoint);
    await dynamo.db.send(new PutCommand({ TableName: dynamo.table, Item: { pk: 'T#tnt_old', sk: 'M#msg_1' } }));
    const properties = { TableName: dynamo.table, ...DEFAULTS };

    // Act
    await handler(request('Create', responses.url, properties), contextWith());
    await handler(request('Delete', responses.url, properties), contextWith()); // the rollback
    await handler(
      request('Create', responses.url, { ...properties, TenantShards: '1', IndexShards: '8' }),
      contextWith(),
    );

    // Assert
    const [refused, rolledBack, kept] = responses.answers;
    expect(refused).toEqual({
      Status: 'FAILED',
      Reason:
        `table ${dynamo.table} was written with tenantShards=1 (this deploy: 128) and indexShards=8 (this deploy: 32): ` +
        'its messages would not be found under other shard counts. ' +
        'Deploy with --param="tenantShards=1" --param="indexShards=8", the counts it was written with ' +
        '(README, Deploy); this deploy is rolled back.',
      PhysicalResourceId: 'TableLayoutCheck',
      StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/vigil-ci/1',
      RequestId: 'request-Create',
      LogicalResourceId: 'TableLayoutCheck',
    });
    expect(rolledBack).toMatchObject({ Status: 'SUCCESS', RequestId: 'request-Delete' });
    expect(kept).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'TableLayoutCheck' });
    expect(await layoutOf(dynamo)).toMatchObject({ tenantShards: 1, indexShards: 8 });
  });

  it('records a new stage’s counts, refuses an update to others and takes its own again', async () => {
    // Arrange
    dynamo = await startDynalite();
    responses = await startResponseUrl();
    wire(dynamo.table, dynamo.endpoint);
    const properties = { TableName: dynamo.table, ...DEFAULTS };

    // Act
    await handler(request('Create', responses.url, properties), contextWith());
    await handler(request('Update', responses.url, { ...properties, TenantShards: '64' }), contextWith());
    await handler(request('Update', responses.url, properties), contextWith()); // the rollback

    // Assert
    expect(responses.answers.map((a) => a.Status)).toEqual(['SUCCESS', 'FAILED', 'SUCCESS']);
    expect(responses.answers[1]?.Reason).toMatch(/tenantShards=128 \(this deploy: 64\): /);
    expect(await layoutOf(dynamo)).toMatchObject({ tenantShards: 128, indexShards: 32 });
  });

  it('answers FAILED, never nothing: properties out of range, a table that does not exist', async () => {
    // Arrange
    dynamo = await startDynalite();
    responses = await startResponseUrl();
    wire(dynamo.table, dynamo.endpoint);

    // Act
    await handler(
      request('Create', responses.url, { TableName: dynamo.table, TenantShards: '1000', IndexShards: 'x' }),
      contextWith(),
    );
    await handler(request('Create', responses.url, { TableName: 'vigil-ci-none', ...DEFAULTS }), contextWith());

    // Assert
    const [invalid, missing] = responses.answers;
    expect(invalid?.Status).toBe('FAILED');
    expect(invalid?.Reason).toMatch(/^TenantShards: .*128.*; IndexShards: /);
    expect(missing?.Status).toBe('FAILED');
    expect(missing?.Reason).toMatch(/non-existent table|not found/i);
    expect(await layoutOf(dynamo)).toBeUndefined();
  });

  it('answers FAILED before the function’s own time-out when the table does not answer', async () => {
    // Arrange: a DynamoDB endpoint that takes the request and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    responses = await startResponseUrl();
    wire('vigil-ci-table', `http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    const started = Date.now();

    // Act
    await handler(
      request('Create', responses.url, { TableName: 'vigil-ci-table', ...DEFAULTS }),
      contextWith(ANSWER_MARGIN_MS + 300),
    );

    // Assert
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(responses.answers).toEqual([
      expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/did not end/) }),
    ]);
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('sends its answer again when the response URL fails', async () => {
    // Arrange
    dynamo = await startDynalite();
    responses = await startResponseUrl(2);
    wire(dynamo.table, dynamo.endpoint);

    // Act
    await handler(request('Create', responses.url, { TableName: dynamo.table, ...DEFAULTS }), contextWith());

    // Assert
    expect(responses.answers).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });
});
