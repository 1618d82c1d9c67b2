import { describe, expect, it } from 'vitest';
import { OPENAI_CHAT_COMPLETION } from '../health/fixtures.js';
import { openaiUsage, usageMetadataTokens } from './tokens.js';

describe('openaiUsage', () => {
  it('reads usage of the wire example', () => {
    expect(openaiUsage(JSON.parse(OPENAI_CHAT_COMPLETION))).toEqual({
      prompt: 46,
      completion: 22,
      total: 68,
    });
  });

  it('embeddings usage has no completion tokens', () => {
    expect(openaiUsage({ usage: { prompt_tokens: 5, total_tokens: 5 } })).toEqual({
      prompt: 5,
      completion: 0,
      total: 5,
    });
  });

  it('total falls back to the sum; null without usage', () => {
    expect(openaiUsage({ usage: { prompt_tokens: 2, completion_tokens: 3 } })).toEqual({
      prompt: 2,
      completion: 3,
      total: 5,
    });
    expect(openaiUsage({ choices: [] })).toBeNull();
    expect(openaiUsage(null)).toBeNull();
  });
});

describe('usageMetadataTokens', () => {
  it('counts thoughts as completion and keeps totalTokenCount', () => {
    const meta = {
      promptTokenCount: 10,
      candidatesTokenCount: 5,
      thoughtsTokenCount: 20,
      totalTokenCount: 35,
    };
    expect(usageMetadataTokens(meta)).toEqual({ prompt: 10, completion: 25, total: 35 });
  });

  it('total falls back to the sum; null without an object', () => {
    expect(usageMetadataTokens({ promptTokenCount: 4, candidatesTokenCount: 1 })).toEqual({
      prompt: 4,
      completion: 1,
      total: 5,
    });
    expect(usageMetadataTokens(undefined)).toBeNull();
    expect(usageMetadataTokens([])).toBeNull();
  });
});
