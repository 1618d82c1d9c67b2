import { describe, expect, it } from 'vitest';
import { LruMap } from './lru-map.js';

describe('LruMap', () => {
  it('forgets the least recently used entry when full, counting reads as use', () => {
    const map = new LruMap<string, number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect(map.get('a')).toBe(1);
    map.set('d', 4);
    expect(map.size).toBe(3);
    expect(map.has('b')).toBe(false);
    expect([map.get('a'), map.get('c'), map.get('d')]).toEqual([1, 3, 4]);
  });

  it('keeps the order of use when the newest entry is read again, deleted or cleared', () => {
    const map = new LruMap<string, number>(3);
    map.set('a', 1);
    map.set('b', 2);
    map.get('b');
    map.get('a');
    map.get('a');
    map.set('c', 3);
    map.set('d', 4); // b is the least recently used
    expect(map.has('b')).toBe(false);
    map.delete('d');
    map.set('b', 2);
    map.get('a');
    map.set('e', 5); // c is now the least recently used
    expect([map.has('c'), map.has('a'), map.has('b'), map.has('e')]).toEqual([false, true, true, true]);
    map.clear();
    map.set('x', 1);
    map.set('y', 2);
    map.get('x');
    map.set('z', 3);
    map.set('w', 4); // y, not x, goes
    expect([map.has('y'), map.has('x')]).toEqual([false, true]);
  });

  it('replaces an existing key without evicting another', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 10);
    expect(map.size).toBe(2);
    expect(map.get('b')).toBe(2);
    expect(map.get('a')).toBe(10);
  });
});
