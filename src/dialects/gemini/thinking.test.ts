import { describe, expect, it } from 'vitest';
import { thinkingForBudget, thinkingForEffort, thinksByLevel } from './thinking.js';

describe('thinking settings', () => {
  it('tells Gemini 3 models from budget-based ones', () => {
    expect(thinksByLevel('gemini-3-flash-preview')).toBe(true);
    expect(thinksByLevel('models/gemini-3.1-pro-preview')).toBe(true);
    expect(thinksByLevel('gemini-2.5-flash')).toBe(false);
    expect(thinksByLevel('gemma-3-27b-it')).toBe(false);
  });

  it('gives Gemini 3 a level and never a budget', () => {
    expect(thinkingForEffort('gemini-3-flash-preview', 'high', false)).toEqual({ thinkingLevel: 'high' });
    expect(thinkingForEffort('gemini-3-pro-preview', 'minimal', true)).toEqual({
      thinkingLevel: 'low',
      includeThoughts: true,
    });
  });

  it('gives Gemini 2.5 a budget, at least 128 on Pro', () => {
    expect(thinkingForEffort('gemini-2.5-flash', 'none', false)).toEqual({ thinkingBudget: 0 });
    expect(thinkingForEffort('gemini-2.5-pro', 'none', false)).toEqual({ thinkingBudget: 128 });
    expect(thinkingForBudget('gemini-2.5-flash', 2000, true)).toEqual({
      thinkingBudget: 2000,
      includeThoughts: true,
    });
  });
});
