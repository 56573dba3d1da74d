import { describe, expect, it } from 'vitest';
import { itemKindOf, partitionKeyClass } from './partition-key-class';

describe('partition key classes', () => {
  it('replaces what varies per tenant, bucket, shard or id and keeps the rest', () => {
    expect(partitionKeyClass('T#tnt_01JABC')).toBe('T#<tenant>');
    expect(partitionKeyClass('T#tnt_01JABC#queued')).toBe('T#<tenant>#queued');
    expect(partitionKeyClass('P#3')).toBe('P#<shard>');
    expect(partitionKeyClass('B#1800000000000#7')).toBe('B#<bucketAt>#<shard>');
    expect(partitionKeyClass('K#9f2c')).toBe('K#<key hash>');
    expect(partitionKeyClass('something-else')).toBe('something-else');
  });

  it('names the kind of item a sort key holds', () => {
    expect(['M#01J', 'I#key-1', 'UL#2026-12-02#3#00000001', 'U#2026-12-02', 'TENANT'].map(itemKindOf)).toEqual([
      'M#',
      'I#',
      'UL#',
      'U#',
      'TENANT',
    ]);
  });
});
