import { describe, expect, it } from 'vitest';
import { failedWriteUnits, partitionWrites, readUnits, writeUnits } from './dynamo-request-units';

/** A queued message of about 1.5 KB: in the table, in byStatus and in pending. */
const queued = {
  pk: 'T#t1',
  sk: 'M#m1',
  statusPk: 'T#t1#queued',
  pendPk: 'P#3',
  pendingAt: 1_800_000_000_000,
  tenantId: 't1',
  id: 'm1',
  status: 'queued',
  version: 0,
  dueAt: 1_800_000_000_000,
  body: 'x'.repeat(1_400),
};

describe('DynamoDB request units', () => {
  describe('writes', () => {
    it('charges an insert on the item and on each index entry it creates, by that entry’s size', () => {
      const units = writeUnits(undefined, queued);
      // The table copy is over 1 KB (2 units); every index entry of the item is written once.
      expect(units.table).toBe(2);
      expect(units.indexes).toEqual({ byStatus: expect.any(Number), pending: 1 });
      expect(units.total).toBe(units.table + Object.values(units.indexes).reduce((a, b) => a + b, 0));
    });

    it('charges an index key change as a delete and a put in that index', () => {
      const delivering = { ...queued, status: 'delivering', statusPk: 'T#t1#delivering', version: 1 };
      const insert = writeUnits(undefined, queued);
      const take = writeUnits(queued, delivering);
      expect(take.table).toBe(2);
      // byStatus: the old entry deleted, the new one put.
      expect(take.indexes.byStatus).toBe(2 * (insert.indexes.byStatus ?? 0));
      // pending keeps its keys and projects only tenantId and id: a take does not touch it.
      expect(take.indexes.pending).toBeUndefined();
    });

    it('puts each unit on the partition key it lands on: a status change leaves one byStatus key for another', () => {
      const delivering = { ...queued, status: 'delivering', statusPk: 'T#t1#delivering', version: 1 };
      const writes = partitionWrites(queued, delivering);
      const byStatus = writes.filter((w) => w.index === 'byStatus');
      expect(byStatus.map((w) => w.key)).toEqual(['T#t1#queued', 'T#t1#delivering']);
      expect(writes.find((w) => w.index === 'table')).toEqual({ index: 'table', key: 'T#t1', units: 2 });
      expect(writes.find((w) => w.index === 'pending')).toBeUndefined();
      // The same units as writeUnits, by key.
      expect(writes.reduce((sum, w) => sum + w.units, 0)).toBe(writeUnits(queued, delivering).total);
    });

    it('charges nothing in an index whose entry did not change', () => {
      const noted = { ...queued, note: 'not projected into pending' };
      expect(writeUnits(queued, noted).indexes.pending).toBeUndefined();
      const deferred = { ...queued, pendingAt: queued.pendingAt + 60_000 };
      expect(writeUnits(queued, deferred).indexes.pending).toBe(2); // its sort key moved: a delete and a put
    });

    it('charges a delete on the item and every entry it removes', () => {
      expect(writeUnits(queued, undefined)).toEqual(writeUnits(undefined, queued));
    });

    it('charges a failed condition on the existing item only, one unit when there is none', () => {
      expect(failedWriteUnits(queued)).toEqual({ table: 2, indexes: {}, total: 2 });
      expect(failedWriteUnits(undefined).total).toBe(1);
    });
  });

  describe('reads', () => {
    it('sums what a read went through before rounding up to 4 KB, half when eventually consistent', () => {
      const item = { pk: 'T#t1', sk: 'M#1', body: 'y'.repeat(1_500) };
      expect(readUnits([item], true)).toBe(1);
      expect(readUnits([item, item, item], true)).toBe(2);
      expect(readUnits([item, item, item], false)).toBe(1);
    });

    it('charges a read that found nothing at the minimum', () => {
      expect(readUnits([], false)).toBe(0.5);
      expect(readUnits([], true)).toBe(1);
    });
  });
});
