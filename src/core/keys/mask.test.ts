import { describe, expect, it } from 'vitest';
import { isPlausibleKey, maskKey } from './mask.js';

const KEY = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrXy12';

describe('maskKey', () => {
  it('keeps the first and last 4 characters', () => {
    expect(maskKey(KEY)).toBe('AIza…Xy12');
  });

  it('short values show only the last 2', () => {
    expect(maskKey('abcdefghijk')).toBe('…jk');
    expect(maskKey('abcdefghijkl')).toBe('abcd…ijkl');
  });
});

describe('isPlausibleKey', () => {
  it('accepts 20–256 characters of the key alphabet', () => {
    expect(isPlausibleKey(KEY)).toBe(true);
    expect(isPlausibleKey('a'.repeat(20))).toBe(true);
    expect(isPlausibleKey('a.b_c-d'.repeat(36).slice(0, 256))).toBe(true);
  });

  it('rejects short, long, spaced or foreign characters', () => {
    for (const s of ['a'.repeat(19), 'a'.repeat(257), `${KEY} x`, `${KEY}@`, `${KEY}/`, '']) {
      expect(isPlausibleKey(s)).toBe(false);
    }
  });
});
