import { describe, expect, it } from 'vitest';
import { RawRecordCache } from '../../../src/adapters/aws/s3-raw-partitions';

const records = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

describe('RawRecordCache', () => {
  it('returns the records of an object only for the ETag they were read with', () => {
    const cache = new RawRecordCache(100);
    const list = records(3);
    cache.set('raw/a', 'e1', list);
    expect(cache.get('raw/a', 'e1')).toBe(list);
    expect(cache.get('raw/a', 'e2')).toBeUndefined();
  });

  it('drops the least recently used objects once over its budget', () => {
    const cache = new RawRecordCache(10);
    cache.set('a', 'e', records(4));
    cache.set('b', 'e', records(4));
    cache.get('a', 'e');
    cache.set('c', 'e', records(4));
    expect(cache.get('a', 'e')).toBeDefined();
    expect(cache.get('b', 'e')).toBeUndefined();
    expect(cache.get('c', 'e')).toBeDefined();
  });

  it('does not keep an object larger than the whole budget', () => {
    const cache = new RawRecordCache(5);
    cache.set('big', 'e', records(6));
    expect(cache.get('big', 'e')).toBeUndefined();
  });
});
