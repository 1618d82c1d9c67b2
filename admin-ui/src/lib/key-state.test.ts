import { describe, expect, it } from 'vitest';
import { translator } from '../i18n/index.js';
import { describeKeyState } from './key-state.js';
import type { KeyEntry } from './types.js';

describe('describeKeyState', () => {
  it('dates a cooldown that ends on another day, so it never reads as already over', () => {
    const until = new Date(Date.now() + 2 * 86_400_000);
    const key = {
      state: 'cooling',
      disabled: null,
      cooldowns: [{ model: 'gemini-2.5-flash', until: until.toISOString(), reason: 'per_day' }],
    } as unknown as KeyEntry;
    const text = describeKeyState(key, translator('en'));
    expect(text).toContain('gemini-2.5-flash');
    expect(text).toMatch(/\d\d-\d\d \d\d:\d\d/);
  });
});
