import { describe, expect, it } from 'vitest';
import { base64Of, float32Base64 } from './float32-base64.js';

describe('float32Base64', () => {
  it('encodes float32 little-endian bytes as standard base64', () => {
    const values = [0.25, -1, 3.5, 1e-7, 123456.789];
    const expected = Buffer.from(new Float32Array(values).buffer).toString('base64');
    expect(float32Base64(values)).toBe(expected);
    expect(float32Base64([1])).toBe('AACAPw==');
    expect(float32Base64([])).toBe('');
  });

  it('pads every remainder length like Buffer does', () => {
    for (let n = 0; n < 10; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 250) & 255);
      expect(base64Of(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});
