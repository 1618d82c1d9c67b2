import { describe, expect, it } from 'vitest';
import { promptBlockReason, stopKind, usageCounts } from './outcome.js';

describe('stopKind', () => {
  it('maps Gemini finish reasons to dialect-neutral kinds', () => {
    expect(stopKind('STOP', false)).toBe('stop');
    expect(stopKind(undefined, false)).toBe('stop');
    expect(stopKind('STOP', true)).toBe('tool_calls');
    expect(stopKind('MAX_TOKENS', true)).toBe('max_tokens');
    expect(stopKind('SAFETY', false)).toBe('content_filter');
    expect(stopKind('PROHIBITED_CONTENT', false)).toBe('content_filter');
    expect(stopKind('MALFORMED_FUNCTION_CALL', false)).toBe('error');
    expect(stopKind('SOMETHING_NEW', false)).toBe('error');
  });

  it('reads a prompt block reason', () => {
    expect(promptBlockReason({ promptFeedback: { blockReason: 'SAFETY' } })).toBe('SAFETY');
    expect(promptBlockReason({ candidates: [] })).toBeNull();
  });
});

describe('usageCounts', () => {
  it('counts thoughts as output and reports cached and reasoning parts', () => {
    expect(
      usageCounts({
        promptTokenCount: 40,
        candidatesTokenCount: 12,
        thoughtsTokenCount: 98,
        cachedContentTokenCount: 32,
        totalTokenCount: 150,
      }),
    ).toEqual({
      inputTokens: 40,
      cachedTokens: 32,
      outputTokens: 110,
      reasoningTokens: 98,
      totalTokens: 150,
    });
  });

  it('is all zeros without metadata, and sums when total is missing', () => {
    expect(usageCounts(undefined).totalTokens).toBe(0);
    expect(usageCounts({ promptTokenCount: 3, candidatesTokenCount: 2 }).totalTokens).toBe(5);
  });
});
