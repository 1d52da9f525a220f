import { describe, expect, it } from 'vitest';
import { RawObjectCache } from '../../../src/adapters/aws/s3-raw-partitions';

const bytes = (n: number) => new Uint8Array(n);

describe('RawObjectCache', () => {
  it('returns the text of an object only for the hash it was read with', () => {
    const cache = new RawObjectCache(800);
    const text = bytes(30);
    cache.set('raw/a', 'e1', text);
    expect(cache.get('raw/a', 'e1')).toBe(text);
    expect(cache.get('raw/a', 'e2')).toBeUndefined();
  });

  it('drops the least recently used objects once over its budget in bytes', () => {
    const cache = new RawObjectCache(800);
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) cache.set(key, 'e', bytes(100));
    cache.get('a', 'e');
    cache.set('h', 'e', bytes(100));
    cache.set('i', 'e', bytes(100));
    expect(cache.size).toBeLessThanOrEqual(800);
    expect(cache.get('a', 'e')).toBeDefined();
    expect(cache.get('b', 'e')).toBeUndefined();
    expect(cache.get('i', 'e')).toBeDefined();
  });

  it('does not keep an object larger than an eighth of its budget', () => {
    const cache = new RawObjectCache(800);
    cache.set('big', 'e', bytes(101));
    expect(cache.get('big', 'e')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('counts an object stored twice once', () => {
    const cache = new RawObjectCache(800);
    cache.set('a', 'e', bytes(60));
    cache.set('a', 'e', bytes(60));
    expect(cache.size).toBe(60);
  });
});
