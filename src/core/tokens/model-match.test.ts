import { describe, expect, it } from 'vitest';
import { modelAllowed } from './model-match.js';

describe('modelAllowed', () => {
  it('allows every model with an empty list', () => {
    expect(modelAllowed([], 'gemini-2.5-pro')).toBe(true);
  });

  it('matches exact names and `*` wildcards anywhere', () => {
    const list = ['gemini-2.5-flash*', 'gemini-embedding-001', '*-lite', 'gemma-*-it'];
    expect(modelAllowed(list, 'gemini-2.5-flash')).toBe(true);
    expect(modelAllowed(list, 'gemini-2.5-flash-lite')).toBe(true);
    expect(modelAllowed(list, 'gemini-embedding-001')).toBe(true);
    expect(modelAllowed(list, 'gemini-2.0-flash-lite')).toBe(true);
    expect(modelAllowed(list, 'gemma-3-27b-it')).toBe(true);
    expect(modelAllowed(list, 'gemini-2.5-pro')).toBe(false);
    expect(modelAllowed(list, 'gemini-embedding-0011')).toBe(false);
    expect(modelAllowed(['*'], 'anything')).toBe(true);
    expect(modelAllowed(['a*a'], 'a')).toBe(false);
    expect(modelAllowed(['models/gemini-2.5-pro'], 'gemini-2.5-pro')).toBe(true);
  });
});
