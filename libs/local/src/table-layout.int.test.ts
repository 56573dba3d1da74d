/**
 * The data dir's table keeps the shard counts it was written with (table-layout.ts), on dynalite:
 * recorded by the first start, refused when another start asks for others, and a table from before
 * the record (items, no layout) is taken as one tenant shard.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { dynamoClientFor, startDynalite } from '../../../test-support/dynamo-backends';
import { keepTableLayout, TableLayoutMismatchError } from './table-layout';

describe('keepTableLayout', () => {
  let services: DynamoBackend;
  afterEach(() => services?.stop());

  it('records the first start’s counts in an empty table and refuses others after', async () => {
    // Arrange
    services = await startDynalite();
    const client = dynamoClientFor(services.endpoint);

    // Act
    await keepTableLayout(client, services.table, { indexShards: 8, tenantShards: 16 });
    await keepTableLayout(client, services.table, { indexShards: 8, tenantShards: 16 });
    const other = keepTableLayout(client, services.table, { indexShards: 8, tenantShards: 1 });

    // Assert
    await expect(other).rejects.toThrow(TableLayoutMismatchError);
    await expect(other).rejects.toThrow(/VIGIL_TENANT_SHARDS=16 \(this start: 1\)/);
    const { Item } = await services.db.send(
      new GetCommand({ TableName: services.table, Key: { pk: 'LAYOUT', sk: 'LAYOUT' } }),
    );
    expect(Item).toMatchObject({ indexShards: 8, tenantShards: 16 });
  });

  it('takes a table written before the record as one tenant shard: tenant shards are refused there', async () => {
    // Arrange
    services = await startDynalite();
    const client = dynamoClientFor(services.endpoint);
    await services.db.send(new PutCommand({ TableName: services.table, Item: { pk: 'T#tnt_old', sk: 'M#msg_1' } }));

    // Act
    const sharded = keepTableLayout(client, services.table, { indexShards: 8, tenantShards: 8 });

    // Assert
    await expect(sharded).rejects.toThrow(/VIGIL_TENANT_SHARDS=1 \(this start: 8\)/);
    await expect(keepTableLayout(client, services.table, { indexShards: 8, tenantShards: 1 })).resolves.toBeUndefined();
  });
});
