/**
 * A table keeps the shard counts it was written with (table-layout.ts), on dynalite: recorded by the
 * first check, refused when another check asks for others, a table from before the record (items,
 * no layout) taken as its home says, and two first checks side by side record one layout.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { DynamoBackend } from '../../../test-support/dynamo-backends';
import { startDynalite } from '../../../test-support/dynamo-backends';
import type { LayoutGuard } from './table-layout';
import { keepTableLayout, LAYOUT_KEY, TableLayoutMismatchError } from './table-layout';

/** A home whose tables were written, before the record, with one tenant shard and 8 index shards. */
const GUARD: LayoutGuard = {
  names: { tenantShards: 'TENANTS', indexShards: 'INDEXES' },
  asker: 'this check',
  advice: (written) => `Ask for ${written.tenantShards} and ${written.indexShards}.`,
  unrecorded: () => ({ tenantShards: 1, indexShards: 8 }),
};

describe('keepTableLayout', () => {
  let services: DynamoBackend;
  afterEach(() => services?.stop());

  it('records the first check’s counts in an empty table and refuses others after, saying what was written', async () => {
    // Arrange
    services = await startDynalite();
    const { db, table } = services;

    // Act
    await keepTableLayout(db, table, { indexShards: 8, tenantShards: 16 }, GUARD);
    await keepTableLayout(db, table, { indexShards: 8, tenantShards: 16 }, GUARD);
    const other = keepTableLayout(db, table, { indexShards: 32, tenantShards: 1 }, GUARD);

    // Assert
    await expect(other).rejects.toThrow(TableLayoutMismatchError);
    await expect(other).rejects.toThrow(
      `table ${table} was written with TENANTS=16 (this check: 1) and INDEXES=8 (this check: 32): ` +
        'its messages would not be found under other shard counts. Ask for 16 and 8.',
    );
    const { Item } = await db.send(new GetCommand({ TableName: table, Key: LAYOUT_KEY }));
    expect(Item).toMatchObject({ indexShards: 8, tenantShards: 16 });
  });

  it('takes a table written before the record as its home says, and records that', async () => {
    // Arrange
    services = await startDynalite();
    const { db, table } = services;
    await db.send(new PutCommand({ TableName: table, Item: { pk: 'T#tnt_old', sk: 'M#msg_1' } }));

    // Act
    const sharded = keepTableLayout(db, table, { indexShards: 32, tenantShards: 128 }, GUARD);

    // Assert
    await expect(sharded).rejects.toThrow(/TENANTS=1 \(this check: 128\) and INDEXES=8 \(this check: 32\)/);
    expect((await db.send(new GetCommand({ TableName: table, Key: LAYOUT_KEY }))).Item).toBeUndefined();
    await expect(keepTableLayout(db, table, { indexShards: 8, tenantShards: 1 }, GUARD)).resolves.toBeUndefined();
    expect((await db.send(new GetCommand({ TableName: table, Key: LAYOUT_KEY }))).Item).toMatchObject({
      indexShards: 8,
      tenantShards: 1,
    });
  });

  it('records one layout when two first checks run side by side: the other is refused', async () => {
    // Arrange
    services = await startDynalite();
    const { db, table } = services;

    // Act
    const checks = await Promise.allSettled(
      [16, 1, 16, 1].map((tenantShards) => keepTableLayout(db, table, { indexShards: 8, tenantShards }, GUARD)),
    );

    // Assert
    const { Item } = await db.send(new GetCommand({ TableName: table, Key: LAYOUT_KEY }));
    const won = Number(Item?.tenantShards);
    expect([1, 16]).toContain(won);
    expect(checks.map((c) => c.status)).toEqual([16, 1, 16, 1].map((n) => (n === won ? 'fulfilled' : 'rejected')));
  });
});
